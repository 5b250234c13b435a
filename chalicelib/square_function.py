"""What ``get_square_fn`` does with one event: validate, (simulate) work, square.

The clock, the sleep and the random source are passed in, so the function is
deterministic under test; ``app.py`` wires the real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from chalicelib import arithmetic, contract
from chalicelib.environment import float_variable

WORK_SECONDS_VARIABLE = "SQUARE_WORK_SECONDS"
FAULT_RATE_VARIABLE = "SQUARE_FAULT_RATE"


class SimulatedFailure(RuntimeError):
    """Raised on purpose (``SQUARE_FAULT_RATE``) to exercise retries and the DLQ."""


class Knobs(NamedTuple):
    """The simulation knobs of DESIGN.md, read from the environment.

    A named tuple rather than a dataclass: importing ``dataclasses`` (and the
    ``inspect`` it imports) would add about 5 ms to every cold start.
    """

    work_seconds: float = 0.0
    fault_rate: float = 0.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Knobs:
        """Read the knobs; a malformed value raises ``ValueError`` naming the variable."""
        work = float_variable(
            env, WORK_SECONDS_VARIABLE, default=0.0, low=0.0, what="a number of seconds"
        )
        rate = float_variable(env, FAULT_RATE_VARIABLE, default=0.0, low=0.0, high=1.0)
        return cls(work_seconds=work, fault_rate=rate)


def run(
    event: Mapping[str, Any],
    knobs: Knobs,
    sleep: Callable[[float], None],
    random: Callable[[], float],
) -> contract.Body:
    """The body for ``event``: a 200 body, an async result, or a 400 body.

    Bad input is an answer, not an exception: an asynchronous call with a bad
    number is not retried (retrying cannot fix it) and its record lands on the
    success queue carrying the 400 body. Only work failures raise.
    """
    try:
        invocation_type = contract.invocation_type_from_header(event.get("invocation_type"))
    except contract.InvalidInvocationType as problem:
        return contract.error_body(
            event,
            "InvalidInvocationType",
            str(problem),
            " or ".join(contract.ACCEPTED_INVOCATION_TYPES),
        )
    try:
        number = arithmetic.parse_number(_number_text(event))
        result = arithmetic.json_number(arithmetic.square(number))
    except arithmetic.InvalidNumber as problem:
        return contract.error_body(
            event, "InvalidNumber", str(problem), arithmetic.ACCEPTED_NUMBERS
        )
    if knobs.work_seconds > 0:
        sleep(knobs.work_seconds)
    if knobs.fault_rate > 0 and random() < knobs.fault_rate:
        raise SimulatedFailure(f"simulated failure ({FAULT_RATE_VARIABLE}={knobs.fault_rate:g})")
    if invocation_type == contract.EVENT:
        return contract.async_result(event, result)
    return contract.sync_body(event, result)


def _number_text(event: Mapping[str, Any]) -> str:
    number = event.get("number")
    if not isinstance(number, str):
        raise arithmetic.InvalidNumber(
            f"the event's 'number' must be the number's text, got {type(number).__name__}"
        )
    return contract.number_from_path(number)
