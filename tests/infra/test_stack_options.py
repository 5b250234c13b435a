"""The stack's options: context flags of the CDK app, and the declarations it reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as app_module
from chalicelib.async_api import AsyncApi, AsyncFunction, AsyncInvokeConfig
from infrastructure import app as cdk_app
from infrastructure.stacks.async_api_stack import (
    DEFAULT_STACK_NAME,
    RATE_LIMIT_WINDOW_SECONDS,
    AsyncApiStack,
    resource_id,
)
from infrastructure.stacks.async_function import QueueNameTooLong
from infrastructure.translated import TRANSLATED_SUFFIX
from tests.infra.conftest import INFRASTRUCTURE, REPO_ROOT, offline_environment
from tests.support.declared import FUNCTIONS, NAME, SQUARE


def synthesized_template(app: cdk.App, stack: AsyncApiStack, outdir: Path) -> dict[str, Any]:
    """The stack's template, after both checks passed (cdk-nag, and on the SAM translation)."""
    assert cdk_app.synthesize(app, stack) == []
    template: dict[str, Any] = json.loads(
        (outdir / f"{stack.stack_name}.template.json").read_text(encoding="utf-8")
    )
    return template


def test_context_sets_the_functions_environment(tmp_path: Path) -> None:
    app = cdk.App(
        outdir=str(tmp_path),
        context={"env:SQUARE_FAULT_RATE": "0.5", "env:SQUARE_WORK_SECONDS": "3"},
    )
    template = synthesized_template(app, cdk_app.build(app), tmp_path)
    function = template["Resources"]["GetSquareFn"]["Properties"]
    assert function["Environment"]["Variables"] == {
        "SQUARE_FAULT_RATE": "0.5",
        "SQUARE_WORK_SECONDS": "3",
    }


def test_the_account_logging_role_only_when_asked_and_kept_on_teardown(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"apiGatewayCloudWatchRole": "true"})
    template = synthesized_template(app, cdk_app.build(app), tmp_path)
    resources = template["Resources"]
    (account_id,) = (k for k, r in resources.items() if r["Type"] == "AWS::ApiGateway::Account")
    account = resources[account_id]
    assert account["DeletionPolicy"] == "Retain"
    role = resources[account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]]
    assert role["DeletionPolicy"] == "Retain"
    assert "apigateway.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    assert resources["RestAPI"]["DependsOn"] == [account_id]


def test_a_rate_limit_puts_a_web_acl_on_the_stage(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"rateLimitPerIp": "300"})
    template = synthesized_template(app, cdk_app.build(app), tmp_path)
    resources = template["Resources"]
    (web_acl_id, web_acl) = next(
        (k, r) for k, r in resources.items() if r["Type"] == "AWS::WAFv2::WebACL"
    )
    properties = web_acl["Properties"]
    assert properties["Scope"] == "REGIONAL"
    assert properties["DefaultAction"] == {"Allow": {}}
    (rule,) = properties["Rules"]
    assert rule["Statement"] == {
        "RateBasedStatement": {
            "AggregateKeyType": "IP",
            "Limit": 300,
            "EvaluationWindowSec": RATE_LIMIT_WINDOW_SECONDS,
        }
    }
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    body = properties["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert json.loads(body["Content"])["error"] == "TooManyRequests"
    (association,) = (r for r in resources.values() if r["Type"] == "AWS::WAFv2::WebACLAssociation")
    assert association["Properties"] == {
        "WebACLArn": {"Fn::GetAtt": [web_acl_id, "Arn"]},
        "ResourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}"
            "/stages/${RestAPI.Stage}"
        },
    }
    translated = json.loads((tmp_path / f"{DEFAULT_STACK_NAME}{TRANSLATED_SUFFIX}").read_text())
    (stage_id,) = (
        k for k, r in translated["Resources"].items() if r["Type"] == "AWS::ApiGateway::Stage"
    )
    (translated_association,) = (
        r for r in translated["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACLAssociation"
    )
    assert translated_association["Properties"]["ResourceArn"]["Fn::Sub"].endswith(
        f"/stages/${{{stage_id}}}"
    ), "SAM resolves the stage: the association is made after it"


@pytest.mark.parametrize("value", ["9", "2000000001", "-5", "1e3", "lots"])
def test_a_rate_limit_waf_would_refuse_fails_the_synthesis(tmp_path: Path, value: str) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"rateLimitPerIp": value})
    with pytest.raises(cdk_app.InvalidContext, match=r"rateLimitPerIp=.*from 10 to 2,000,000,000"):
        cdk_app.build(app)


