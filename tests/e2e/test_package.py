"""What plain `chalice package` / `chalice deploy` ship: the zip and the IAM roles."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

from tests.support.chalice_local import CHALICE
from tests.support.declared import FUNCTIONS
from tests.support.project import copy_project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``chalice package`` of a copy of the project (its build cache stays out of the tree)."""
    work = tmp_path_factory.mktemp("package")
    project = copy_project(work / "project")
    subprocess.run(
        [str(CHALICE), "package", str(work / "out")],
        cwd=project,
        env={
            **os.environ,
            "AWS_DEFAULT_REGION": "us-east-1",
            "ASYNC_STATE_DIR": str(work / "state"),
            "XDG_STATE_HOME": str(work / "xdg"),
        },
        check=True,
        capture_output=True,
        timeout=120,
    )
    return work


def role_statements(package: Path, function_id: str) -> list[dict[str, Any]]:
    resources = json.loads((package / "out" / "sam.json").read_text())["Resources"]
    role_id = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = resources[role_id]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def test_the_lambda_zip_has_no_local_async(package: Path) -> None:
    with zipfile.ZipFile(package / "out" / "deployment.zip") as deployment:
        names = deployment.namelist()
    assert "app.py" in names
    assert "chalicelib/async_api/declaration.py" in names
    assert not [name for name in names if name.startswith("local_async")]


def test_packaging_starts_no_engine(package: Path) -> None:
    assert not (package / "state").exists()
    assert not (package / "xdg").exists()


def test_only_the_stage_s_api_handler_may_invoke_the_stage_s_functions(package: Path) -> None:
    handler = role_statements(package, "APIHandler")
    invoke = [s for s in handler if s["Action"] == "lambda:InvokeFunction"]
    assert [s["Resource"] for s in invoke] == [
        [
            f"arn:*:lambda:*:*:function:serverless-async-lambda-api-dev-{function.name}"
            for function in FUNCTIONS
        ]
    ]
    function = role_statements(package, "GetSquareFn")
    assert all("lambda:" not in json.dumps(s["Action"]) for s in function), function


def test_every_statement_is_limited_to_the_caller_s_own_account(package: Path) -> None:
    for function_id in ("APIHandler", "GetSquareFn"):
        for statement in role_statements(package, function_id):
            assert statement["Condition"] == {
                "StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}
            }, (function_id, statement)


def test_the_functions_and_the_api_handler_have_their_reserved_concurrency(package: Path) -> None:
    resources = json.loads((package / "out" / "sam.json").read_text())["Resources"]
    reservations = [function.reserved_concurrency for function in FUNCTIONS]
    for function, reserved in zip(FUNCTIONS, reservations, strict=True):
        properties = resources[to_cfn_resource_name(function.name)]["Properties"]
        assert properties.get("ReservedConcurrentExecutions") == reserved, function.name
    assert resources["GetSquareFn"]["Properties"]["ReservedConcurrentExecutions"] == 10
    # Synchronous calls of every function run in the API handler under plain `chalice deploy`:
    # bounded by the sum of theirs, unbounded when one of them is.
    handler = resources["APIHandler"]["Properties"].get("ReservedConcurrentExecutions")
    assert handler == (None if None in reservations else sum(filter(None, reservations)))


def test_no_role_writes_outside_the_apps_log_groups(package: Path) -> None:
    for function_id in ("APIHandler", "GetSquareFn"):
        for statement in role_statements(package, function_id):
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                assert resource != "*" and ":*:*:*" not in resource, (function_id, statement)
