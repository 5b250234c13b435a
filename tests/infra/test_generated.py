"""The files derived from the declarations are current, and follow every declared function."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from chalice.config import Config

from chalicelib.async_api import AsyncFunction
from tests.support.declared import FUNCTIONS, SQUARE
from tests.support.project import PROJECT_DIR, copy_project


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
    policy = fixture_project / ".chalice" / "policy-dev.json"
    kept = policy.read_text()
    policy.write_text("{}")
    try:
        done = generate(fixture_project, "--check")
        assert done.returncode == 1
        assert "stale: .chalice/policy-dev.json (run `make generate`)" in done.stderr
    finally:
        policy.write_text(kept)


def test_a_policy_file_no_stage_uses_is_refused_and_removed(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    unused = project / ".chalice" / "policy.json"
    unused.write_text('{"Version": "2012-10-17", "Statement": []}')
    done = generate(project, "--check")
    assert done.returncode == 1
    assert "unused: .chalice/policy.json is no stage's policy" in done.stderr
    assert generate(project).returncode == 0
    assert not unused.exists()
    assert generate(project, "--check").returncode == 0


def test_a_second_function_gets_its_config_policies_and_openapi_path(
    fixture_project: Path, fixture_app: ModuleType
) -> None:
    declared: tuple[AsyncFunction, ...] = fixture_app.api.functions
    chalice = fixture_project / ".chalice"
    config = json.loads((chalice / "config.json").read_text())
    assert config["lambda_functions"]["build_report_fn"] == {
        "lambda_timeout": 10,
        "lambda_memory_size": 256,
        "reserved_concurrency": 10,
    }
    reserved = sum(function.reserved_concurrency or 0 for function in declared)
    assert reserved >= 20
    longest = max(function.timeout_seconds for function in declared)
    assert config["lambda_functions"]["api_handler"] == {
        "reserved_concurrency": reserved,
        "lambda_timeout": longest + 15,
    }, "the API handler waits for every function's synchronous calls, and outlives them"
    assert config["stages"]["dev"]["environment_variables"] == {"API_STAGE": "dev"}, (
        "keys the generator does not own are kept"
    )
    assert config["stages"]["dev"]["lambda_functions"]["build_report_fn"] == {
        "iam_policy_file": "policy-dev-build-report-fn.json"
    }
    handler = json.loads((chalice / "policy-dev.json").read_text())
    (invoke,) = (s for s in handler["Statement"] if s["Action"] == "lambda:InvokeFunction")
    assert invoke["Resource"] == [
        f"arn:*:lambda:*:*:function:serverless-async-lambda-api-dev-{function.name}"
        for function in declared
    ]
    own = json.loads((chalice / "policy-dev-build-report-fn.json").read_text())
    assert [s["Action"] for s in own["Statement"]] == [
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    ]
    document = yaml.safe_load((fixture_project / "docs" / "openapi.yaml").read_text())
    assert list(document["paths"]) == [function.route for function in declared]
    assert {SQUARE.route, "/reports/{account}/{month}"} <= set(document["paths"])
    month = document["paths"]["/reports/{account}/{month}"]["get"]["parameters"][1]
    assert (month["name"], month["schema"]["pattern"]) == ("month", "^20[0-9]{2}-(0[1-9]|1[0-2])$")
    assert generate(fixture_project, "--check").returncode == 0


def test_the_api_handler_is_unbounded_when_a_function_is() -> None:
    from infrastructure.generate import chalice_config

    functions = [SQUARE, SQUARE._replace(name="other_fn", reserved_concurrency=None)]
    existing = {"lambda_functions": {"api_handler": {"reserved_concurrency": 5}}}
    assert (
        "reserved_concurrency"
        not in chalice_config(existing, functions)["lambda_functions"]["api_handler"]
    )
    assert chalice_config(existing, [SQUARE])["lambda_functions"]["api_handler"] == {
        "reserved_concurrency": 10,
        "lambda_timeout": SQUARE.timeout_seconds + 15,
    }


def test_the_api_handler_outlives_its_longest_synchronous_call_within_lambda_s_900_s() -> None:
    from infrastructure.generate import api_handler_timeout

    assert api_handler_timeout([SQUARE._replace(timeout_seconds=3)]) == 18
    assert api_handler_timeout([SQUARE, SQUARE._replace(timeout_seconds=890)]) == 900


def two_stage_project(tmp_path: Path) -> Path:
    """A copy of the project whose config.json declares stages dev and prod, generated."""
    project = copy_project(tmp_path / "project")
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["stages"]["prod"] = {"environment_variables": {"API_STAGE": "prod"}}
    config_path.write_text(json.dumps(config))
    assert generate(project).returncode == 0
    return project


def statements(project: Path, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads((project / ".chalice" / name).read_text())["Statement"]
    return found


def test_each_stage_s_policies_name_only_that_stage_s_functions_in_the_own_account(
    tmp_path: Path,
) -> None:
    project = two_stage_project(tmp_path)
    for stage, other in (("dev", "prod"), ("prod", "dev")):
        files = [f"policy-{stage}.json", f"policy-{stage}-get-square-fn.json"]
        for name in files:
            for statement in statements(project, name):
                assert statement["Condition"] == {
                    "StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}
                }, (name, "the caller's own account only")
                resources = json.dumps(statement["Resource"])
                assert f"serverless-async-lambda-api-{stage}" in resources, name
                assert f"-{other}" not in resources and "*-" not in resources, (name, resources)
        (invoke,) = (
            s for s in statements(project, files[0]) if s["Action"] == "lambda:InvokeFunction"
        )
        assert invoke["Resource"] == [
            f"arn:*:lambda:*:*:function:serverless-async-lambda-api-{stage}-{function.name}"
            for function in FUNCTIONS
        ]
        (logs,) = statements(project, files[1])
        assert logs["Resource"] == [
            f"arn:*:logs:*:*:log-group:/aws/lambda/serverless-async-lambda-api-{stage}-get_square_fn",
            f"arn:*:logs:*:*:log-group:/aws/lambda/serverless-async-lambda-api-{stage}-get_square_fn:*",
        ]


def test_chalice_reads_each_stage_s_own_policy_and_refuses_an_undeclared_stage(
    tmp_path: Path,
) -> None:
    project = two_stage_project(tmp_path)
    config = json.loads((project / ".chalice" / "config.json").read_text())
    assert "iam_policy_file" not in config, "no top-level policy: any stage would find it"
    for stage in ("dev", "prod"):
        handler = Config(chalice_stage=stage, function_name="api_handler", config_from_disk=config)
        function = Config(chalice_stage=stage, function_name=SQUARE.name, config_from_disk=config)
        assert handler.iam_policy_file == f"policy-{stage}.json"
        assert function.iam_policy_file == f"policy-{stage}-get-square-fn.json"
        assert function.reserved_concurrency == SQUARE.reserved_concurrency
        assert (project / ".chalice" / function.iam_policy_file).exists()
    # Chalice then falls back to .chalice/policy-<stage>.json, which is not there.
    staging = Config(chalice_stage="staging", function_name=SQUARE.name, config_from_disk=config)
    assert staging.iam_policy_file is None
    assert not (project / ".chalice" / "policy-staging.json").exists()
