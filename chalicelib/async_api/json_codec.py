"""JSON text in which a ``Decimal`` is a bare JSON number of its exact digits.

Functions may return decimals (the exact example does; DynamoDB gives them
too): this writes them without losing digits, as the Lambda Python runtime's
marshaller does (``RawJSON(str(decimal))`` in ``awslambdaric``), where the
standard ``json`` module refuses them and Chalice's ``Response`` turns them into
floats. Used for the route's answers and the local engine's records; a
:class:`RawJSON` value (a payload some other encoder wrote, such as the
runtime's marshaller in the local engine) is written as it is.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class RawJSON:
    """JSON text that :func:`dumps` writes unchanged, wherever it sits in a value.

    A plain class, not a dataclass (whose import would cost every cold start) nor
    a str or tuple (which the standard module would write as a string or a list).
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawJSON) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"RawJSON({self.text!r})"


def dumps(value: Any) -> str:
    """Serialise ``value`` to JSON, writing decimals as exact JSON numbers."""
    try:
        # Without a Decimal inside, the standard module writes the very same text,
        # several times faster: most bodies and records hold none.
        return json.dumps(value, allow_nan=False)
    except TypeError:  # a Decimal or RawJSON somewhere, or something nothing can write
        return _exact(value)


def _exact(value: Any) -> str:
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON representation")
        return str(value)
    if isinstance(value, dict):
        members = (f"{_key(key)}: {_exact(item)}" for key, item in value.items())
        return "{" + ", ".join(members) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_exact(item) for item in value) + "]"
    return json.dumps(value, allow_nan=False)


def _key(key: Any) -> str:
    """A member name as ``json.dumps`` writes it (``True`` as ``"true"``, 1 as ``"1"``)."""
    if isinstance(key, str):
        return json.dumps(key)
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(json.dumps(key, allow_nan=False))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
