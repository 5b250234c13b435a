"""The pure function's logic with its clock, sleep and randomness injected."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import contract, square_function
from chalicelib.square_function import Knobs, SimulatedFailure, run


def event(number: Any = "3", invocation_type: str = "RequestResponse") -> dict[str, Any]:
    built = contract.build_event(
        number="",
        invocation_type=invocation_type,
        stage="dev",
        request_id="req-9",
        http_method="GET",
        source_ip="127.0.0.1",
        user_agent="pytest",
    )
    return {**built, "number": number}


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def never() -> float:
    return 1.0


def test_sync_event_gives_the_sync_body() -> None:
    body = run(event("3"), Knobs(), Sleeps(), never)
    assert body == contract.sync_body(event("3"), 9)


def test_async_event_gives_the_async_result() -> None:
    body = run(event("0.1", "Event"), Knobs(), Sleeps(), never)
    assert body["asynchronous_invocation"] == "true"
    assert (
        body["square_of_your_number_is"] == 0.01
        and repr(body["square_of_your_number_is"]) == "0.01"
    )


@pytest.mark.parametrize("number", ["abc", "", None, 5, ["1"]])
def test_bad_numbers_are_answers_not_exceptions(number: Any) -> None:
    body = run(event(number), Knobs(work_seconds=5), sleeps := Sleeps(), never)
    assert body["error"] == "InvalidNumber"
    assert body["api_request_id"] == "req-9"
    assert sleeps.calls == [], "bad input must fail fast, before the simulated work"


def test_bad_invocation_type_is_an_answer_listing_what_is_accepted() -> None:
    body = run(event("2", "DryRun"), Knobs(), Sleeps(), never)
    assert body["error"] == "InvalidInvocationType"
    assert body["accepted"] == "RequestResponse or Event"


def test_work_seconds_sleeps_once() -> None:
    sleeps = Sleeps()
    run(event(), Knobs(work_seconds=3), sleeps, never)
    assert sleeps.calls == [3]


@pytest.mark.parametrize(
    ("rate", "draw", "fails"),
    [(1.0, 0.999, True), (0.5, 0.5, False), (0.5, 0.49, True), (0.0, 0.0, False)],
)
def test_fault_rate_raises_when_the_draw_is_below_it(rate: float, draw: float, fails: bool) -> None:
    knobs = Knobs(fault_rate=rate)
    if fails:
        with pytest.raises(SimulatedFailure, match="SQUARE_FAULT_RATE"):
            run(event(), knobs, Sleeps(), lambda: draw)
    else:
        assert run(event(), knobs, Sleeps(), lambda: draw)["square_of_your_number_is"] == 9


def test_knobs_default_to_no_work_and_no_faults() -> None:
    assert Knobs.from_environment({}) == Knobs(0.0, 0.0)


def test_knobs_are_read_from_the_environment() -> None:
    env = {"SQUARE_WORK_SECONDS": "1.5", "SQUARE_FAULT_RATE": "0.25"}
    assert Knobs.from_environment(env) == Knobs(1.5, 0.25)


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
def test_malformed_knobs_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        square_function.Knobs.from_environment({name: value})


@pytest.mark.parametrize(
    ("number", "square"), [("1.50", 2.25), ("2.0", 4), ("0.0001", 1e-08), ("-0.0", 0)]
)
def test_answers_are_json_native_and_exact(number: str, square: float) -> None:
    answer = run(event(number), Knobs(), Sleeps(), never)["square_of_your_number_is"]
    assert answer == square and type(answer) is type(square)


def test_a_decimal_with_too_many_digits_is_a_400_before_any_work() -> None:
    sleeps = Sleeps()
    body = run(event("1.23456789"), Knobs(work_seconds=1), sleeps, never)
    assert body["error"] == "InvalidNumber" and "at most 7" in body["message"]
    assert sleeps.calls == []
