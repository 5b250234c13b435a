"""When a failed event is retried and when it is too old to run: pure decisions.

Lambda retries a failed asynchronous invocation ``MaximumRetryAttempts`` times,
waiting about 1 minute before the first retry and 2 minutes before the second,
and sends events older than ``MaximumEventAgeInSeconds`` to the failure
destination. Locally the delay before retry *n* is *n* x a base delay (AWS's
pattern with a base of about 60 s), so the whole path can be watched in seconds.

Times are plain epoch seconds passed in by the caller: no clock is read here.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.async_api.declaration import AsyncInvokeConfig


@dataclass(frozen=True)
class Retry:
    """Run the event again: retry number ``retry_number`` is due at ``due_at``."""

    retry_number: int
    due_at: float


@dataclass(frozen=True)
class Exhausted:
    """No retry is left: the event goes to the failure destination."""

    attempts: int


Decision = Retry | Exhausted


def retry_delay_seconds(retry_number: int, base_delay_seconds: float) -> float:
    """The wait before retry ``retry_number`` (1 for the first retry): n x base."""
    if retry_number < 1:
        raise ValueError(f"retry numbers start at 1, got {retry_number}")
    return retry_number * base_delay_seconds


def expires_at(accepted_at: float, config: AsyncInvokeConfig) -> float:
    """The moment an event accepted at ``accepted_at`` becomes too old to run."""
    return accepted_at + config.maximum_event_age_seconds


def is_expired(accepted_at: float, now: float, config: AsyncInvokeConfig) -> bool:
    """Whether the event has reached the maximum event age at ``now``."""
    return now >= expires_at(accepted_at, config)


def after_failure(
    *,
    failed_attempts: int,
    accepted_at: float,
    now: float,
    config: AsyncInvokeConfig,
    base_delay_seconds: float,
) -> Decision:
    """What to do once attempt number ``failed_attempts`` has failed at ``now``.

    A retry is never scheduled past the event's expiry: if the delay would
    reach it, the retry is due at the expiry itself, where the event is found
    too old and reported with ``EventAgeExceeded``, as Lambda does.
    """
    if failed_attempts < 1:
        raise ValueError(f"attempt numbers start at 1, got {failed_attempts}")
    if failed_attempts > config.maximum_retry_attempts:
        return Exhausted(attempts=failed_attempts)
    due_at = now + retry_delay_seconds(failed_attempts, base_delay_seconds)
    return Retry(retry_number=failed_attempts, due_at=min(due_at, expires_at(accepted_at, config)))
