"""The engine in-process: results, retries, timeouts, event age, concurrency, restarts.

Real threads and a real store on disk, with retry delays of a few hundredths
of a second.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import app
from chalicelib.async_api import AsyncInvokeConfig
from local_async import engine_for
from local_async.store import SQS
from tests.engine.helpers import (
    BASE_DELAY,
    DEST,
    DLQ,
    FUNCTION,
    NAME,
    SQUARE,
    Harness,
    declaration,
    event,
    put_record,
    wait_until,
)

#: Scheduling slack for timing assertions on a busy machine.
EARLY = 0.01


def no_retries() -> AsyncInvokeConfig:
    return SQUARE.config._replace(maximum_retry_attempts=0)


def by_api_id(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["requestPayload"]["api_request_id"]: record for record in found}


def test_each_event_gets_a_success_record_with_the_exact_result(harness: Harness) -> None:
    engine = harness.engine(app.get_square_fn)
    engine.start()
    numbers = {"api-2": "2", "api-neg": "-3", "api-dec": "0.1", "api-bad": "abc"}
    for api_id, number in numbers.items():
        engine.submit(NAME, event(api_id, number))
    found = by_api_id(harness.records(DEST, 4))
    assert set(found) == set(numbers)
    squares = {k: r["responsePayload"].get("square_of_your_number_is") for k, r in found.items()}
    assert squares == {"api-2": 4, "api-neg": 9, "api-dec": Decimal("0.01"), "api-bad": None}
    assert found["api-bad"]["responsePayload"]["error"] == "InvalidNumber"
    record = found["api-2"]
    assert record["version"] == "1.0"
    assert record["requestContext"]["functionArn"] == FUNCTION.latest_arn
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == event("api-2", "2")
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"]["asynchronous_invocation"] == "true"
    assert harness.records(DLQ, 0) == []


def test_the_function_gets_a_lambda_context(harness: Harness) -> None:
    contexts: list[Any] = []

    def handler(_: Any, context: Any) -> dict[str, int]:
        contexts.append(context)
        return {"remaining": context.get_remaining_time_in_millis()}

    engine = harness.engine(handler)
    engine.start()
    engine.submit(NAME, event("api-1"))
    [record] = harness.records(DEST, 1)
    [context] = contexts
    assert context.aws_request_id == record["requestContext"]["requestId"]
    assert context.function_name == FUNCTION.name
    assert context.invoked_function_arn == FUNCTION.arn
    assert 4000 < record["responsePayload"]["remaining"] <= 5000


def test_failures_are_retried_after_n_times_the_base_delay(harness: Harness) -> None:
    calls: list[tuple[float, str]] = []

    def flaky(_: Any, context: Any) -> dict[str, bool]:
        calls.append((time.monotonic(), context.aws_request_id))
        if len(calls) < 3:
            raise RuntimeError(f"failure {len(calls)}")
        return {"ok": True}

    engine = harness.engine(flaky)
    engine.start()
    engine.submit(NAME, event("api-1"))
    [record] = harness.records(DEST, 1)
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert {request_id for _, request_id in calls} == {record["requestContext"]["requestId"]}
    first, second, third = (at for at, _ in calls)
    assert second - first >= 1 * BASE_DELAY - EARLY
    assert third - second >= 2 * BASE_DELAY - EARLY


def test_after_the_last_retry_the_record_goes_to_the_dlq(harness: Harness) -> None:
    def failing(_: Any, __: Any) -> None:
        raise ValueError("always")

    engine = harness.engine(failing)
    engine.start()
    engine.submit(NAME, event("api-1"))
    engine.submit(NAME, event("api-2"))
    found = by_api_id(harness.records(DLQ, 2))
    record = found["api-1"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    error = record["responsePayload"]
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "always")
    assert error["requestId"] == record["requestContext"]["requestId"]
    assert "in failing" in error["stackTrace"][-1]
    assert harness.records(DEST, 0) == []


def test_a_function_past_its_timeout_fails_and_frees_its_worker(harness: Harness) -> None:
    release = threading.Event()

    def sometimes_stuck(payload: Any, _: Any) -> dict[str, str]:
        if payload["number"] == "0":
            release.wait(10)
        return {"done": payload["number"]}

    engine = harness.engine(
        sometimes_stuck,
        function=replace(FUNCTION, timeout_seconds=0.2),
        config=no_retries(),
        concurrency=1,
    )
    engine.start()
    try:
        engine.submit(NAME, event("api-stuck", "0"))
        engine.submit(NAME, event("api-fine", "1"))
        [failed] = harness.records(DLQ, 1)
        [done] = harness.records(DEST, 1)
    finally:
        release.set()
    request_id = failed["requestContext"]["requestId"]
    assert failed["responsePayload"] == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 0.20 seconds",
    }
    assert failed["requestContext"]["approximateInvokeCount"] == 1
    assert done["responsePayload"] == {"done": "1"}


def test_a_result_that_is_not_json_is_a_marshal_error(harness: Harness) -> None:
    engine = harness.engine(lambda _, __: {"values": {1, 2}}, config=no_retries())
    engine.start()
    engine.submit(NAME, event("api-1"))
    [record] = harness.records(DLQ, 1)
    assert record["responsePayload"]["errorType"] == "Runtime.MarshalError"
    assert "not JSON serializable" in record["responsePayload"]["errorMessage"]


def test_an_event_older_than_the_maximum_age_is_not_run(harness: Harness) -> None:
    calls: list[Any] = []
    accepted_long_ago = time.time() - SQUARE.config.maximum_event_age_seconds - 1
    harness.store().add_event(NAME, "lambda-1", json.dumps(event("api-old")), accepted_long_ago)
    engine = harness.engine(lambda payload, _: calls.append(payload))
    engine.start()
    [record] = harness.records(DLQ, 1)
    assert calls == []
    assert record["requestContext"] == {
        "requestId": "lambda-1",
        "functionArn": FUNCTION.latest_arn,
        "condition": "EventAgeExceeded",
        "approximateInvokeCount": 0,
    }
    assert "responseContext" not in record
    assert "responsePayload" not in record


def test_an_event_that_ages_out_while_waiting_for_a_retry_reports_its_last_error(
    harness: Harness,
) -> None:
    offset = [0.0]

    def failing_slowly(_: Any, __: Any) -> None:
        offset[0] += 61  # the attempt "takes" 61 s on the engine's clock
        raise RuntimeError("slow failure")

    def clock() -> float:
        return time.time() + offset[0]

    engine = harness.engine(
        failing_slowly,
        config=SQUARE.config._replace(maximum_event_age_seconds=60),
        clock=clock,
    )
    engine.start()
    engine.submit(NAME, event("api-1"))
    [record] = harness.records(DLQ, 1, clock=clock)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "slow failure"


def test_concurrency_is_bounded(harness: Harness) -> None:
    lock = threading.Lock()
    running = [0]
    peak = [0]

    def slow(_: Any, __: Any) -> dict[str, bool]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return {"ok": True}

    engine = harness.engine(slow, concurrency=3)
    for index in range(8):
        engine.submit(NAME, event(f"api-{index}"))
    engine.start()
    assert len(harness.records(DEST, 8)) == 8
    assert peak[0] == 3


def test_nothing_runs_before_start_but_submit_persists(harness: Harness) -> None:
    threads_before = threading.active_count()
    engine = harness.engine(lambda _, __: {"ok": True})
    engine.submit(NAME, event("api-1"))
    assert threading.active_count() == threads_before
    assert harness.store().pending_events() == 1
    engine.start()
    assert len(harness.records(DEST, 1)) == 1


def test_a_stopped_engine_s_work_resumes_in_the_next_one(harness: Harness) -> None:
    started = threading.Event()
    release = threading.Event()

    def blocking(_: Any, __: Any) -> dict[str, str]:
        started.set()
        release.wait(10)
        return {"by": "first engine"}

    first = harness.engine(blocking, concurrency=1)
    first.start()
    for index in range(3):
        first.submit(NAME, event(f"api-{index}"))
    assert started.wait(5)
    first.stop()  # a reload: the running attempt is abandoned, its lease given back
    release.set()  # the abandoned call returns now; its result must be ignored
    second = harness.engine(lambda _, __: {"by": "second engine"})
    second.start()
    found = by_api_id(harness.records(DEST, 3))
    assert set(found) == {"api-0", "api-1", "api-2"}
    assert {r["responsePayload"]["by"] for r in found.values()} == {"second engine"}
    assert harness.store().pending_events() == 0


def test_work_leased_by_an_engine_that_is_gone_resumes_at_start(harness: Harness) -> None:
    store = harness.store()
    store.add_event(NAME, "lambda-1", json.dumps(event("api-1")), time.time())
    # Leased by an owner that holds no lock: its process is gone.
    assert store.claim_event("4242-" + "0" * 32, "token", time.time(), [NAME]) is not None
    calls: list[Any] = []
    engine = harness.engine(lambda payload, _: calls.append(payload))
    engine.start()
    [record] = harness.records(DEST, 1)
    assert len(calls) == 1
    # The attempt the crash interrupted is not counted as a failure.
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_two_engines_on_one_store_run_each_event_once(harness: Harness) -> None:
    lock = threading.Lock()
    runs: dict[str, int] = {}

    def counting(payload: Any, _: Any) -> dict[str, bool]:
        with lock:
            runs[payload["api_request_id"]] = runs.get(payload["api_request_id"], 0) + 1
        time.sleep(0.01)
        return {"ok": True}

    one = harness.engine(counting)
    two = harness.engine(counting)
    one.start()
    two.start()
    for index in range(30):
        (one if index % 2 else two).submit(NAME, event(f"api-{index}"))
    assert len(harness.records(DEST, 30)) == 30
    assert runs == {f"api-{index}": 1 for index in range(30)}


def test_records_left_for_an_sqs_endpoint_are_kept_locally_without_one(harness: Harness) -> None:
    put_record(harness.store(), DEST, '{"kept": true}', now=time.time(), delivery=SQS)
    harness.engine(lambda _, __: None).start()
    assert harness.records(DEST, 1) == [{"kept": True}]


def test_accepting_does_not_wait_for_busy_workers(harness: Harness) -> None:
    busy = threading.Barrier(5)

    def one_second_job(payload: Any, _: Any) -> dict[str, bool]:
        if payload["api_request_id"].startswith("busy"):
            busy.wait(5)
            time.sleep(1)
        return {"ok": True}

    engine = harness.engine(one_second_job, concurrency=4)
    engine.start()
    for index in range(4):
        engine.submit(NAME, event(f"busy-{index}"))
    busy.wait(5)  # all four workers are now inside a one-second job
    latencies = []
    for index in range(200):
        began = time.perf_counter()
        engine.submit(NAME, event(f"api-{index}"))
        latencies.append(time.perf_counter() - began)
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < 0.1, f"p99 accept latency {p99 * 1000:.1f} ms while workers are busy"


def test_engine_for_reads_the_environment(tmp_path: Path) -> None:
    engine = engine_for(
        [declaration(lambda _, __: {"ok": True})],
        {
            "ASYNC_STATE_DIR": str(tmp_path / "state"),
            "ASYNC_CONCURRENCY": "1",
            "AWS_REGION": "eu-west-1",
            "API_STAGE": "prod",
        },
    )
    engine.start()
    harness = Harness(tmp_path / "state")
    try:
        engine.submit(NAME, event("api-1"))
        [record] = harness.records(DEST, 1)
    finally:
        engine.stop()
        harness.close()
    assert record["requestContext"]["functionArn"] == (
        "arn:aws:lambda:eu-west-1:123456789012:function:"
        "serverless-async-lambda-api-prod-get_square_fn:$LATEST"
    )


def test_stop_is_idempotent_and_waits_for_no_function(harness: Harness) -> None:
    engine = harness.engine(lambda _, __: time.sleep(5))
    engine.start()
    engine.submit(NAME, event("api-1"))
    wait_until(lambda: harness.store().pending_events() == 1)
    began = time.monotonic()
    engine.stop()
    engine.stop()
    assert time.monotonic() - began < 2
