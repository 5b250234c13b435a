"""Exact parsing and squaring: examples, then properties over any input."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import arithmetic
from chalicelib.arithmetic import MAX_NUMBER_LENGTH, InvalidNumber, parse_number, square


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
#: Decimals whose plain text stays within the length limit.
decimals = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=-(10**100), max_value=10**100, places=50
)


@given(integers)
def test_integer_squares_equal_the_exact_product(value: int) -> None:
    assert square(parse_number(str(value))) == value * value


@given(decimals)
def test_decimal_squares_equal_the_exact_rational_product(value: Decimal) -> None:
    text = format(value, "f")
    if "." not in text:
        text += ".0"
    result = square(parse_number(text))
    assert Fraction(result) == Fraction(value) ** 2
    assert "E" not in text and len(text) <= MAX_NUMBER_LENGTH


@given(st.one_of(integers, decimals))
def test_parsing_then_printing_round_trips(value: int | Decimal) -> None:
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    parsed = parse_number(text)
    assert (
        parse_number(format(parsed, "f") if isinstance(parsed, Decimal) else str(parsed)) == parsed
    )
    assert parsed == value


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
