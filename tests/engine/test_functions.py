"""One engine, one store, many functions: each event run by its own function, on its own terms."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.async_api import AsyncInvokeConfig
from local_async.engine import EngineFunction, UnknownFunction
from tests.engine.helpers import FUNCTION, NAME, SQUARE, Harness, declaration, event

REPORT = "build_report_fn"
REPORT_CONFIG = AsyncInvokeConfig(maximum_retry_attempts=0, maximum_event_age_seconds=60)
REPORT_QUEUES = ("async_build_report_fn_dest_queue", "async_build_report_fn_dlq")


def report_event(api_request_id: str) -> dict[str, Any]:
    return {**event(api_request_id), "api_resource_path": "/reports/{account}"}


def two_functions(report_handler: Any) -> list[EngineFunction]:
    square = declaration(lambda payload, _: {"by": "square", "id": payload["api_request_id"]})
    report = declaration(report_handler, REPORT_CONFIG, name=REPORT)._replace(
        route="/reports/{account}"
    )
    report_local = replace(FUNCTION, name="app-dev-build_report_fn", timeout_seconds=0.3)
    return [EngineFunction(square, FUNCTION), EngineFunction(report, report_local)]


def test_each_event_runs_in_its_own_function_and_lands_on_its_own_queue(
    harness: Harness,
) -> None:
    engine = harness.engine_of(two_functions(lambda payload, _: {"by": "report"}))
    engine.start()
    for index in range(3):
        engine.submit(NAME, event(f"square-{index}"))
        engine.submit(REPORT, report_event(f"report-{index}"))
    squares = harness.records(SQUARE.on_success_queue, 3)
    reports = harness.records(REPORT_QUEUES[0], 3)
    assert {r["responsePayload"]["by"] for r in squares} == {"square"}
    assert {r["responsePayload"]["by"] for r in reports} == {"report"}
    arns = {r["requestContext"]["functionArn"] for r in reports}
    assert arns == {f"arn:aws:lambda:us-east-1:123456789012:function:app-dev-{REPORT}:$LATEST"}


def test_each_function_keeps_its_own_timeout_and_retry_count(harness: Harness) -> None:
    calls: list[float] = []

    def slow_report(payload: Any, context: Any) -> dict[str, Any]:
        calls.append(time.monotonic())
        time.sleep(1)
        return {"late": True}

    engine = harness.engine_of(two_functions(slow_report))
    engine.start()
    engine.submit(REPORT, report_event("report-slow"))
    [record] = harness.records(REPORT_QUEUES[1], 1)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1, "0 retries declared"
    assert record["responsePayload"]["errorType"] == "Sandbox.Timedout"
    assert "0.30 seconds" in record["responsePayload"]["errorMessage"]
    assert len(calls) == 1


def test_an_unknown_function_is_refused_before_anything_is_stored(harness: Harness) -> None:
    engine = harness.engine(lambda _, __: {})
    with pytest.raises(UnknownFunction, match="no_such_fn"):
        engine.submit("no_such_fn", event("api-1"))
    assert harness.store().pending_events() == 0


def test_events_of_an_undeclared_function_wait_untouched(harness: Harness) -> None:
    store = harness.store()
    store.add_event("retired_fn", "lambda-1", json.dumps(event("api-old")), time.time())
    engine = harness.engine(lambda _, __: {"ran": True})
    engine.start()
    engine.submit(NAME, event("api-new"))
    assert len(harness.records(SQUARE.on_success_queue, 1)) == 1
    assert store.pending_by_function() == {"retired_fn": 1}
