"""Exact parsing and squaring of the numbers this API accepts.

Pure code, no I/O. Numbers are integers of any sign or decimals in plain
positional notation, made of ASCII digits. Integers are squared as ``int`` and
decimals as ``Decimal`` with enough precision that no rounding can happen (and a
trap in case it ever could).

The answer travels as a JSON number written by whatever encodes the function's
result: the AWS Lambda Python runtime writes an ``int`` exactly, but recent
versions write a ``Decimal`` as ``float(decimal)``. So a decimal may have at most
:data:`MAX_DECIMAL_DIGITS` digits: its square then has at most 14 significant
digits and no exponent below -12, which a float's shortest text carries exactly,
and :func:`json_number` gives an ``int`` for whole squares and that ``float``
otherwise (``0.01``, never ``0.010000000000000002``).
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact, Rounded

from chalicelib.async_api.contract import quoted

#: The longest number text accepted, in characters (sign and point included).
#: The square then has at most about 2,000 digits, far below CPython's
#: 4,300-digit limit on printing integers, so every answer can be serialised.
MAX_NUMBER_LENGTH = 1000

#: How many digits a decimal may have (sign and point not counted): its square
#: has at most twice as many, and every decimal of up to 15 significant digits
#: round-trips exactly through a binary64 float's shortest text.
MAX_DECIMAL_DIGITS = 7

ACCEPTED_NUMBERS = (
    "an integer or a decimal in plain notation, ASCII digits only, an optional "
    f"leading sign, at most {MAX_NUMBER_LENGTH} characters, a decimal at most "
    f"{MAX_DECIMAL_DIGITS} digits: for example 2, -3, 0.1, +12.50"
)

#: The numbers accepted, as an ECMAScript regular expression for the OpenAPI document.
NUMBER_PATTERN = rf"^[+-]?([0-9]+|(?=[0-9.]{{3,{MAX_DECIMAL_DIGITS + 1}}}$)[0-9]+\.[0-9]+)$"

Number = int | Decimal

_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)
_EXPONENT = re.compile(r"[0-9.][eE][+-]?[0-9]", re.ASCII)


class InvalidNumber(ValueError):
    """The text is not a number this API accepts; ``str()`` says why."""


def parse_number(text: str) -> Number:
    """Parse ``text`` as an exact integer or decimal.

    Raises :class:`InvalidNumber` with a message naming the problem for
    anything else: empty text, whitespace, signs or points in the wrong place,
    exponents, NaN, Infinity, hexadecimal, underscores, non-ASCII digits, or
    text longer than :data:`MAX_NUMBER_LENGTH`.
    """
    if text == "":
        raise InvalidNumber("the number is empty")
    if len(text) > MAX_NUMBER_LENGTH:
        raise InvalidNumber(
            f"the number is {len(text)} characters long; the limit is {MAX_NUMBER_LENGTH}"
        )
    if _PLAIN_NUMBER.fullmatch(text) is None:
        raise InvalidNumber(f"{quoted(text)} is not a plain number{_hint(text)}")
    if "." in text:
        digits = sum(ch.isdigit() for ch in text)
        if digits > MAX_DECIMAL_DIGITS:
            raise InvalidNumber(
                f"{quoted(text)} has {digits} digits; a decimal may have at most "
                f"{MAX_DECIMAL_DIGITS}, so that its square is exact as a JSON number"
            )
        return Decimal(text)
    return int(text)


def square(number: Number) -> Number:
    """Return ``number * number`` exactly, keeping the type of the input."""
    if isinstance(number, int):
        return number * number
    digits = len(number.as_tuple().digits)
    exact = Context(prec=2 * digits + 2, traps=[Inexact, Rounded])
    return exact.multiply(number, number)


def json_number(value: Number) -> int | float:
    """``value`` as a JSON-native number that every JSON encoder writes exactly.

    Whole values become ``int``; others a ``float`` whose shortest text has the
    same value; the square of any decimal :func:`parse_number` accepts has one.
    Raises :class:`InvalidNumber` for a value no float carries exactly.
    """
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    approximation = float(value)
    if Decimal(repr(approximation)) != value:
        raise InvalidNumber(f"{quoted(str(value))} cannot be written exactly as a JSON number")
    return approximation


def _hint(text: str) -> str:
    """The likeliest reason a text was refused, to put after the refusal."""
    stripped = text.strip()
    if stripped != text:
        return ": remove the surrounding whitespace"
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return ": only the ASCII digits 0-9 are accepted"
    lowered = text.lower().lstrip("+-")
    if lowered in {"nan", "snan", "inf", "infinity"}:
        return ": NaN and Infinity are not numbers this API squares"
    if lowered.startswith(("0x", "0o", "0b")):
        return ": only base-10 numbers are accepted"
    if "_" in text:
        return ": digit separators are not accepted"
    if _EXPONENT.search(text):
        return ": exponent notation is not accepted, write the digits out"
    if text.endswith(".") or text.lstrip("+-").startswith("."):
        return ": put at least one digit on each side of the decimal point"
    return ""
