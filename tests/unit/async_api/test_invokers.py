"""The boto3 invokers of plain `chalice deploy` (Event, RequestResponse), and the lazy wrapper."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib.async_api import invokers
from tests.support.events import api_event

EVENT = api_event(
    {"number": "0.1"},
    resource_path="/square/{number}",
    invocation_type="Event",
    stage="api",
    request_id="req-7",
    source_ip="203.0.113.9",
    user_agent="curl",
)


def lambda_client() -> Any:
    return boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_events_are_invoked_with_invocation_type_event_on_chalices_function_name() -> None:
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "serverless-async-lambda-api-prod-get_square_fn",
                "InvocationType": "Event",
                "Payload": json.dumps(EVENT).encode(),
            },
        )
        invoker = invokers.LambdaEventInvoker("serverless-async-lambda-api-prod", client)
        invoker.submit("get_square_fn", EVENT)
        stub.assert_no_pending_responses()


def test_an_answer_other_than_202_is_not_an_acceptance() -> None:
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 200})
        with pytest.raises(invokers.InvokeFailed, match="200"):
            invokers.LambdaEventInvoker("app-dev", client).submit("f", EVENT)


def test_in_lambda_the_invoker_is_named_after_the_api_handler() -> None:
    env = {"AWS_LAMBDA_FUNCTION_NAME": "app-dev", "AWS_DEFAULT_REGION": "us-east-1"}
    chosen = invokers.lambda_event_invoker(env)
    assert chosen.function_name("build_report_fn") == "app-dev-build_report_fn"


class FailingStart:
    def __init__(self) -> None:
        self.starts = 0

    def submit(self, function_name: str, event: Mapping[str, Any]) -> None:
        raise AssertionError("an unstarted invoker must never be handed out")

    def start(self) -> None:
        self.starts += 1
        if self.starts == 1:
            raise OSError("store locked")


def test_an_invoker_whose_start_failed_is_built_again() -> None:
    failing = FailingStart()
    lazy = invokers.Lazy(lambda: invokers.started(failing))
    with pytest.raises(OSError):
        lazy.get()
    assert lazy.get() is failing and failing.starts == 2


def payload_of(text: str) -> StreamingBody:
    data = text.encode()
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.mark.parametrize(
    ("answer", "payload"),
    [
        ({"StatusCode": 200}, '{"api_stage": "api", "n": 4}'),
        (
            {"StatusCode": 200, "FunctionError": "Unhandled"},
            '{"errorMessage": "late", "errorType": "Sandbox.Timedout"}',
        ),
    ],
)
def test_sync_calls_are_request_response_invocations_whose_payload_is_passed_on(
    answer: dict[str, Any], payload: str
) -> None:
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {**answer, "Payload": payload_of(payload)},
            {
                "FunctionName": "serverless-async-lambda-api-prod-get_square_fn",
                "InvocationType": "RequestResponse",
                "Payload": json.dumps(EVENT).encode(),
            },
        )
        invoker = invokers.LambdaSyncInvoker("serverless-async-lambda-api-prod", client)
        assert invoker.invoke("get_square_fn", EVENT) == payload
        stub.assert_no_pending_responses()


def test_a_sync_call_lambda_refused_is_not_invoked() -> None:
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke", "TooManyRequestsException", "Rate Exceeded.", 429)
        with pytest.raises(invokers.InvokeFailed, match="TooManyRequestsException"):
            invokers.LambdaSyncInvoker("app-dev", client).invoke("f", EVENT)


def test_sync_calls_wait_for_the_longest_function_and_are_never_retried() -> None:
    env = {"AWS_LAMBDA_FUNCTION_NAME": "app-dev", "AWS_DEFAULT_REGION": "us-east-1"}
    chosen = invokers.lambda_sync_invoker(env, longest_timeout_seconds=300)
    config = chosen._client.meta.config
    assert config.read_timeout > 300, "botocore's 60 s default would cut long functions off"
    assert config.retries["total_max_attempts"] == 1, "a retried RequestResponse runs it again"
