"""A live engine never loses its own work, a running event never ages out, no lease strands.

Issue 16's four ways the heartbeat-and-wall-clock leases broke, each with an
injected wall clock and a fake function (the fourth, the record reader, is in
test_receive.py). Liveness is the owner lock of local_async.liveness: a
process holds it for life, the kernel drops it when the process dies.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from local_async.liveness import OwnerLocks, new_owner
from local_async.store import Claim, Store
from tests.engine.helpers import DEST, DLQ, NAME, Harness, event, start_engine_to_kill

HOUR = 3600.0
#: Long enough for an engine polling every 0.05 s to take a lease over, had it a reason to.
SEVERAL_POLLS = 0.5


class SteppedClock:
    """The wall clock, plus a step the test sets (a laptop waking, an NTP correction)."""

    def __init__(self) -> None:
        self.step = 0.0

    def __call__(self) -> float:
        return time.time() + self.step


def owner(number: int) -> str:
    return new_owner(number, f"{number:032x}")


def test_an_owner_is_alive_while_its_lock_is_held(tmp_path: Path) -> None:
    mine, theirs = OwnerLocks(tmp_path), OwnerLocks(tmp_path)
    mine.hold(owner(1))
    assert theirs.is_alive(owner(1)) and mine.is_alive(owner(1))
    assert [f.name for f in tmp_path.iterdir()] == [f"owner-{owner(1)}.lock"]
    mine.release(owner(1))
    assert not theirs.is_alive(owner(1))
    assert list(tmp_path.iterdir()) == []


def test_owners_without_a_lock_file_are_gone(tmp_path: Path) -> None:
    locks = OwnerLocks(tmp_path)
    assert not locks.is_alive(owner(2))  # never started, or cleaned up
    assert not locks.is_alive("laptop:4242:0badc0de")  # an engine of schema version 2
    assert not locks.is_alive("../../etc/passwd")
    with pytest.raises(ValueError, match="not an owner name"):
        locks.hold("../x")


def test_a_killed_process_is_gone_at_once_and_its_file_is_removed(
    harness: Harness, tmp_path: Path
) -> None:
    process, _ = start_engine_to_kill(harness.state_dir, tmp_path / "started")
    [held] = harness.state_dir.glob("owner-*.lock")
    name = held.name.removeprefix("owner-").removesuffix(".lock")
    locks = OwnerLocks(harness.state_dir)
    assert locks.is_alive(name)
    process.kill()
    process.wait(10)
    assert not locks.is_alive(name)
    assert not held.exists()


def test_a_clock_step_forward_never_makes_a_live_engine_run_its_running_event_again(
    harness: Harness,
) -> None:
    clock = SteppedClock()
    started, release = threading.Event(), threading.Event()
    runs: Counter[str] = Counter()

    def handler(payload: Any, context: Any) -> dict[str, bool]:
        runs[context.aws_request_id] += 1
        if payload["api_request_id"] == "api-running":
            started.set()
            release.wait(10)
        return {"ok": True}

    engine = harness.engine(handler, concurrency=2, clock=clock)
    engine.start()
    engine.submit(NAME, event("api-running"))
    assert started.wait(5)
    clock.step = 10.0  # twice the lease of the heartbeat engine
    engine.submit(NAME, event("api-second"))  # a free worker looks for work
    [second] = harness.records(DEST, 1)
    time.sleep(SEVERAL_POLLS)
    release.set()
    [running] = harness.records(DEST, 1)
    assert second["requestPayload"]["api_request_id"] == "api-second"
    assert running["requestContext"]["approximateInvokeCount"] == 1
    assert set(runs.values()) == {1}, f"runs per request id: {dict(runs)}"


def test_a_running_event_never_ages_out_and_its_success_is_recorded(harness: Harness) -> None:
    clock = SteppedClock()
    started, release = threading.Event(), threading.Event()
    runs: Counter[str] = Counter()

    def handler(payload: Any, context: Any) -> dict[str, str]:
        runs[payload["api_request_id"]] += 1
        if payload["api_request_id"] == "api-running":
            started.set()
            release.wait(10)
        return {"done": payload["api_request_id"]}

    engine = harness.engine(handler, concurrency=2, clock=clock)
    engine.start()
    engine.submit(NAME, event("api-running"))
    assert started.wait(5)
    clock.step = HOUR + 100  # past the declared maximum event age (1 hour)
    engine.submit(NAME, event("api-second"))
    harness.records(DEST, 1)
    time.sleep(SEVERAL_POLLS)
    release.set()
    [record] = harness.records(DEST, 1, clock=clock)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"done": "api-running"}
    assert harness.records(DLQ, 0) == []
    assert runs == {"api-running": 1, "api-second": 1}


class LockedStore(Store):
    """A store whose outcome and release writes fail while ``locked`` is set.

    As when another process holds SQLite's write lock past the busy timeout,
    or the disk is full: the other writes (claims) keep working.
    """

    locked = threading.Event()

    def complete(self, claim: Claim, **outcome: Any) -> bool:
        if self.locked.is_set():
            raise sqlite3.OperationalError("database is locked")
        return super().complete(claim, **outcome)

    def release(self, claim: Claim) -> None:
        if self.locked.is_set():
            raise sqlite3.OperationalError("database is locked")
        super().release(claim)


def test_a_lease_whose_outcome_and_release_failed_is_taken_back_while_the_process_lives(
    harness: Harness,
) -> None:
    runs: list[float] = []
    LockedStore.locked.set()
    try:
        engine = harness.engine(
            lambda _, __: runs.append(time.monotonic()), store=harness.store(LockedStore)
        )
        engine.start()
        engine.submit(NAME, event("api-1"))
        deadline = time.monotonic() + 5
        while not runs:
            assert time.monotonic() < deadline, "the event never ran"
            time.sleep(0.01)
    finally:
        LockedStore.locked.clear()  # the store recovers; the engine keeps running
    [record] = harness.records(DEST, 1, timeout=5)
    assert record["requestPayload"]["api_request_id"] == "api-1"
    assert harness.store().pending_events() == 0
    assert harness.store().event_leases() == []


def test_a_killed_engine_s_event_is_not_stranded_by_a_clock_stepped_back(
    harness: Harness, tmp_path: Path
) -> None:
    process, request_id = start_engine_to_kill(harness.state_dir, tmp_path / "started")
    process.kill()  # kill -9, inside the function
    process.wait(10)
    clock = SteppedClock()
    clock.step = -HOUR
    engine = harness.engine(lambda _, __: {"by": "the next engine"}, clock=clock)
    began = time.monotonic()
    engine.start()
    [record] = harness.records(DEST, 1, timeout=5, clock=clock)
    assert record["requestContext"]["requestId"] == request_id
    assert record["responsePayload"] == {"by": "the next engine"}
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert time.monotonic() - began < 5


def test_a_retry_due_before_the_clock_stepped_back_does_not_wait_for_the_step(
    harness: Harness,
) -> None:
    clock = SteppedClock()
    calls: list[float] = []

    def fails_once(_: Any, __: Any) -> dict[str, bool]:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("first attempt")
        return {"ok": True}

    engine = harness.engine(fails_once, clock=clock, retry_base_delay_seconds=2)
    store = harness.store()
    engine.start()
    engine.submit(NAME, event("api-1"))
    deadline = time.monotonic() + 5
    while store.next_due_at(time.time(), [NAME]) is None:  # the retry is scheduled
        assert time.monotonic() < deadline, "the first attempt never failed"
        time.sleep(0.01)
    clock.step = -HOUR
    [record] = harness.records(DEST, 1, timeout=5, clock=clock)
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert calls[1] - calls[0] < 3, "the retry waited for the clock to catch up"
