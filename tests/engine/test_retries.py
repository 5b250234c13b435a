"""The retry schedule and event-age decisions: pure functions, no clock, no sleep."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api import AsyncInvokeConfig
from local_async import retries
from local_async.destinations import backoff_seconds

ACCEPTED_AT = 1_700_000_000.0


def make_config(attempts: int = 2, max_age: int = 3600) -> AsyncInvokeConfig:
    return AsyncInvokeConfig(maximum_retry_attempts=attempts, maximum_event_age_seconds=max_age)


#: The example's declared configuration (app.py).
DECLARED = make_config(attempts=2, max_age=3600)


def test_the_delay_before_retry_n_is_n_times_the_base() -> None:
    assert retries.retry_delay_seconds(1, 60) == 60
    assert retries.retry_delay_seconds(2, 60) == 120
    assert retries.retry_delay_seconds(2, 0.25) == 0.5


def test_retry_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        retries.retry_delay_seconds(0, 1)


def test_the_declared_policy_gives_three_attempts_then_the_dead_letter_queue() -> None:
    now = ACCEPTED_AT
    first = retries.after_failure(
        failed_attempts=1,
        accepted_at=ACCEPTED_AT,
        now=now,
        config=DECLARED,
        base_delay_seconds=1,
    )
    assert first == retries.Retry(retry_number=1, due_at=now + 1)
    second = retries.after_failure(
        failed_attempts=2,
        accepted_at=ACCEPTED_AT,
        now=now + 1,
        config=DECLARED,
        base_delay_seconds=1,
    )
    assert second == retries.Retry(retry_number=2, due_at=now + 3)
    third = retries.after_failure(
        failed_attempts=3,
        accepted_at=ACCEPTED_AT,
        now=now + 3,
        config=DECLARED,
        base_delay_seconds=1,
    )
    assert third == retries.Exhausted(attempts=3)


def test_no_retry_when_the_policy_allows_none() -> None:
    decision = retries.after_failure(
        failed_attempts=1,
        accepted_at=ACCEPTED_AT,
        now=ACCEPTED_AT,
        config=make_config(attempts=0),
        base_delay_seconds=1,
    )
    assert decision == retries.Exhausted(attempts=1)


def test_a_retry_past_the_event_age_is_due_at_the_expiry() -> None:
    decision = retries.after_failure(
        failed_attempts=1,
        accepted_at=ACCEPTED_AT,
        now=ACCEPTED_AT + 50,
        config=make_config(max_age=60),
        base_delay_seconds=60,
    )
    assert decision == retries.Retry(retry_number=1, due_at=ACCEPTED_AT + 60)
    assert retries.is_expired(ACCEPTED_AT, decision.due_at, make_config(max_age=60))


def test_an_event_expires_when_it_reaches_the_maximum_age() -> None:
    limits = make_config(max_age=60)
    assert retries.expires_at(ACCEPTED_AT, limits) == ACCEPTED_AT + 60
    assert not retries.is_expired(ACCEPTED_AT, ACCEPTED_AT + 59.999, limits)
    assert retries.is_expired(ACCEPTED_AT, ACCEPTED_AT + 60, limits)


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        retries.after_failure(
            failed_attempts=0,
            accepted_at=ACCEPTED_AT,
            now=ACCEPTED_AT,
            config=DECLARED,
            base_delay_seconds=1,
        )


@given(
    attempts_allowed=st.integers(min_value=0, max_value=2),
    max_age=st.integers(min_value=60, max_value=21600),
    base=st.floats(min_value=0, max_value=10_000, allow_nan=False),
    run_time=st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_failing_every_attempt_gives_retries_plus_one_attempts_on_schedule(
    attempts_allowed: int, max_age: int, base: float, run_time: float
) -> None:
    """Simulate an always-failing function: the schedule Lambda's docs describe."""
    limits = make_config(attempts=attempts_allowed, max_age=max_age)
    expiry = retries.expires_at(ACCEPTED_AT, limits)
    started = ACCEPTED_AT
    attempts = 0
    while True:
        attempts += 1
        failed_at = started + run_time
        decision = retries.after_failure(
            failed_attempts=attempts,
            accepted_at=ACCEPTED_AT,
            now=failed_at,
            config=limits,
            base_delay_seconds=base,
        )
        if isinstance(decision, retries.Exhausted):
            break
        assert decision.retry_number == attempts
        assert decision.due_at == min(failed_at + attempts * base, expiry)
        started = decision.due_at
    assert attempts == attempts_allowed + 1
    assert decision == retries.Exhausted(attempts=attempts_allowed + 1)


@given(
    failures=st.integers(min_value=1, max_value=200),
    initial=st.floats(min_value=0.001, max_value=10, allow_nan=False),
    cap=st.floats(min_value=0.001, max_value=600, allow_nan=False),
)
def test_delivery_backoff_doubles_and_is_capped(failures: int, initial: float, cap: float) -> None:
    wait = backoff_seconds(failures, initial, cap)
    assert wait <= cap
    assert wait == min(cap, initial * 2 ** min(failures - 1, 32))
    assert backoff_seconds(failures + 1, initial, cap) >= wait
    assert backoff_seconds(1, initial, cap) == min(initial, cap)
