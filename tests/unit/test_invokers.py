"""The boto3 invoker used under plain `chalice deploy`, and the lazy wrapper."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import contract, invokers

EVENT = contract.build_event(
    number="0.1",
    invocation_type="Event",
    stage="api",
    request_id="req-7",
    http_method="GET",
    source_ip="203.0.113.9",
    user_agent="curl",
)


def lambda_client() -> Any:
    return boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_events_are_invoked_with_invocation_type_event() -> None:
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "serverless-async-lambda-api-dev-get_square_fn",
                "InvocationType": "Event",
                "Payload": json.dumps(EVENT).encode(),
            },
        )
        invokers.LambdaEventInvoker("serverless-async-lambda-api-dev-get_square_fn", client).submit(
            EVENT
        )
        stub.assert_no_pending_responses()


def test_an_answer_other_than_202_is_not_an_acceptance() -> None:
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 200})
        with pytest.raises(invokers.InvokeFailed, match="200"):
            invokers.LambdaEventInvoker("f", client).submit(EVENT)


def test_the_function_name_follows_chalices_naming_unless_set() -> None:
    derived = {"AWS_LAMBDA_FUNCTION_NAME": "serverless-async-lambda-api-prod"}
    assert (
        invokers.lambda_function_name(derived) == "serverless-async-lambda-api-prod-get_square_fn"
    )
    explicit = {**derived, "GET_SQUARE_FN_NAME": "custom-name"}
    assert invokers.lambda_function_name(explicit) == "custom-name"


def test_in_lambda_the_boto3_invoker_is_chosen() -> None:
    env = {"AWS_LAMBDA_FUNCTION_NAME": "app-dev", "AWS_DEFAULT_REGION": "us-east-1"}
    chosen = invokers.for_environment(env, lambda event, context: None)
    assert isinstance(chosen, invokers.LambdaEventInvoker)


class FailingStart:
    def __init__(self) -> None:
        self.starts = 0

    def submit(self, event: contract.SquareEvent) -> None:
        raise AssertionError("an unstarted invoker must never be handed out")

    def start(self) -> None:
        self.starts += 1
        if self.starts == 1:
            raise OSError("store locked")


def test_an_invoker_whose_start_failed_is_built_again() -> None:
    failing = FailingStart()
    lazy = invokers.LazyInvoker(lambda: failing)
    with pytest.raises(OSError):
        lazy.get()
    assert lazy.get() is failing and failing.starts == 2