def test_named_queue_readers_join_the_stack_s_reader_role(tmp_path: Path) -> None:
    readers = [
        "arn:aws:iam::123456789012:role/Reports",
        "arn:aws:iam::123456789012:user/ops/alice",
    ]
    app = cdk.App(outdir=str(tmp_path), context={"queueReaders": " , ".join(readers)})
    template = synthesized_template(app, cdk_app.build(app), tmp_path)
    for policy in (
        r for r in template["Resources"].values() if r["Type"] == "AWS::SQS::QueuePolicy"
    ):
        (read,) = (
            st
            for st in policy["Properties"]["PolicyDocument"]["Statement"]
            if st.get("Sid") == "OnlyNamedReadersRead"
        )
        allowed = read["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        assert allowed[1:] == readers
        assert allowed[0]["Fn::GetAtt"][0].startswith("QueueReaderRole")


@pytest.mark.parametrize(
    "value",
    ["arn:aws:iam::123456789012:root", "arn:aws:sts::123456789012:assumed-role/R/s", "*", "Ops"],
)
def test_a_queue_reader_that_is_not_a_role_or_user_arn_fails_the_synthesis(
    tmp_path: Path, value: str
) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"queueReaders": value})
    with pytest.raises(cdk_app.InvalidContext, match="is not an IAM role or user ARN"):
        cdk_app.build(app)


def template_of(square: AsyncFunction, outdir: Path) -> Template:
    """The default stack of this project with ``square`` declared in place of the example."""
    app = cdk.App(outdir=str(outdir))
    functions = [square if function.name == square.name else function for function in FUNCTIONS]
    stack = AsyncApiStack(app, DEFAULT_STACK_NAME, project_dir=REPO_ROOT, functions=functions)
    return Template.from_stack(stack)


def test_a_function_declared_without_reserved_concurrency_has_none(tmp_path: Path) -> None:
    template = template_of(SQUARE._replace(reserved_concurrency=None), tmp_path)
    function = template.find_resources("AWS::Serverless::Function")[resource_id(SQUARE)]
    assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_async_settings_and_queue_names_come_from_the_declaration(tmp_path: Path) -> None:
    config = AsyncInvokeConfig(
        maximum_retry_attempts=0,
        maximum_event_age_seconds=60,
        on_success_queue="other_results",
        on_failure_queue="other_failures",
    )
    template = template_of(SQUARE._replace(config=config), tmp_path)
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": resource_id(SQUARE)},
            "MaximumRetryAttempts": 0,
            "MaximumEventAgeInSeconds": 60,
        },
    )
    names = {
        queue["Properties"]["QueueName"]
        for queue in template.find_resources("AWS::SQS::Queue").values()
    }
    others = {name for function in FUNCTIONS if function.name != NAME for name in function.queues}
    assert names == {"other_results", "other_failures", *others}


def test_another_stack_prefixes_its_queue_names_so_both_fit_one_account(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"stackName": "async-staging"})
    stack = cdk_app.build(app)
    assert stack.stack_name == "async-staging"
    names = {
        queue["Properties"]["QueueName"]
        for queue in Template.from_stack(stack).find_resources("AWS::SQS::Queue").values()
    }
    assert names == {f"async-staging-{name}" for function in FUNCTIONS for name in function.queues}


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
        ("SQUARE_WORK_SECONDS", "59.5"),
        ("SQUARE_WORK_SECONDS", "60"),
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
