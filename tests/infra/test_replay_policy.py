"""What ``python -m local_async.replay --from aws`` reads from the stack, and what it may do."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

import app
from chalicelib.async_api import AsyncApi
from chalicelib.async_api.declaration import AsyncFunction
from infrastructure.stacks import async_api_stack
from local_async.replay import cli
from local_async.replay.adapters import CLOUDFORMATION_ACTIONS, LAMBDA_ACTIONS, SQS_ACTIONS
from local_async.replay.cli import NAME_OUTPUT, ON_FAILURE_QUEUE_URL_OUTPUT, stack_output_key
from tests.infra.conftest import Synthesized, arn_of, queue_id


@pytest.fixture(params=["project", "fixture project"])
def deployed(
    request: pytest.FixtureRequest, fixture_app: ModuleType
) -> tuple[Synthesized, tuple[AsyncFunction, ...]]:
    """Each synthesized stack with its declarations: this project's, and the two functions'."""
    if request.param == "project":
        return request.getfixturevalue("synthesized"), app.api.functions
    return request.getfixturevalue("fixture_synthesized"), AsyncApi.of(fixture_app.app).functions


def function_id(synthesized: Synthesized, function: AsyncFunction) -> str:
    for logical_id, resource in synthesized.resources("AWS::Serverless::Function").items():
        if resource["Properties"]["Handler"] == f"app.{function.name}":
            return logical_id
    raise AssertionError(f"no function of {function.name}")


def test_each_function_has_the_outputs_the_replay_reads(
    deployed: tuple[Synthesized, tuple[AsyncFunction, ...]],
) -> None:
    synthesized, functions = deployed
    outputs = synthesized.template["Outputs"]
    for function in functions:
        name = outputs[stack_output_key(function, NAME_OUTPUT)]
        assert name["Value"] == {"Ref": function_id(synthesized, function)}
        queue = outputs[stack_output_key(function, ON_FAILURE_QUEUE_URL_OUTPUT)]
        assert queue["Value"] == {"Ref": queue_id(synthesized, function.on_failure_queue)}


def test_the_replay_policy_grants_what_the_command_calls_on_this_stack_only(
    deployed: tuple[Synthesized, tuple[AsyncFunction, ...]],
) -> None:
    synthesized, functions = deployed
    [(policy_id, policy)] = synthesized.resources("AWS::IAM::ManagedPolicy").items()
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    granted = {
        statement["Sid"]: (statement["Action"], statement["Resource"]) for statement in statements
    }

    def one_or_list(values: list[Any]) -> Any:
        return values[0] if len(values) == 1 else values

    assert granted == {
        "ReadTheStackOutputs": (one_or_list(list(CLOUDFORMATION_ACTIONS)), {"Ref": "AWS::StackId"}),
        "ReadAndDeleteFailedEventRecords": (
            list(SQS_ACTIONS),
            one_or_list([arn_of(queue_id(synthesized, f.on_failure_queue)) for f in functions]),
        ),
        "InvokeTheFunctionsAgain": (
            one_or_list(list(LAMBDA_ACTIONS)),
            one_or_list([arn_of(function_id(synthesized, f)) for f in functions]),
        ),
    }
    assert {statement["Effect"] for statement in statements} == {"Allow"}
    assert synthesized.template["Outputs"]["ReplayPolicyArn"]["Value"] == {"Ref": policy_id}
    # The queues give their records to QueueReaderRole only (and -c queueReaders): the
    # role that may read them is the one that can replay.
    [(reader_id, _)] = (
        (logical_id, role)
        for logical_id, role in synthesized.resources("AWS::IAM::Role").items()
        if logical_id.startswith("QueueReaderRole")
    )
    assert policy["Properties"]["Roles"] == [{"Ref": reader_id}]


def test_the_command_s_default_stack_is_the_one_the_cdk_app_deploys() -> None:
    assert cli.DEFAULT_STACK_NAME == async_api_stack.DEFAULT_STACK_NAME
