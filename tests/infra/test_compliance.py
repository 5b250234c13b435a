"""cfn-lint and cdk-nag (AwsSolutions) on the synthesized stack and on its SAM translation.

cdk-nag's API Gateway and Lambda rules skip SAM resources (issue 15), so each
check runs on two templates: the one CDK synthesizes (``AWS::Serverless::*``
resources) and the one CloudFormation deploys after the SAM transform
(``infrastructure/translated.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks

from infrastructure import app as cdk_app
from infrastructure import translated
from infrastructure.stacks.async_api_stack import resource_id
from tests.infra.conftest import Synthesized
from tests.support.declared import FUNCTIONS

#: Every AwsSolutions finding the default stack accepts, by rule, with how many resources
#: of the synthesized template carry it: the API's once, each declared function's once
#: per function or per queue. The API's and the functions' are found only in the
#: translated template.
ACKNOWLEDGED = {
    "AwsSolutions-SQS3": 2 * len(FUNCTIONS),
    "AwsSolutions-APIG2": 1,
    "AwsSolutions-APIG3": 1,
    "AwsSolutions-APIG4": 1,
    "AwsSolutions-APIG6": 1,
    "AwsSolutions-COG4": 1,
    "AwsSolutions-L1": len(FUNCTIONS),
}


@pytest.fixture(params=["project", "fixture"])
def stack(request: pytest.FixtureRequest, synthesized: Synthesized) -> Synthesized:
    """This project's stack, and the fixture's (two functions)."""
    if request.param == "project":
        return synthesized
    fixture: Synthesized = request.getfixturevalue("fixture_synthesized")
    return fixture


def cfn_lint(template: Path) -> list[dict[str, Any]]:
    run = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "json", str(template)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    matches: list[dict[str, Any]] = json.loads(run.stdout or "[]")
    assert matches or run.returncode == 0, run.stderr
    return matches


@pytest.mark.parametrize("which", ["synthesized", "translated"])
def test_cfn_lint_finds_nothing(stack: Synthesized, which: str) -> None:
    # cfn-lint 1.58 checks a SAM template against SAM's schemas without running the
    # transform; the translated template gets CloudFormation's own schemas.
    path = stack.template_path if which == "synthesized" else stack.translated_path
    matches = cfn_lint(path)
    assert [m for m in matches if m["Level"] in ("Error", "Warning")] == []


def test_the_translated_template_is_what_cloudformation_deploys(stack: Synthesized) -> None:
    types = Counter(resource["Type"] for resource in stack.translated["Resources"].values())
    assert not [kind for kind in types if kind.startswith("AWS::Serverless::")]
    assert "Transform" not in stack.translated
    functions = len(stack.resources("AWS::Serverless::Function"))
    assert types["AWS::Lambda::Function"] == functions >= 1
    assert types["AWS::ApiGateway::RestApi"] == types["AWS::ApiGateway::Stage"] == 1


def test_cdk_nag_reports_no_unacknowledged_finding(stack: Synthesized) -> None:
    # infrastructure/app.py registers AwsSolutionsChecks: any finding fails the synthesis
    # (the session fixture asserts it succeeded); the report lists none.
    report = json.loads((stack.outdir / "validation-report.json").read_text())
    failures = [r for r in report["pluginReports"] if r["conclusion"] != "success"]
    assert failures == []


def test_cdk_nag_on_the_translated_template_reports_no_unacknowledged_finding(
    stack: Synthesized,
) -> None:
    assert translated.findings(stack.translated_path) == []


def rules_acknowledged(template: dict[str, Any]) -> Counter[str]:
    return Counter(
        rule
        for resource in template["Resources"].values()
        for rule in translated.acknowledgments(resource)
    )


def test_each_acknowledgment_has_a_reason(synthesized: Synthesized) -> None:
    assert dict(rules_acknowledged(synthesized.template)) == ACKNOWLEDGED
    for resource in synthesized.template["Resources"].values():
        for rule, reason in translated.acknowledgments(resource).items():
            assert len(reason) > 40, (rule, reason)


def test_the_translated_resources_carry_the_acknowledgments_of_their_sam_resource(
    synthesized: Synthesized,
) -> None:
    api = translated.acknowledgments(synthesized.template["Resources"]["RestAPI"])
    stages = synthesized.translated_resources("AWS::ApiGateway::Stage")
    assert [translated.acknowledgments(stage) for stage in stages.values()] == [api]
    for logical_id in map(resource_id, FUNCTIONS):
        function = synthesized.template["Resources"][logical_id]
        assert translated.acknowledgments(
            synthesized.translated["Resources"][logical_id]
        ) == translated.acknowledgments(function)


def findings_without_acknowledgments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The rules acknowledged in the stack, and the findings once none is."""
    from infrastructure.stacks import nag

    skipped: list[str] = []
    monkeypatch.setattr(
        nag, "acknowledge", lambda construct, rule, reason: skipped.append(rule.split("::", 1)[-1])
    )
    app = cdk.App(outdir=str(tmp_path), context=context)
    stack = cdk_app.build(app, nag=False)
    found = cdk_app.synthesize(app, stack)
    synthesized_findings = AwsSolutionsChecks().validate_scope(stack).violations
    original = {violation.rule_name for violation in synthesized_findings}
    assert original <= {finding.rule for finding in found}, "the translation keeps every finding"
    return skipped, [finding.rule for finding in found]


@pytest.mark.parametrize(
    "context",
    [{}, {"rateLimitPerIp": "1000", "apiGatewayCloudWatchRole": "true"}],
    ids=["default", "waf-and-account-role"],
)
def test_each_acknowledgment_is_needed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, context: dict[str, str]
) -> None:
    """Without the acknowledgments, the checks fail on exactly those findings."""
    skipped, found = findings_without_acknowledgments(tmp_path, monkeypatch, context)
    assert Counter(found) == Counter(skipped)
    if context:
        assert "AwsSolutions-APIG3" not in skipped, "with the web ACL, APIG3 holds"
        assert any(rule.startswith("AwsSolutions-IAM4[") for rule in skipped)


def test_methods_without_authorization_are_found_in_the_openapi_body() -> None:
    body: dict[str, Any] = {
        "security": [],
        "paths": {
            "/open/{x}": {"get": {}, "parameters": []},
            "/guarded/{x}": {"get": {"security": [{"authorizer": []}]}, "post": {}},
        },
    }
    template = {
        "Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}}}
    }
    assert translated.unauthorized_operations(template) == {
        "Api": ["GET /open/{x}", "POST /guarded/{x}"]
    }
    body["security"] = [{"authorizer": []}]
    assert translated.unauthorized_operations(template) == {"Api": []}
