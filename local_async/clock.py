"""The engine's time model, and the one rule for waits that outlive a process: pure code.

Durations inside one process (a function's timeout, backoff, polling, a
reader's wait) are measured on the monotonic clock, which no clock step moves.
The wall clock is read only where AWS defines a time: the timestamps of
records and messages, and an event's age (``MaximumEventAgeInSeconds``). Two
waits must survive a restart and so are stored on the wall clock: a retry's
due time and a record's visibility timeout. Each is stored with its length, and
:func:`wait_is_over` never lets a backward step of the wall clock stretch one
beyond that length (a forward step ends it early, as it ages events early).
Nothing about who owns what depends on any clock (see ``liveness``).
"""

from __future__ import annotations

#: Float rounding of ``until - now`` at epoch magnitudes is below a microsecond.
ROUNDING_SECONDS = 0.001


def wait_is_over(until: float, length: float, now: float) -> bool:
    """Whether a wait of ``length`` seconds that ends at ``until`` is over at ``now``.

    All three in seconds on the wall clock. Over when ``now`` reaches ``until``,
    or when ``until`` is further away than the whole wait: the clock was
    stepped back since the wait began, and waiting for ``until`` would add the
    size of the step to the wait.
    """
    return now >= until or until - now > length + ROUNDING_SECONDS
