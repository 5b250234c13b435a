"""Plain `chalice deploy`: the route invokes the function with boto3, Event or RequestResponse.

A loopback stand-in for the Lambda Invoke API (``tests.support.fake_lambda``)
records what boto3 sends and answers as Lambda would; nothing reaches AWS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.chalice_local import PROJECT_DIR, free_port
from tests.support.fake_lambda import FakeLambda, Reply, fake_lambda

API_HANDLER = "serverless-async-lambda-api-dev"


@pytest.fixture
def lambda_endpoint() -> Iterator[FakeLambda]:
    with fake_lambda() as server:
        yield server


def request_in_lambda(
    endpoint: str, path: str, *invocation_type: str, sdk_retries: bool = False
) -> dict[str, Any]:
    """The route's answer in a fresh API handler; ``sdk_retries``: botocore's own default."""
    env = {
        **os.environ,
        "AWS_LAMBDA_FUNCTION_NAME": API_HANDLER,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_ENDPOINT_URL_LAMBDA": endpoint,
        **({} if sdk_retries else {"AWS_MAX_ATTEMPTS": "1"}),
    }
    run = subprocess.run(
        [sys.executable, "-m", "tests.support.route_in_lambda", path, *invocation_type],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return answer


def test_event_calls_are_invoked_asynchronously_on_get_square_fn(
    lambda_endpoint: FakeLambda,
) -> None:
    answer = request_in_lambda(lambda_endpoint.url, "/square/%2D4", "Event")
    assert answer["status"] == 202, answer
    [invocation] = lambda_endpoint.invocations
    assert invocation["path"] == f"/2015-03-31/functions/{API_HANDLER}-get_square_fn/invocations"
    assert invocation["invocation_type"] == "Event"
    assert invocation["event"]["number"] == "%2D4", "the event carries the raw path text"
    assert invocation["event"]["api_request_id"] == answer["body"]["api_request_id"]


def test_when_lambda_cannot_be_reached_nothing_is_accepted() -> None:
    answer = request_in_lambda(f"http://127.0.0.1:{free_port()}", "/square/4", "Event")
    assert answer["status"] == 503, answer
    assert answer["body"]["error"] == "NotAccepted"


#: What get_square_fn's runtime answers: its result, or Lambda's error object.
SQUARE_PAYLOAD = b'{"api_stage": "dev", "api_request_id": "r", "square_of_your_number_is": 16}'
TIMED_OUT = (
    b'{"errorMessage": "Task timed out after 60.00 seconds", "errorType": "Sandbox.Timedout"}'
)


@pytest.mark.parametrize(
    ("reply", "status", "body"),
    [
        (Reply(SQUARE_PAYLOAD), 200, json.loads(SQUARE_PAYLOAD)),
        (Reply(TIMED_OUT, function_error="Unhandled"), 502, {"error_type": "Sandbox.Timedout"}),
    ],
    ids=["result", "function-error"],
)
def test_sync_calls_invoke_the_function_and_answer_its_payload(
    reply: Reply, status: int, body: dict[str, Any]
) -> None:
    with fake_lambda(lambda _: reply) as endpoint:
        answer = request_in_lambda(endpoint.url, "/square/4")
        [invocation] = endpoint.invocations
    assert answer["status"] == status, answer
    assert body.items() <= answer["body"].items(), answer
    assert invocation["path"] == f"/2015-03-31/functions/{API_HANDLER}-get_square_fn/invocations"
    assert invocation["invocation_type"] == "RequestResponse"
    assert invocation["event"]["invocation_type"] == "RequestResponse"


def test_a_sync_call_lambda_throttles_is_a_503_and_is_not_retried() -> None:
    with fake_lambda(lambda _: 429) as endpoint:
        answer = request_in_lambda(endpoint.url, "/square/4", "RequestResponse", sdk_retries=True)
        invocations = len(endpoint.invocations)
    assert (answer["status"], answer["body"]["error"]) == (503, "NotInvoked"), answer
    assert invocations == 1, "a retried RequestResponse call would run the function again"
