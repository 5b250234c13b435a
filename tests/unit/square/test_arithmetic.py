"""Exact parsing and squaring: examples, then properties over any input."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.square import arithmetic
from chalicelib.square.arithmetic import MAX_NUMBER_LENGTH, InvalidNumber, parse_number, square


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 4),
        ("-3", 9),
        ("+4", 16),
        ("0", 0),
        ("-0", 0),
        ("007", 49),
        ("0.1", Decimal("0.01")),
        ("-0.5", Decimal("0.25")),
        ("1.50", Decimal("2.2500")),
        ("12345678901234567890", 152415787532388367501905199875019052100),
        ("0.0001", Decimal("1E-8")),
        ("3.14159265", Decimal("9.8696043785340225")),
        ("1234567.8", Decimal("1524157652796.84")),
        ("0." + "0" * 997 + "1", Decimal("1E-1996")),
    ],
)
def test_squares_are_exact(text: str, expected: int | Decimal) -> None:
    result = square(parse_number(text))
    assert result == expected, f"square({text!r}) gave {result!r}, expected {expected!r}"
    assert type(result) is type(expected), f"square({text!r}) changed type to {type(result)}"


def test_a_tenth_squared_prints_without_binary_noise() -> None:
    assert str(square(parse_number("0.1"))) == "0.01"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" 2", "whitespace"),
        ("2\n", "whitespace"),
        ("\t", "whitespace"),
        ("٣", "ASCII"),  # ARABIC-INDIC DIGIT THREE
        ("\uff11\uff12", "ASCII"),  # FULLWIDTH DIGITS ONE, TWO
        ("NaN", "NaN"),
        ("-Infinity", "NaN and Infinity"),
        ("inf", "Infinity"),
        ("sNaN", "NaN"),
        ("1e5", "exponent"),
        ("1E+999999999", "exponent"),
        ("2.5e-3", "exponent"),
        ("0x1F", "base-10"),
        ("0b101", "base-10"),
        ("1_000", "separators"),
        (".5", "each side"),
        ("5.", "each side"),
        ("--3", "plain number"),
        ("1.2.3", "plain number"),
        ("abc", "plain number"),
        ("3\x00", "plain number"),
        ("1" * (MAX_NUMBER_LENGTH + 1), "limit"),
    ],
)
def test_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as refusal:
        parse_number(text)
    assert reason in str(refusal.value), f"{text[:20]!r}: message {refusal.value} lacks {reason!r}"


def test_the_longest_accepted_number_squares_and_prints() -> None:
    biggest = "-" + "9" * (MAX_NUMBER_LENGTH - 1)
    result = square(parse_number(biggest))
    assert len(str(result)) == 2 * (MAX_NUMBER_LENGTH - 1)


def test_messages_do_not_echo_huge_input() -> None:
    with pytest.raises(InvalidNumber) as refusal:
        parse_number("x" * 500)
    assert len(str(refusal.value)) < 120


integers = st.integers(min_value=-(10**300), max_value=10**300)


@st.composite
def decimal_texts(draw: st.DrawFn) -> str:
    """Decimal texts the API accepts: a sign, then digits around a point, within the limit."""
    whole = draw(st.integers(1, 400))
    fraction = draw(st.integers(1, MAX_NUMBER_LENGTH - 2 - whole))
    digits = st.text("0123456789", min_size=1, max_size=1)
    sign = draw(st.sampled_from(["", "+", "-"]))
    return (
        sign
        + "".join(draw(digits) for _ in range(whole))
        + "."
        + "".join(draw(digits) for _ in range(fraction))
    )


@given(integers)
def test_integer_squares_equal_the_exact_product(value: int) -> None:
    assert square(parse_number(str(value))) == value * value


@given(decimal_texts())
def test_decimal_squares_equal_the_exact_rational_product(text: str) -> None:
    assert Fraction(square(parse_number(text))) == Fraction(text) ** 2


@given(st.one_of(integers.map(str), decimal_texts()))
def test_parsing_then_printing_round_trips(text: str) -> None:
    parsed = parse_number(text)
    printed = format(parsed, "f") if isinstance(parsed, Decimal) else str(parsed)
    assert parse_number(printed) == parsed
    assert Fraction(parsed) == Fraction(text)


@given(st.text(max_size=60))
def test_any_text_parses_or_fails_with_the_documented_error(text: str) -> None:
    try:
        parsed = parse_number(text)
    except InvalidNumber as refusal:
        assert str(refusal), "a refusal must say why"
        return
    assert isinstance(parsed, int | Decimal)
    assert text.isascii() and text.strip() == text


def test_accepted_forms_are_described_with_the_limit() -> None:
    assert str(MAX_NUMBER_LENGTH) in arithmetic.ACCEPTED_NUMBERS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4, 4),
        (10**1990, 10**1990),
        (Decimal("4.00"), 4),
        (Decimal("0.01"), Decimal("0.01")),
        (Decimal("2.2500"), Decimal("2.25")),
        (Decimal("1E-8"), Decimal("1E-8")),
        (Decimal("1.5241578750190521"), Decimal("1.5241578750190521")),
        (Decimal("12345678901234567.50"), Decimal("12345678901234567.5")),
    ],
)
def test_json_numbers_are_exact(value: int | Decimal, expected: int | Decimal) -> None:
    answer = arithmetic.json_number(value)
    assert answer == expected and type(answer) is type(expected)
    assert str(answer) == str(expected), "trailing zeros go, nothing else changes"


@given(decimal_texts())
def test_every_accepted_decimal_has_an_exact_json_answer(text: str) -> None:
    exact = square(parse_number(text))
    answer = arithmetic.json_number(exact)
    assert Decimal(str(answer)) == exact, f"{text}: {answer!r} is not {exact}"
    assert not isinstance(answer, float)
