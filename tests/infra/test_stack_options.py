"""The stack's options: context flags of the CDK app, and the declarations it reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as app_module
from chalicelib.async_api import AsyncApi, AsyncInvokeConfig
from infrastructure import app as cdk_app
from infrastructure.stacks.async_api_stack import DEFAULT_STACK_NAME, AsyncApiStack
from infrastructure.stacks.async_function import QueueNameTooLong
from tests.infra.conftest import INFRASTRUCTURE, REPO_ROOT, offline_environment
from tests.support.declared import DEST, DLQ, SQUARE


def test_context_turns_off_the_account_role_and_sets_the_environment(tmp_path: Path) -> None:
    app = cdk.App(
        outdir=str(tmp_path),
        context={
            "apiGatewayCloudWatchRole": "false",
            "env:SQUARE_FAULT_RATE": "0.5",
            "env:SQUARE_WORK_SECONDS": "3",
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


def test_async_settings_and_queue_names_come_from_the_declaration(tmp_path: Path) -> None:
    config = AsyncInvokeConfig(
        maximum_retry_attempts=0,
        maximum_event_age_seconds=60,
        on_success_queue="other_results",
        on_failure_queue="other_failures",
    )
    app = cdk.App(outdir=str(tmp_path))
    stack = AsyncApiStack(
        app,
        DEFAULT_STACK_NAME,
        project_dir=REPO_ROOT,
        functions=[SQUARE._replace(config=config)],
        api_gateway_cloudwatch_role=False,
    )
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


def test_another_stack_prefixes_its_queue_names_so_both_fit_one_account(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"stackName": "async-staging"})
    stack = cdk_app.build(app)
    assert stack.stack_name == "async-staging"
    names = {
        queue["Properties"]["QueueName"]
        for queue in Template.from_stack(stack).find_resources("AWS::SQS::Queue").values()
    }
    assert names == {f"async-staging-{DEST}", f"async-staging-{DLQ}"}


def test_a_queue_name_too_long_for_sqs_fails_the_synthesis(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"stackName": "s" * 60})
    with pytest.raises(QueueNameTooLong, match="SQS allows 80"):
        cdk_app.build(app)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SQUARE_FAULT_RATE", "2"),
        ("SQUARE_FAULT_RATE", "-0.1"),
        ("SQUARE_FAULT_RATE", "often"),
        ("SQUARE_FAULT_RATE", "nan"),
        ("SQUARE_WORK_SECONDS", "-1"),
        ("SQUARE_WORK_SECONDS", "inf"),
        ("SQUARE_WORK_SECONDS", "3s"),
    ],
)
def test_a_value_the_function_would_reject_fails_the_synthesis(
    tmp_path: Path, variable: str, value: str
) -> None:
    app = cdk.App(outdir=str(tmp_path), context={f"env:{variable}": value})
    with pytest.raises(cdk_app.InvalidContext) as raised:
        cdk_app.build(app)
    message = str(raised.value)
    assert message.startswith("-c env:NAME=value: async function 'get_square_fn': "), message
    assert f"{variable}={value!r}: expected a number" in message, "says what is accepted"


def test_environment_values_are_passed_as_the_functions_read_them(tmp_path: Path) -> None:
    app = cdk.App(
        outdir=str(tmp_path),
        context={"env:SQUARE_FAULT_RATE": 1, "env:SQUARE_WORK_SECONDS": "0.25", "other": "x"},
    )
    api = AsyncApi.of(app_module.app)
    assert cdk_app.function_environment(app, api) == {
        "SQUARE_FAULT_RATE": "1",
        "SQUARE_WORK_SECONDS": "0.25",
    }
    assert cdk_app.function_environment(cdk.App(outdir=str(tmp_path)), api) == {}


def test_the_cli_reports_a_bad_value_before_any_synthesis(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRASTRUCTURE,
        env={
            **offline_environment(tmp_path / "cdk.out"),
            "CDK_CONTEXT_JSON": json.dumps({"env:SQUARE_FAULT_RATE": "2"}),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode != 0
    assert "SQUARE_FAULT_RATE='2': expected a number from 0 to 1" in run.stderr
    assert not (tmp_path / "cdk.out" / "serverless-async-lambda-api.template.json").exists()
