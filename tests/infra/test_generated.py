"""The files derived from the declarations are current, and follow every declared function."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.project import PROJECT_DIR


def generate(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infrastructure.generate", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_committed_files_are_what_make_generate_writes() -> None:
    done = generate(PROJECT_DIR, "--check")
    assert done.returncode == 0, done.stderr


def test_a_stale_file_is_named_with_the_command_that_fixes_it(fixture_project: Path) -> None:
    policy = fixture_project / ".chalice" / "policy.json"
    kept = policy.read_text()
    policy.write_text("{}")
    try:
        done = generate(fixture_project, "--check")
        assert done.returncode == 1
        assert "stale: .chalice/policy.json (run `make generate`)" in done.stderr
    finally:
        policy.write_text(kept)


def test_a_second_function_gets_its_config_policies_and_openapi_path(
    fixture_project: Path,
) -> None:
    chalice = fixture_project / ".chalice"
    config = json.loads((chalice / "config.json").read_text())
    assert config["lambda_functions"]["build_report_fn"] == {
        "lambda_timeout": 10,
        "lambda_memory_size": 256,
        "iam_policy_file": "policy-build-report-fn.json",
    }
    assert config["stages"] == {"dev": {"environment_variables": {"API_STAGE": "dev"}}}, (
        "keys the generator does not own are kept"
    )
    handler = json.loads((chalice / "policy.json").read_text())
    (invoke,) = (s for s in handler["Statement"] if s["Action"] == "lambda:InvokeFunction")
    assert invoke["Resource"] == [
        "arn:*:lambda:*:*:function:serverless-async-lambda-api-*-get_square_fn",
        "arn:*:lambda:*:*:function:serverless-async-lambda-api-*-build_report_fn",
    ]
    own = json.loads((chalice / "policy-build-report-fn.json").read_text())
    assert [s["Action"] for s in own["Statement"]] == [
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    ]
    document = yaml.safe_load((fixture_project / "docs" / "openapi.yaml").read_text())
    assert list(document["paths"]) == ["/square/{number}", "/reports/{account}/{month}"]
    month = document["paths"]["/reports/{account}/{month}"]["get"]["parameters"][1]
    assert (month["name"], month["schema"]["pattern"]) == ("month", "^20[0-9]{2}-(0[1-9]|1[0-2])$")
    assert generate(fixture_project, "--check").returncode == 0
