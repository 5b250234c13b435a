"""The one declaration of how asynchronous calls of get_square_fn behave.

Read by the CDK stack (``AWS::Lambda::EventInvokeConfig`` and the queues) and by
the local engine, so ``chalice local`` retries, ages out and delivers exactly as
the deployed stack is configured to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AsyncPolicy:
    """Lambda's asynchronous-invocation settings for one function."""

    function_name: str
    #: Lambda's MaximumRetryAttempts: 0 to 2 retries after the first attempt.
    maximum_retry_attempts: int
    #: Lambda's MaximumEventAgeInSeconds: 60 to 21600.
    maximum_event_age_seconds: int
    #: On-success destination (an SQS queue name).
    destination_queue_name: str
    #: On-failure destination, the dead-letter queue (an SQS queue name).
    dead_letter_queue_name: str

    def __post_init__(self) -> None:
        if not 0 <= self.maximum_retry_attempts <= 2:
            raise ValueError("maximum_retry_attempts must be 0, 1 or 2, as on Lambda")
        if not 60 <= self.maximum_event_age_seconds <= 21600:
            raise ValueError("maximum_event_age_seconds must be 60-21600, as on Lambda")


GET_SQUARE_FN_POLICY = AsyncPolicy(
    function_name="get_square_fn",
    maximum_retry_attempts=2,
    maximum_event_age_seconds=3600,
    destination_queue_name="async_get_square_fn_dest_queue",
    dead_letter_queue_name="async_get_square_fn_dlq",
)
