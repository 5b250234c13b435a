"""The Lambda-like context object handed to the function."""

from __future__ import annotations

import re

from local_async.context import LambdaContext, log_stream_name
from local_async.function_config import LocalFunction

FUNCTION = LocalFunction(
    name="serverless-async-lambda-api-dev-get_square_fn",
    region="eu-west-1",
    account_id="123456789012",
    timeout_seconds=60,
    memory_size_mb=128,
)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_context_has_the_lambda_runtime_s_attributes() -> None:
    context = LambdaContext(
        function=FUNCTION,
        request_id="req-1",
        deadline=160.0,
        log_stream="2024/01/31/[$LATEST]abc",
        monotonic=FakeMonotonic(),
    )
    assert context.aws_request_id == "req-1"
    assert context.function_name == "serverless-async-lambda-api-dev-get_square_fn"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == (
        "arn:aws:lambda:eu-west-1:123456789012:function:serverless-async-lambda-api-dev-get_square_fn"
    )
    assert context.memory_limit_in_mb == "128"
    assert context.log_group_name == "/aws/lambda/serverless-async-lambda-api-dev-get_square_fn"
    assert context.log_stream_name == "2024/01/31/[$LATEST]abc"
    assert context.identity is None
    assert context.client_context is None


def test_remaining_time_counts_down_to_zero_and_stays_there() -> None:
    clock = FakeMonotonic()
    context = LambdaContext(
        function=FUNCTION, request_id="r", deadline=160.0, log_stream="s", monotonic=clock
    )
    assert context.get_remaining_time_in_millis() == 60_000
    clock.now = 159.5
    assert context.get_remaining_time_in_millis() == 500
    clock.now = 200.0
    assert context.get_remaining_time_in_millis() == 0


def test_log_stream_names_follow_lambda_s_format() -> None:
    name = log_stream_name(1706659200.0)
    assert re.fullmatch(r"2024/01/31/\[\$LATEST\][0-9a-f]{32}", name)
    assert log_stream_name(1706659200.0) != name


def test_arns_name_the_deployed_function() -> None:
    assert FUNCTION.latest_arn == FUNCTION.arn + ":$LATEST"
