"""The context object a function receives, shaped like the Lambda Python runtime's."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from local_async.function_config import LocalFunction


def log_stream_name(started_at: float) -> str:
    """A log stream name in Lambda's format: ``YYYY/MM/DD/[$LATEST]<32 hex digits>``.

    Lambda names one stream per execution environment; the engine makes one
    per process, the local counterpart.
    """
    day = datetime.fromtimestamp(started_at, UTC).strftime("%Y/%m/%d")
    return f"{day}/[$LATEST]{uuid.uuid4().hex}"


class LambdaContext:
    """What ``context`` offers a handler on Lambda, for one invocation."""

    def __init__(
        self,
        *,
        function: LocalFunction,
        request_id: str,
        deadline: float,
        log_stream: str,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Describe the invocation ``request_id``, which must end by ``deadline``.

        ``deadline`` is on the ``monotonic`` clock, so wall-clock jumps do not
        change the remaining time.
        """
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        # A string, as the runtime reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
        self.memory_limit_in_mb = str(function.memory_size_mb)
        self.aws_request_id = request_id
        self.log_group_name = function.log_group_name
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = None
        self._deadline = deadline
        self._monotonic = monotonic

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout, never negative."""
        return max(0, int((self._deadline - self._monotonic()) * 1000))
