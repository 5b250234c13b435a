"""Reading numeric settings from environment variables, with messages that help."""

from __future__ import annotations

import math
from collections.abc import Mapping


def float_variable(
    env: Mapping[str, str],
    name: str,
    *,
    default: float,
    low: float,
    high: float = math.inf,
    what: str = "a number",
    hint: str = "",
) -> float:
    """The finite number in ``env[name]`` between ``low`` and ``high``, or ``default`` if unset.

    Anything else raises ``ValueError`` naming the variable, what it held and
    what is accepted, followed by ``hint``.
    """
    raw = env.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        bound = f"from {low:g} to {high:g}" if math.isfinite(high) else f">= {low:g}"
        raise ValueError(f"{name}={raw!r}: expected {what} {bound}{hint}")
    return value
