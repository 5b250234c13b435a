"""cfn-lint and cdk-nag (AwsSolutions) on the synthesized stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

#: Every AwsSolutions finding the stack accepts; each must carry a reason.
ACKNOWLEDGED = {
    "AwsSolutions::AwsSolutions-SQS3": 2,
    "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs]": 1,
}


@pytest.fixture(params=["project", "fixture"])
def stack(request: pytest.FixtureRequest, synthesized: Synthesized) -> Synthesized:
    """This project's stack, and the fixture's (two functions)."""
    if request.param == "project":
        return synthesized
    fixture: Synthesized = request.getfixturevalue("fixture_synthesized")
    return fixture


def test_cfn_lint_finds_nothing(stack: Synthesized) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    run = subprocess.run(
        [str(cfn_lint), "--format", "json", str(stack.template_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    matches: list[dict[str, Any]] = json.loads(run.stdout or "[]")
    errors = [m for m in matches if m["Level"] == "Error"]
    warnings = [m for m in matches if m["Level"] == "Warning"]
    assert errors == [], errors
    assert warnings == [], warnings
    assert run.returncode == 0, run.stderr


def test_cdk_nag_reports_no_unacknowledged_finding(stack: Synthesized) -> None:
    # infrastructure/app.py registers AwsSolutionsChecks: any finding fails the synthesis
    # (the session fixture asserts it succeeded); the report lists none.
    report = json.loads((stack.outdir / "validation-report.json").read_text())
    failures = [r for r in report["pluginReports"] if r["conclusion"] != "success"]
    assert failures == []


def acknowledgments(synthesized: Synthesized) -> dict[str, list[str]]:
    """Acknowledged rule ids and their reasons, from the resources' Metadata."""
    found: dict[str, list[str]] = {}
    for resource in synthesized.template["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            found.setdefault(rule["id"], []).append(rule["reason"])
    return found


def test_each_acknowledgment_has_a_reason(synthesized: Synthesized) -> None:
    found = acknowledgments(synthesized)
    assert {rule: len(reasons) for rule, reasons in found.items()} == ACKNOWLEDGED
    for rule, reasons in found.items():
        for reason in reasons:
            assert len(reason) > 40, (rule, reason)


def test_each_acknowledgment_is_needed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the acknowledgments, cdk-nag fails on exactly those findings."""
    import aws_cdk as cdk

    from infrastructure import app as cdk_app
    from infrastructure.stacks import nag

    skipped: list[str] = []
    monkeypatch.setattr(nag, "acknowledge", lambda construct, rule, reason: skipped.append(rule))
    app = cdk.App(outdir=str(tmp_path))
    cdk_app.build(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    violations = [
        f"AwsSolutions::{violation['ruleName']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for _construct in violation["violatingConstructs"]
    ]
    assert sorted(violations) == sorted(skipped)
    assert {rule: skipped.count(rule) for rule in skipped} == ACKNOWLEDGED
