"""Functions that fail: each event ends where AWS would put it, after Lambda's retries.

On AWS an asynchronous invocation whose function times out, raises, or
returns a value the runtime cannot write as JSON is a function error
(``functionError: Unhandled``): it is retried ``MaximumRetryAttempts`` (2)
times, then sent to the on-failure destination with ``RetriesExhausted``,
the last error as ``responsePayload``: ``Sandbox.Timedout``, the exception's
type, or ``Runtime.MarshalError``. The one-attempt versions of these are in
tests/engine/test_engine.py; run_attempt's unit tests in tests/engine/test_attempt.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.engine.helpers import FUNCTION, Harness, event
from tests.reliability.conftest import Sizes
from tests.support.declared import ATTEMPTS, DEST, DLQ, NAME

TIMEOUT_SECONDS = 0.3


class JobFailed(RuntimeError):
    """What a user's job raises."""


def circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


#: kind -> the errorType AWS reports for it, and how its errorMessage reads
EXPECTED = {
    "timeout": "Sandbox.Timedout",
    "raises": "JobFailed",
    "returns-set": "Runtime.MarshalError",
    "returns-object": "Runtime.MarshalError",
    "returns-circular": "Runtime.MarshalError",
}
MESSAGES = {
    "timeout": f"Task timed out after {TIMEOUT_SECONDS:.2f} seconds",
    "raises": "the job failed",
    "returns-set": "Unable to marshal response: Object of type set is not JSON serializable",
    "returns-object": "Unable to marshal response: Object of type object is not JSON serializable",
    "returns-circular": "Unable to marshal response: Circular reference detected",
}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    built = Harness(tmp_path / "state")
    yield built
    built.close()


def test_each_failing_function_ends_in_the_dlq_after_its_retries(
    harness: Harness, sizes: Sizes, report: Callable[[str], None]
) -> None:
    release = threading.Event()
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def job(payload: Any, _: Any) -> Any:
        with lock:
            calls[payload["api_request_id"]] += 1
        kind = payload["number"]
        if kind == "timeout":
            release.wait(30)  # far past the timeout; the engine stops waiting
            return {"late": True}
        if kind == "raises":
            raise JobFailed("the job failed")
        if kind == "returns-set":
            return {"values": {1, 2}}
        if kind == "returns-object":
            return object()
        return circular()

    engine = harness.engine(
        job, function=replace(FUNCTION, timeout_seconds=TIMEOUT_SECONDS), concurrency=4
    )
    engine.start()
    submitted = {f"{kind}-{n}": kind for kind in EXPECTED for n in range(sizes.fault_events)}
    try:
        for api_id, kind in submitted.items():
            engine.submit(NAME, event(api_id, kind))
        records = harness.records(DLQ, len(submitted), timeout=30 + 2 * len(submitted))
    finally:
        release.set()
    successes = harness.records(DEST, 0, timeout=0)
    found = {record["requestPayload"]["api_request_id"]: record for record in records}
    assert set(found) == set(submitted)
    ended_right: Counter[str] = Counter()
    for api_id, kind in submitted.items():
        record = found[api_id]
        error = record["responsePayload"]
        if (
            record["requestContext"]["condition"] == "RetriesExhausted"
            and record["requestContext"]["approximateInvokeCount"] == ATTEMPTS
            and record["responseContext"]["functionError"] == "Unhandled"
            and error["errorType"] == EXPECTED[kind]
            and error["errorMessage"].endswith(MESSAGES[kind])
            and calls[api_id] == ATTEMPTS
        ):
            ended_right[kind] += 1
        else:
            pytest.fail(f"{api_id}: {record} after {calls[api_id]} calls")
    report(
        f"faults: {len(submitted)} events, each in the DLQ with RetriesExhausted, "
        f"functionError Unhandled, after {ATTEMPTS} invocations: "
        + ", ".join(f"{kind} {ended_right[kind]} ({EXPECTED[kind]})" for kind in EXPECTED)
        + f"; on the success queue {len(successes)}"
    )
    assert successes == []
