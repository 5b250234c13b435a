"""The retry schedule and event-age decisions: pure functions, no clock, no sleep."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_policy import GET_SQUARE_FN_POLICY, AsyncPolicy
from local_async import policy
from local_async.destinations import backoff_seconds

ACCEPTED_AT = 1_700_000_000.0


def make_policy(retries: int = 2, max_age: int = 3600) -> AsyncPolicy:
    return AsyncPolicy(
        function_name="fn",
        maximum_retry_attempts=retries,
        maximum_event_age_seconds=max_age,
        destination_queue_name="ok",
        dead_letter_queue_name="dlq",
    )


def test_the_delay_before_retry_n_is_n_times_the_base() -> None:
    assert policy.retry_delay_seconds(1, 60) == 60
    assert policy.retry_delay_seconds(2, 60) == 120
    assert policy.retry_delay_seconds(2, 0.25) == 0.5


def test_retry_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        policy.retry_delay_seconds(0, 1)


def test_the_declared_policy_gives_three_attempts_then_the_dead_letter_queue() -> None:
    now = ACCEPTED_AT
    first = policy.after_failure(
        failed_attempts=1,
        accepted_at=ACCEPTED_AT,
        now=now,
        policy=GET_SQUARE_FN_POLICY,
        base_delay_seconds=1,
    )
    assert first == policy.Retry(retry_number=1, due_at=now + 1)
    second = policy.after_failure(
        failed_attempts=2,
        accepted_at=ACCEPTED_AT,
        now=now + 1,
        policy=GET_SQUARE_FN_POLICY,
        base_delay_seconds=1,
    )
    assert second == policy.Retry(retry_number=2, due_at=now + 3)
    third = policy.after_failure(
        failed_attempts=3,
        accepted_at=ACCEPTED_AT,
        now=now + 3,
        policy=GET_SQUARE_FN_POLICY,
        base_delay_seconds=1,
    )
    assert third == policy.Exhausted(attempts=3)


def test_no_retry_when_the_policy_allows_none() -> None:
    decision = policy.after_failure(
        failed_attempts=1,
        accepted_at=ACCEPTED_AT,
        now=ACCEPTED_AT,
        policy=make_policy(retries=0),
        base_delay_seconds=1,
    )
    assert decision == policy.Exhausted(attempts=1)


def test_a_retry_past_the_event_age_is_due_at_the_expiry() -> None:
    decision = policy.after_failure(
        failed_attempts=1,
        accepted_at=ACCEPTED_AT,
        now=ACCEPTED_AT + 50,
        policy=make_policy(max_age=60),
        base_delay_seconds=60,
    )
    assert decision == policy.Retry(retry_number=1, due_at=ACCEPTED_AT + 60)
    assert policy.is_expired(ACCEPTED_AT, decision.due_at, make_policy(max_age=60))


def test_an_event_expires_when_it_reaches_the_maximum_age() -> None:
    limits = make_policy(max_age=60)
    assert policy.expires_at(ACCEPTED_AT, limits) == ACCEPTED_AT + 60
    assert not policy.is_expired(ACCEPTED_AT, ACCEPTED_AT + 59.999, limits)
    assert policy.is_expired(ACCEPTED_AT, ACCEPTED_AT + 60, limits)


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        policy.after_failure(
            failed_attempts=0,
            accepted_at=ACCEPTED_AT,
            now=ACCEPTED_AT,
            policy=GET_SQUARE_FN_POLICY,
            base_delay_seconds=1,
        )


@given(
    retries=st.integers(min_value=0, max_value=2),
    max_age=st.integers(min_value=60, max_value=21600),
    base=st.floats(min_value=0, max_value=10_000, allow_nan=False),
    run_time=st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_failing_every_attempt_gives_retries_plus_one_attempts_on_schedule(
    retries: int, max_age: int, base: float, run_time: float
) -> None:
    """Simulate an always-failing function: the schedule Lambda's docs describe."""
    limits = make_policy(retries=retries, max_age=max_age)
    expiry = policy.expires_at(ACCEPTED_AT, limits)
    started = ACCEPTED_AT
    attempts = 0
    while True:
        attempts += 1
        failed_at = started + run_time
        decision = policy.after_failure(
            failed_attempts=attempts,
            accepted_at=ACCEPTED_AT,
            now=failed_at,
            policy=limits,
            base_delay_seconds=base,
        )
        if isinstance(decision, policy.Exhausted):
            break
        assert decision.retry_number == attempts
        assert decision.due_at == min(failed_at + attempts * base, expiry)
        started = decision.due_at
    assert attempts == retries + 1
    assert decision == policy.Exhausted(attempts=retries + 1)


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
