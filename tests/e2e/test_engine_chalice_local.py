"""The local async engine under a real ``chalice local``: records, the DLQ, crashes, reloads.

Also two servers on one store with a function that holds the GIL past the old
heartbeat lease (issue 16), and an SQS endpoint given records over SQS's
batch limit and a queue with a 1 KiB limit (issue 11).
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

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

#: Given to get_square_fn instead of time.sleep in a copy of the project: it
#: sleeps 2 s (the test's requests are answered meanwhile), then works for the
#: seconds asked in one C call that never releases the GIL, so no other thread
#: of its process runs (a heartbeat thread would not either).
_HOLD_THE_GIL = """
def _sleep_then_hold_the_gil(seconds: float) -> None:
    time.sleep(2)
    modulus = (1 << 2048) - 159
    began = time.perf_counter()
    pow(3, (1 << 20_000) - 1, modulus)
    bits = int(20_000 * seconds / (time.perf_counter() - began))
    pow(3, (1 << bits) - 1, modulus)


"""

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


def gil_holding_project(destination: Path) -> Path:
    """A copy of the project whose get_square_fn holds the GIL for ``SQUARE_WORK_SECONDS``."""
    project = copy_project(destination)
    app_py = project / "app.py"
    text = app_py.read_text(encoding="utf-8")
    call = 'square.square_of(request.path["number"], settings, time.sleep, _random)'
    assert call in text, "app.py no longer hands get_square_fn its sleep: update this test"
    text = text.replace(call, call.replace("time.sleep", "_sleep_then_hold_the_gil"))
    app_py.write_text(text.replace("def _random(", _HOLD_THE_GIL + "def _random(", 1))
    return project


def test_two_servers_on_one_store_run_a_gil_holding_function_once_per_event(
    tmp_path: Path,
) -> None:
    project = gil_holding_project(tmp_path / "project")
    state, logs = tmp_path / "state", [tmp_path / "first.log", tmp_path / "second.log"]
    # 6 s of GIL: past the 5 s heartbeat lease that let the other server take over.
    env = engine_env(state, SQUARE_WORK_SECONDS="6", ASYNC_CONCURRENCY="2")
    with (
        ChaliceLocal(env, log_path=logs[0], project_dir=project) as first,
        ChaliceLocal(env, log_path=logs[1], project_dir=project),
    ):
        # The first server's two workers take two events and hold its GIL for
        # about 12 s; the second server takes the third, then waits with nothing to do.
        accepted = {accept(first.url, str(n))["api_request_id"] for n in range(3)}
        found = by_api_id(receive_records(state, DEST, 3, timeout=90, project_dir=project))
    starts = [
        Counter(line["request_id"] for line in log_events(log, "async.attempt.started"))
        for log in logs
    ]
    assert set(found) == accepted
    assert starts[0] + starts[1] == dict.fromkeys(accepted, 1), f"attempts by server: {starts}"
    assert {r["requestContext"]["approximateInvokeCount"] for r in found.values()} == {1}
    assert receive_records(state, DEST, 0, timeout=0, project_dir=project) == []
    assert receive_records(state, DLQ, 0, timeout=0, project_dir=project) == []


#: A function whose results are as large as asked: records over SQS's batch limit
#: without client text over API Gateway's header limit (which chalice local enforces).
_LARGE_RESULTS = """
@api.function("/blobs/{size}", config=AsyncInvokeConfig(maximum_retry_attempts=0))
def blob_fn(request: AsyncRequest) -> Result:
    \"\"\"A result of ``size`` characters.\"\"\"
    return {"blob": "x" * int(request.path["size"])}


"""
BLOB_QUEUE = "async_blob_fn_dest_queue"


def large_results_project(destination: Path) -> Path:
    """A copy of the project with a second function, ``GET /blobs/{size}``."""
    project = copy_project(destination)
    app_py = project / "app.py"
    text = app_py.read_text(encoding="utf-8")
    marker = "# Last, once every function is declared"
    assert marker in text, "app.py's last block moved: update this test"
    app_py.write_text(text.replace(marker, _LARGE_RESULTS + marker, 1), encoding="utf-8")
    return project


def test_with_an_sqs_endpoint_large_records_arrive_and_a_1_kib_queue_keeps_its_own(
    tmp_path: Path,
) -> None:
    project = large_results_project(tmp_path / "project")
    state, log = tmp_path / "state", tmp_path / "server.log"
    with MotoSqs() as sqs:
        sqs.client().create_queue(QueueName=DEST, Attributes={"MaximumMessageSize": "1024"})
        env = engine_env(state, AWS_ENDPOINT_URL_SQS=sqs.url)
        with ChaliceLocal(env, log_path=log, project_dir=project) as server:

            def call(path: str, user_agent: str = "python-requests") -> str:
                answer = requests.get(
                    f"{server.url}{path}",
                    headers={"InvocationType": "Event", "User-Agent": user_agent},
                    timeout=10,
                )
                assert answer.status_code == 202, answer.text
                return str(answer.json()["api_request_id"])

            # Interleaved: the squares' records, over the 1 KiB limit, hold up nothing.
            blobs, squares = set(), set()
            for n in range(12):
                blobs.add(call("/blobs/120000"))  # records of about 120 KB
                if n % 4 == 0:
                    squares.add(call(f"/square/{n}", "y" * 2000))  # records over 1 KiB
            delivered = by_api_id(sqs.bodies(BLOB_QUEUE, 12, timeout=60))
            kept = by_api_id(receive_records(state, DEST, 3, project_dir=project))
            lines = log_events(log, "async.delivery.kept_locally")
    assert set(delivered) == blobs
    assert {len(r["responsePayload"]["blob"]) for r in delivered.values()} == {120_000}
    assert set(kept) == squares
    assert sorted(line["request_id"] for line in lines) == sorted(squares)
    assert {line["read_it_with"] for line in lines} == {
        f"python -m local_async.receive --queue-name {DEST}"
    }
    assert all("MaximumMessageSize of 1024 bytes" in line["reason"] for line in lines)
