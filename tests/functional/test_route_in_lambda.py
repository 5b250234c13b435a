"""Plain `chalice deploy`: the route hands Event calls to Lambda with boto3.

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
from tests.support.fake_lambda import FakeLambda, fake_lambda

API_HANDLER = "serverless-async-lambda-api-dev"


@pytest.fixture
def lambda_endpoint() -> Iterator[FakeLambda]:
    with fake_lambda() as server:
        yield server


def request_in_lambda(endpoint: str, path: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "AWS_LAMBDA_FUNCTION_NAME": API_HANDLER,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_ENDPOINT_URL_LAMBDA": endpoint,
        "AWS_MAX_ATTEMPTS": "1",
    }
    run = subprocess.run(
        [sys.executable, "-m", "tests.support.route_in_lambda", path],
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
    answer = request_in_lambda(lambda_endpoint.url, "/square/%2D4")
    assert answer["status"] == 202, answer
    [invocation] = lambda_endpoint.invocations
    assert invocation["path"] == f"/2015-03-31/functions/{API_HANDLER}-get_square_fn/invocations"
    assert invocation["invocation_type"] == "Event"
    assert invocation["event"]["number"] == "%2D4", "the event carries the raw path text"
    assert invocation["event"]["api_request_id"] == answer["body"]["api_request_id"]


def test_when_lambda_cannot_be_reached_nothing_is_accepted() -> None:
    answer = request_in_lambda(f"http://127.0.0.1:{free_port()}", "/square/4")
    assert answer["status"] == 503, answer
    assert answer["body"]["error"] == "NotAccepted"
