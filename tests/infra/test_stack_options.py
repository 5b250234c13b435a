"""The stack's options: context flags of the CDK app, and the async policy it reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from chalicelib.async_policy import AsyncPolicy
from infrastructure import app as cdk_app
from infrastructure.stacks.square_stack import SquareStack
from tests.infra.conftest import INFRASTRUCTURE, offline_environment


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


@pytest.mark.parametrize(
    ("key", "value", "variable"),
    [
        ("squareFaultRate", "2", "SQUARE_FAULT_RATE"),
        ("squareFaultRate", "-0.1", "SQUARE_FAULT_RATE"),
        ("squareFaultRate", "often", "SQUARE_FAULT_RATE"),
        ("squareFaultRate", "nan", "SQUARE_FAULT_RATE"),
        ("squareWorkSeconds", "-1", "SQUARE_WORK_SECONDS"),
        ("squareWorkSeconds", "inf", "SQUARE_WORK_SECONDS"),
        ("squareWorkSeconds", "3s", "SQUARE_WORK_SECONDS"),
    ],
)
def test_a_knob_the_function_would_reject_fails_the_synthesis(
    tmp_path: Path, key: str, value: str, variable: str
) -> None:
    app = cdk.App(outdir=str(tmp_path), context={key: value})
    with pytest.raises(cdk_app.InvalidContext) as raised:
        cdk_app.build(app)
    message = str(raised.value)
    assert message.startswith(f"-c {key}={value}: {variable}="), message
    assert "expected a number" in message, "the message says what is accepted"


def test_knob_values_are_passed_as_the_function_reads_them(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"squareFaultRate": 1, "squareWorkSeconds": "0.25"})
    assert cdk_app.knob_environment(app) == {
        "SQUARE_FAULT_RATE": "1",
        "SQUARE_WORK_SECONDS": "0.25",
    }
    assert cdk_app.knob_environment(cdk.App(outdir=str(tmp_path))) == {}


def test_the_cli_reports_a_bad_knob_before_any_synthesis(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRASTRUCTURE,
        env={
            **offline_environment(tmp_path / "cdk.out"),
            "CDK_CONTEXT_JSON": json.dumps({"squareFaultRate": "2"}),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode != 0
    assert "-c squareFaultRate=2: SQUARE_FAULT_RATE='2': expected a number from 0 to 1" in (
        run.stderr
    )
    assert not (tmp_path / "cdk.out" / "serverless-async-lambda-api.template.json").exists()
