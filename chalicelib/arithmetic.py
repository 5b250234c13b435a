"""Exact parsing and squaring of the numbers this API accepts.

Pure code, no I/O. Numbers are integers of any sign or decimals in plain
positional notation, made of ASCII digits. Binary floats never appear: integers
are squared as ``int`` and decimals as ``Decimal`` with enough precision that
no rounding can happen (and a trap in case it ever could).
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact, Rounded

#: The longest number text accepted, in characters (sign and point included).
#: The square then has at most about 2,000 digits, far below CPython's
#: 4,300-digit limit on printing integers, so every answer can be serialised.
MAX_NUMBER_LENGTH = 1000

ACCEPTED_NUMBERS = (
    "an integer or a decimal in plain notation, ASCII digits only, an optional "
    f"leading sign, at most {MAX_NUMBER_LENGTH} characters: for example 2, -3, "
    "0.1, +12.50"
)

Number = int | Decimal

_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)
_EXPONENT = re.compile(r"[0-9.][eE][+-]?[0-9]", re.ASCII)
_SHOWN_CHARS = 40


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
        return Decimal(text)
    return int(text)


def square(number: Number) -> Number:
    """Return ``number * number`` exactly, keeping the type of the input."""
    if isinstance(number, int):
        return number * number
    digits = len(number.as_tuple().digits)
    exact = Context(prec=2 * digits + 2, traps=[Inexact, Rounded])
    return exact.multiply(number, number)


def quoted(text: str) -> str:
    """Client text quoted for an error message: ASCII-escaped, at most about 40 characters."""
    escaped = ascii(text)
    return escaped if len(escaped) <= _SHOWN_CHARS else escaped[:_SHOWN_CHARS] + "..."


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
