"""The example's domain handler with its sleep and randomness injected."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.async_api import InvalidInput
from chalicelib.square import handler
from chalicelib.square.handler import WORK_MARGIN_SECONDS, Settings, SimulatedFailure, square_of


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def never() -> float:
    return 1.0


def test_the_result_is_the_square_under_its_key() -> None:
    assert square_of("3", Settings(), Sleeps(), never) == {"square_of_your_number_is": 9}


@pytest.mark.parametrize("number", ["abc", "", "1e5", "\u0663"])
def test_bad_numbers_are_invalid_input_before_any_work(number: str) -> None:
    sleeps = Sleeps()
    with pytest.raises(InvalidInput) as refusal:
        square_of(number, Settings(work_seconds=5), sleeps, never)
    assert refusal.value.error == "InvalidNumber"
    assert refusal.value.accepted == handler.NUMBER.accepted
    assert sleeps.calls == [], "bad input must fail fast, before the simulated work"


def test_work_seconds_sleeps_once() -> None:
    sleeps = Sleeps()
    square_of("3", Settings(work_seconds=3), sleeps, never)
    assert sleeps.calls == [3]


@pytest.mark.parametrize(
    ("rate", "draw", "fails"),
    [(1.0, 0.999, True), (0.5, 0.5, False), (0.5, 0.49, True), (0.0, 0.0, False)],
)
def test_fault_rate_raises_when_the_draw_is_below_it(rate: float, draw: float, fails: bool) -> None:
    settings = Settings(fault_rate=rate)
    if fails:
        with pytest.raises(SimulatedFailure, match="SQUARE_FAULT_RATE"):
            square_of("3", settings, Sleeps(), lambda: draw)
    else:
        assert square_of("3", settings, Sleeps(), lambda: draw)["square_of_your_number_is"] == 9


def test_settings_default_to_no_work_and_no_faults() -> None:
    assert Settings.from_environment({}, timeout_seconds=60) == Settings(0.0, 0.0)


def test_settings_are_read_from_the_environment() -> None:
    env = {"SQUARE_WORK_SECONDS": "1.5", "SQUARE_FAULT_RATE": "0.25"}
    assert Settings.from_environment(env, timeout_seconds=60) == Settings(1.5, 0.25)


def test_the_simulated_work_ends_a_margin_before_the_function_s_timeout() -> None:
    read = Settings.reader(timeout_seconds=60)
    assert read({"SQUARE_WORK_SECONDS": "59"}).work_seconds == 60 - WORK_MARGIN_SECONDS
    with pytest.raises(ValueError) as refused:
        read({"SQUARE_WORK_SECONDS": "59.5"})
    assert str(refused.value) == (
        "SQUARE_WORK_SECONDS='59.5': expected a number of seconds from 0 to 59 "
        "(the function times out after 60 s)"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SQUARE_FAULT_RATE", "2"),
        ("SQUARE_FAULT_RATE", "-0.1"),
        ("SQUARE_FAULT_RATE", "nan"),
        ("SQUARE_WORK_SECONDS", "-1"),
        ("SQUARE_WORK_SECONDS", "inf"),
        ("SQUARE_WORK_SECONDS", "soon"),
    ],
)
def test_malformed_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_environment({name: value}, timeout_seconds=60)


@pytest.mark.parametrize(
    ("number", "square"),
    [
        ("1.50", Decimal("2.25")),
        ("2.0", 4),
        ("0.0001", Decimal("1E-8")),
        ("-0.0", 0),
        ("1.23456789", Decimal("1.5241578750190521")),
    ],
)
def test_answers_are_exact_ints_or_decimals(number: str, square: int | Decimal) -> None:
    answer = square_of(number, Settings(), Sleeps(), never)["square_of_your_number_is"]
    assert answer == square and type(answer) is type(square)
    assert str(answer) == str(square)
