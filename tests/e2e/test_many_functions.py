"""The fixture project under a real ``chalice local``: two functions, one engine, one store.

The fixture is this project with a second function added as
docs/add-your-own-endpoint.md says (``GET /reports/{account}/{month}``, two path
parameters, its own timeout and retry count).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import requests

from tests.support.chalice_local import ChaliceLocal
from tests.support.declared import DEST
from tests.support.engine_e2e import (
    accept,
    engine_env,
    log_events,
    receive_records,
    run_receive_cli,
)

# One worker runs the module under pytest-xdist: one server for its tests.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("many_functions")]

REPORT_QUEUE = "async_build_report_fn_dest_queue"


@dataclass(frozen=True)
class Running:
    url: str
    state_dir: Path
    log_path: Path


@pytest.fixture(scope="module")
def server(fixture_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    work = tmp_path_factory.mktemp("many-functions")
    env = engine_env(work / "state")
    log_path = work / "server.log"
    with ChaliceLocal(env, project_dir=fixture_project, log_path=log_path) as running:
        yield Running(running.url, work / "state", log_path)


def test_both_routes_answer_synchronously(server: Running) -> None:
    square = requests.get(f"{server.url}/square/12", timeout=10).json()
    report = requests.get(f"{server.url}/reports/acme/2024-02", timeout=10).json()
    assert square["square_of_your_number_is"] == 144
    assert (report["account"], report["month"], report["days"]) == ("acme", "2024-02", 29)
    assert report["api_resource_path"] == "/reports/{account}/{month}"


def test_each_route_refuses_its_own_bad_input(server: Running) -> None:
    answer = requests.get(f"{server.url}/reports/acme/2024-13", timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidMonth"
    assert answer.json()["accepted"].startswith("a month as YYYY-MM")


def test_one_engine_runs_both_and_each_record_lands_on_its_own_queue(
    server: Running, fixture_project: Path, fixture_app: ModuleType
) -> None:
    state_dir = server.state_dir
    square_ids = {accept(server.url, str(n))["api_request_id"] for n in range(3)}
    report = requests.get(
        f"{server.url}/reports/globex/2026-11", headers={"InvocationType": "Event"}, timeout=10
    )
    assert report.status_code == 202
    squares = receive_records(state_dir, DEST, 3, project_dir=fixture_project)
    [report_record] = receive_records(state_dir, REPORT_QUEUE, 1, project_dir=fixture_project)
    assert {r["requestPayload"]["api_request_id"] for r in squares} == square_ids
    assert report_record["requestPayload"]["api_request_id"] == report.json()["api_request_id"]
    assert report_record["responsePayload"]["days"] == 30
    assert report_record["requestContext"]["functionArn"].endswith(
        ":function:serverless-async-lambda-api-dev-build_report_fn:$LATEST"
    )
    [started] = log_events(server.log_path, "async.engine.started")
    assert sorted(started["functions"]) == sorted(f.name for f in fixture_app.api.functions)
    assert {"get_square_fn", "build_report_fn"} <= set(started["functions"])
    assert started["functions"]["build_report_fn"]["timeout_seconds"] == 10
    assert started["functions"]["build_report_fn"]["maximum_retry_attempts"] == 1


def test_the_record_reader_offers_every_declared_queue(
    server: Running, fixture_project: Path
) -> None:
    state_dir = server.state_dir
    done = run_receive_cli(state_dir, "--help", project_dir=fixture_project)
    for queue in (DEST, REPORT_QUEUE, "async_build_report_fn_dlq"):
        assert queue in done.stdout


def test_the_fixture_s_code_passes_the_project_s_strict_type_check(fixture_project: Path) -> None:
    # The docs page's code is the fixture's: checked as a user's project would be.
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "app.py", "chalicelib/reports.py"],
        cwd=fixture_project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
