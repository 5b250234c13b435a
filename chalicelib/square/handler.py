"""What ``get_square_fn`` does with one request: validate, (simulate) work, square.

The sleep and the random source are passed in, so the function is
deterministic under test; app.py wires the real ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import NamedTuple

from chalicelib.async_api import InvalidInput, Parameter, Result
from chalicelib.async_api.environment import float_variable
from chalicelib.square import arithmetic

WORK_SECONDS_VARIABLE = "SQUARE_WORK_SECONDS"
FAULT_RATE_VARIABLE = "SQUARE_FAULT_RATE"
RESULT_KEY = "square_of_your_number_is"
#: The simulated work ends at least this long before the function's timeout, leaving the
#: rest of the call (parsing, the answer) its time: a run near the timeout would hold its
#: concurrency for the whole timeout and then fail anyway.
WORK_MARGIN_SECONDS = 1.0

#: The route's ``{number}``: in 400 answers and the OpenAPI document.
NUMBER = Parameter(
    accepted=arithmetic.ACCEPTED_NUMBERS,
    pattern=arithmetic.NUMBER_PATTERN,
    max_length=arithmetic.MAX_NUMBER_LENGTH,
    example="2",
)
#: The OpenAPI schema of the result's keys.
RESULT_SCHEMA = {RESULT_KEY: {"type": "number"}}


class SimulatedFailure(RuntimeError):
    """Raised on purpose (``SQUARE_FAULT_RATE``) to exercise retries and the on-failure queue."""


class Settings(NamedTuple):
    """The example's simulation settings, read from the environment.

    A named tuple rather than a dataclass: importing ``dataclasses`` (and the
    ``inspect`` it imports) would add about 5 ms to every cold start.
    """

    work_seconds: float = 0.0
    fault_rate: float = 0.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str], *, timeout_seconds: float) -> Settings:
        """Read the settings of a function that times out after ``timeout_seconds``.

        ``SQUARE_WORK_SECONDS`` must end :data:`WORK_MARGIN_SECONDS` before the
        timeout. A malformed or out-of-range value raises ``ValueError`` naming the
        variable and what is accepted.
        """
        work = float_variable(
            env,
            WORK_SECONDS_VARIABLE,
            default=0.0,
            low=0.0,
            high=timeout_seconds - WORK_MARGIN_SECONDS,
            what="a number of seconds",
            hint=f" (the function times out after {timeout_seconds:g} s)",
        )
        rate = float_variable(env, FAULT_RATE_VARIABLE, default=0.0, low=0.0, high=1.0)
        return cls(work_seconds=work, fault_rate=rate)

    @classmethod
    def reader(cls, *, timeout_seconds: float) -> Callable[[Mapping[str, str]], Settings]:
        """:meth:`from_environment` for a function with that timeout: ``env -> Settings``."""
        return functools.partial(cls.from_environment, timeout_seconds=timeout_seconds)


def square_of(
    number_text: str,
    settings: Settings,
    sleep: Callable[[float], None],
    random: Callable[[], float],
) -> Result:
    """The result for the decoded ``number_text``: ``{"square_of_your_number_is": ...}``.

    Bad input raises :class:`InvalidInput` before any work is done: retrying
    cannot fix it. Only the simulated work failure raises anything else.
    """
    try:
        number = arithmetic.parse_number(number_text)
        result = arithmetic.json_number(arithmetic.square(number))
    except arithmetic.InvalidNumber as problem:
        raise InvalidInput("InvalidNumber", str(problem), arithmetic.ACCEPTED_NUMBERS) from None
    if settings.work_seconds > 0:
        sleep(settings.work_seconds)
    if settings.fault_rate > 0 and random() < settings.fault_rate:
        raise SimulatedFailure(f"simulated failure ({FAULT_RATE_VARIABLE}={settings.fault_rate:g})")
    return {RESULT_KEY: result}
