"""Exact parsing and squaring of the numbers this API accepts.

Pure code, no I/O. Numbers are integers of any sign or decimals in plain
positional notation, made of ASCII digits, both within :data:`MAX_NUMBER_LENGTH`.
Integers are squared as ``int`` and decimals as ``Decimal`` with enough
precision that no rounding can happen (and a trap in case it ever could).

The answer travels as a JSON number written by whatever encodes the function's
result, and every writer on the way writes it exactly: the Lambda Python
runtime's marshaller writes an ``int`` with ``json`` and a ``Decimal`` as
``RawJSON(str(decimal))``, its exact digits (``awslambdaric``,
``lambda_runtime_marshaller.py``, every release from 2020 to 4.2.2), and the
route and the local engine write decimals the same way
(:mod:`chalicelib.async_api.json_codec`). So :func:`json_number` keeps a
decimal square a ``Decimal``: ``0.01``, never ``0.010000000000000002``.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact, Rounded

from chalicelib.async_api.contract import quoted

#: The longest number text accepted, in characters (sign and point included).
#: The square then has at most about 2,000 digits, far below CPython's
#: 4,300-digit limit on printing integers, so every answer can be serialised.
MAX_NUMBER_LENGTH = 1000

ACCEPTED_NUMBERS = (
    "an integer or a decimal in plain notation, ASCII digits only, an optional "
    f"leading sign, at most {MAX_NUMBER_LENGTH} characters: for example 2, -3, 0.1, "
    "+12.50, 3.14159265"
)

#: The numbers accepted, as an ECMAScript regular expression for the OpenAPI document
#: (the length bound is the parameter's ``maxLength``).
NUMBER_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"

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
    return Decimal(text) if "." in text else int(text)


def square(number: Number) -> Number:
    """Return ``number * number`` exactly, keeping the type of the input."""
    if isinstance(number, int):
        return number * number
    return _exact_for(number).multiply(number, number)


def json_number(value: Number) -> Number:
    """``value`` as the answer's JSON number: an ``int`` when whole, else the exact ``Decimal``.

    A decimal loses only its trailing zeros (``2.2500`` is answered ``2.25``,
    ``4.00`` is ``4``); its value never changes. Very small values keep
    ``Decimal``'s exponent form (``1E-8``), still a JSON number.
    """
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return _exact_for(value).normalize(value)


def _exact_for(value: Decimal) -> Context:
    """A context in which arithmetic on ``value`` and its square cannot round (it traps)."""
    digits = len(value.as_tuple().digits)
    return Context(prec=2 * digits + 2, traps=[Inexact, Rounded])


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
