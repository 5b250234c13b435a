"""The stack's options: context flags of the CDK app, and the async policy it reads."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template

from chalicelib.async_policy import AsyncPolicy
from infrastructure import app as cdk_app
from infrastructure.stacks.square_stack import SquareStack


def test_context_turns_off_the_account_role_and_sets_the_knobs(tmp_path: Path) -> None:
    app = cdk.App(
        outdir=str(tmp_path),
        context={
            "apiGatewayCloudWatchRole": "false",
            "squareFaultRate": "0.5",
            "squareWorkSeconds": "3",
        },
    )
    stack = cdk_app.build(app)
    app.synth()  # cdk-nag passes: nothing left to acknowledge for the account role
    template = json.loads((tmp_path / f"{stack.stack_name}.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert "AWS::ApiGateway::Account" not in types
    assert "DependsOn" not in template["Resources"]["RestAPI"]
    function = template["Resources"]["GetSquareFn"]["Properties"]
    assert function["Environment"]["Variables"] == {
        "SQUARE_FAULT_RATE": "0.5",
        "SQUARE_WORK_SECONDS": "3",
    }


def test_async_settings_and_queue_names_come_from_the_policy(tmp_path: Path) -> None:
    policy = AsyncPolicy(
        function_name="get_square_fn",
        maximum_retry_attempts=0,
        maximum_event_age_seconds=60,
        destination_queue_name="other_results",
        dead_letter_queue_name="other_failures",
    )
    app = cdk.App(outdir=str(tmp_path))
    stack = SquareStack(app, "policy-test", policy=policy, api_gateway_cloudwatch_role=False)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
    )
    names = {
        queue["Properties"]["QueueName"]
        for queue in template.find_resources("AWS::SQS::Queue").values()
    }
    assert names == {"other_results", "other_failures"}
