"""Planning SendMessageBatch calls by bytes and count, and sorting failures: pure rules.

Properties over any record sizes and any failures, with Hypothesis. The
sender itself, against moto's SQS server, is in test_engine_sqs.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local_async.destinations import (
    MAX_BATCH_BYTES,
    MAX_BATCH_ENTRIES,
    THROTTLING_CODES,
    TRANSIENT_CODES,
    Failure,
    is_queue_gone,
    is_retryable,
    plan_batches,
)

KIB = 1024
SIZES = st.lists(st.integers(min_value=0, max_value=1_200_000), max_size=40)
QUEUE_LIMITS = st.integers(min_value=KIB, max_value=MAX_BATCH_BYTES)


@given(sizes=SIZES, limit=QUEUE_LIMITS)
def test_every_record_is_planned_once_in_order_within_sqs_s_limits(
    sizes: list[int], limit: int
) -> None:
    records = list(enumerate(sizes, start=1))
    size_of = dict(records)
    plan = plan_batches(records, max_message_bytes=limit)
    sent = [seq for batch in plan.batches for seq in batch]
    assert sorted(sent + plan.too_large) == [seq for seq, _ in records]
    assert sent == sorted(sent), "the order of the outbox is kept"
    assert plan.too_large == [seq for seq, size in records if size > limit]
    for batch in plan.batches:
        assert 1 <= len(batch) <= MAX_BATCH_ENTRIES
        assert sum(size_of[seq] for seq in batch) <= MAX_BATCH_BYTES


@given(sizes=SIZES, limit=QUEUE_LIMITS)
def test_a_batch_is_closed_only_when_the_next_record_does_not_fit(
    sizes: list[int], limit: int
) -> None:
    records = list(enumerate(sizes, start=1))
    size_of = dict(records)
    plan = plan_batches(records, max_message_bytes=limit)
    for batch, following in zip(plan.batches, plan.batches[1:], strict=False):
        full = len(batch) == MAX_BATCH_ENTRIES
        over = sum(size_of[seq] for seq in batch) + size_of[following[0]] > MAX_BATCH_BYTES
        assert full or over


def test_twelve_records_of_120_kb_take_two_calls_not_one_too_long() -> None:
    plan = plan_batches([(seq, 120_000) for seq in range(12)], max_message_bytes=MAX_BATCH_BYTES)
    assert [len(batch) for batch in plan.batches] == [8, 4]
    assert plan.too_large == []


NO_ANSWER = Failure(code="", message="Could not connect to the endpoint URL")


@pytest.mark.parametrize(
    "failure",
    [
        NO_ANSWER,
        Failure("RequestThrottled", 400),
        Failure("KmsThrottled", 400),
        Failure("ThrottlingException", 400),
        Failure("InternalError", 500),
        Failure("ServiceUnavailable", 503),
        Failure("SomethingNew", 502),
        Failure("", 429),
        Failure("InternalError", sender_fault=False),
        Failure("RequestThrottled", sender_fault=True),
    ],
)
def test_the_endpoint_s_failures_are_retried(failure: Failure) -> None:
    assert is_retryable(failure)


@pytest.mark.parametrize(
    "failure",
    [
        Failure("InvalidParameterValue", 400, message="Message must be shorter than 1024 bytes."),
        Failure("InvalidMessageContents", 400),
        Failure("BatchRequestTooLong", 400),
        Failure("AccessDenied", 403),
        Failure("KmsAccessDenied", 400),
        Failure("AWS.SimpleQueueService.NonExistentQueue", 400),
        Failure("InvalidParameterValue", sender_fault=True),
        Failure("MessageTooLong", sender_fault=True),
    ],
)
def test_the_record_s_failures_are_not(failure: Failure) -> None:
    assert not is_retryable(failure)


@given(code=st.text(max_size=30), status=st.integers(min_value=500, max_value=599))
def test_any_5xx_is_retried(code: str, status: int) -> None:
    assert is_retryable(Failure(code, status))


@given(
    code=st.text(max_size=30).filter(lambda c: c not in THROTTLING_CODES | TRANSIENT_CODES),
    status=st.integers(min_value=400, max_value=499).filter(lambda s: s != 429),
)
def test_a_4xx_or_a_sender_s_fault_is_the_record_s_unless_throttled(code: str, status: int) -> None:
    assert not is_retryable(Failure(code, status))
    assert not is_retryable(Failure(code, sender_fault=True))
    assert is_retryable(Failure(code, sender_fault=False))
    for throttled in THROTTLING_CODES:
        assert is_retryable(Failure(throttled, status))


def test_a_missing_queue_is_recognised_by_both_spellings() -> None:
    assert is_queue_gone(Failure("AWS.SimpleQueueService.NonExistentQueue", 400))
    assert is_queue_gone(Failure("QueueDoesNotExist", 400))
    assert not is_queue_gone(Failure("AccessDenied", 403))
    assert str(Failure("AccessDenied", 403, message="no")) == "AccessDenied: no"
    assert str(NO_ANSWER).startswith("no answer: ")
