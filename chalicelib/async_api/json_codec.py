"""JSON text in which a ``Decimal`` is a bare JSON number of its exact digits.

Functions may return decimals (the exact example does; DynamoDB gives them
too): this writes them without losing digits, where the standard ``json``
module refuses them and Chalice's ``Response`` turns them into floats. Used for
the route's answers and the local engine's records.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """Serialise ``value`` to JSON, writing decimals as exact JSON numbers."""
    try:
        # Without a Decimal inside, the standard module writes the very same text,
        # several times faster: most bodies and records hold none.
        return json.dumps(value, allow_nan=False)
    except TypeError:  # a Decimal somewhere, or something nothing can write
        return _exact(value)


def _exact(value: Any) -> str:
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
