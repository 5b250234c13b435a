"""The local async engine under a real ``chalice local``: records, the DLQ, crashes, reloads."""

from __future__ import annotations

import itertools
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.chalice_local import ChaliceLocal
from tests.support.declared import DEST, DLQ
from tests.support.engine_e2e import (
    accept,
    engine_env,
    log_events,
    receive_records,
    wait_for_log,
)
from tests.support.moto_sqs import MotoSqs
from tests.support.project import copy_project

pytestmark = pytest.mark.e2e

BASE_DELAY = 0.3


def by_api_id(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["requestPayload"]["api_request_id"]: record for record in found}


def epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def test_every_accepted_event_gets_its_success_record(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with ChaliceLocal(engine_env(state)) as server:
        accepted = {accept(server.url, str(n))["api_request_id"]: n for n in range(-10, 10)}
        found = by_api_id(receive_records(state, DEST, len(accepted)))
    assert set(found) == set(accepted)
    for api_request_id, number in accepted.items():
        record = found[api_request_id]
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestContext"]["functionArn"] == (
            "arn:aws:lambda:us-east-1:123456789012:function:"
            "serverless-async-lambda-api-dev-get_square_fn:$LATEST"
        )
        assert record["responsePayload"]["square_of_your_number_is"] == number * number
    assert receive_records(state, DLQ, 0, timeout=0) == []


def test_a_failing_function_reaches_the_dlq_after_three_attempts_on_schedule(
    tmp_path: Path,
) -> None:
    state, log = tmp_path / "state", tmp_path / "server.log"
    env = engine_env(state, SQUARE_FAULT_RATE="1", AWS_REGION="us-east-1")
    with ChaliceLocal(env, log_path=log) as server:
        sent_at = time.time()
        api_request_id = accept(server.url, "7")["api_request_id"]
        [record] = receive_records(state, DLQ, 1)
    assert record["requestPayload"]["api_request_id"] == api_request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "SimulatedFailure"
    # Retry n waits n x the base delay: 0.3 s, then 0.6 s.
    starts = [
        epoch(line["timestamp"])
        for line in log_events(log, "async.attempt.started")
        if line["request_id"] == api_request_id
    ]
    assert len(starts) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    for retry_number, gap in enumerate(gaps, start=1):
        assert retry_number * BASE_DELAY - 0.01 <= gap <= retry_number * BASE_DELAY + 1.0
    assert epoch(record["timestamp"]) >= sent_at + 3 * BASE_DELAY - 0.01
    assert receive_records(state, DEST, 0, timeout=0) == []


def test_kill_9_mid_flight_loses_nothing_and_work_resumes_on_restart(tmp_path: Path) -> None:
    state, log = tmp_path / "state", tmp_path / "server.log"
    env = engine_env(state, SQUARE_WORK_SECONDS="1", ASYNC_CONCURRENCY="2")
    server = ChaliceLocal(env, log_path=log).start()
    try:
        accepted = {accept(server.url, str(n))["api_request_id"] for n in range(6)}
        wait_for_log(log, "async.attempt.started", 2)  # two run, four wait
    finally:
        server.kill_hard()
    assert len(log_events(log, "async.record.stored")) < len(accepted)  # work was cut short
    # Restarted with no new request: the engine starts with the server.
    with ChaliceLocal({**env, "SQUARE_WORK_SECONDS": "0.2"}, log_path=log):
        found = by_api_id(receive_records(state, DEST, len(accepted), timeout=30))
    assert set(found) == accepted
    assert {r["requestContext"]["condition"] for r in found.values()} == {"Success"}


def test_a_reload_on_file_change_loses_nothing(tmp_path: Path) -> None:
    # A small copy of the project: the reloader polls every file under it.
    project = copy_project(tmp_path / "project")
    state, log = tmp_path / "state", tmp_path / "server.log"
    env = engine_env(state, SQUARE_WORK_SECONDS="0.5", ASYNC_CONCURRENCY="2")
    with ChaliceLocal(env, autoreload=True, log_path=log, project_dir=project) as server:
        accepted = {accept(server.url, str(n))["api_request_id"] for n in range(6)}
        wait_for_log(log, "async.attempt.started", 1)
        later = time.time() + 5
        os.utime(project / "app.py", (later, later))  # a save in the editor
        wait_for_log(log, "async.engine.started", 2)  # the new worker's engine
        found = by_api_id(receive_records(state, DEST, len(accepted), timeout=30))
    assert set(found) == accepted


def test_with_an_sqs_endpoint_records_land_on_its_queues(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with MotoSqs() as sqs:
        env = engine_env(state, AWS_ENDPOINT_URL_SQS=sqs.url)
        with ChaliceLocal(env) as server:
            accepted = {accept(server.url, str(n))["api_request_id"] for n in range(5)}
            found = by_api_id(sqs.bodies(DEST, len(accepted)))
    assert set(found) == accepted
    assert receive_records(state, DEST, 0, timeout=0) == []
