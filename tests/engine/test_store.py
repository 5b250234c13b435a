"""The durable store: permissions, leases and fencing, waits, the embedded queues.

Times are passed in, so waits and clock steps are tested without waiting.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from local_async.leases import EventLease
from local_async.store import SQS, Store, StoreError
from tests.engine.helpers import put_record

NOW = 1_700_000_000.0
HOUR = 3600.0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_is_owner_only(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    opened = Store.open(directory)
    try:
        opened.add_event("fn", "r1", "{}", NOW)  # writes the -wal file
        assert mode(directory) == 0o700
        files = sorted(directory.iterdir())
        assert {f.name for f in files} >= {"engine.sqlite3", "engine.sqlite3-wal"}
        assert all(mode(f) == 0o600 for f in files)
    finally:
        opened.close()


def test_an_event_is_committed_before_add_event_returns(store: Store, tmp_path: Path) -> None:
    store.add_event("fn", "r1", '{"n": 1}', NOW)
    other = Store.open(tmp_path / "state")  # another process's view
    try:
        assert other.pending_events() == 1
    finally:
        other.close()


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    (directory / "engine.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"cannot use the async engine's store.*ASYNC_STATE_DIR"):
        Store.open(directory)


def test_a_store_from_another_schema_version_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    Store.open(directory).close()
    with sqlite3.connect(directory / "engine.sqlite3") as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        Store.open(directory)


def test_only_due_events_are_claimed_oldest_first(store: Store) -> None:
    store.add_event("fn", "later", "{}", NOW - 1)
    failed = store.claim_event("a", "t0", NOW, ["fn"])
    assert failed is not None
    store.reschedule(failed, failed_attempts=1, now=NOW, due_at=NOW + 100, last_error="{}")
    store.add_event("fn", "second", "{}", NOW + 1)
    store.add_event("fn", "first", "{}", NOW)
    assert store.next_due_at(NOW, ["fn"]) == NOW
    first = store.claim_event("a", "t1", NOW + 2, ["fn"])
    second = store.claim_event("a", "t2", NOW + 2, ["fn"])
    assert (first and first.request_id, second and second.request_id) == ("first", "second")
    assert store.claim_event("a", "t3", NOW + 2, ["fn"]) is None
    assert store.next_due_at(NOW + 2, ["fn"]) == NOW + 100


def test_a_lease_is_exclusive_whatever_the_time(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    assert store.claim_event("a", "t1", NOW, ["fn"]) is not None
    for now in (NOW + 10, NOW + 10 * HOUR, NOW - HOUR):
        assert store.claim_event("b", "t2", now, ["fn"]) is None
        assert store.next_due_at(now, ["fn"]) is None
    assert store.event_leases() == [EventLease("r1", "a", "t1")]


def test_a_lease_taken_back_is_claimed_again_and_its_late_outcome_is_ignored(
    store: Store,
) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    stale = store.claim_event("gone", "t-gone", NOW, ["fn"])
    assert stale is not None
    assert store.take_back([EventLease("r1", "gone", "t-gone")], []) == 1
    fresh = store.claim_event("b", "t-b", NOW + 1, ["fn"])
    assert fresh is not None and fresh.request_id == "r1"
    assert fresh.failed_attempts == 0  # the interrupted attempt is not counted
    # A lease that was claimed again is not freed by the old token.
    assert store.take_back([EventLease("r1", "gone", "t-gone")], []) == 0
    # The old owner wakes up (a paused process) and reports: fenced off.
    assert not store.complete(stale, queue="q", body="late", delivery="local", now=NOW + 7)
    assert not store.reschedule(
        stale, failed_attempts=1, now=NOW + 7, due_at=NOW + 8, last_error="{}"
    )
    assert store.complete(fresh, queue="q", body="fresh", delivery="local", now=NOW + 7)
    received = store.receive("q", limit=10, now=NOW + 8, visibility_timeout=0)
    assert [m.body for m in received] == ["fresh"]
    assert store.pending_events() == 0


def test_retiring_an_owner_frees_its_leases_at_once(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    claim = store.claim_event("a", "t1", NOW, ["fn"])
    assert claim is not None
    store.retire_owner("a")
    assert store.claim_event("b", "t2", NOW, ["fn"]) is not None
    assert not store.complete(claim, queue="q", body="x", delivery="local", now=NOW)


def test_a_released_claim_runs_again(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    claim = store.claim_event("a", "t1", NOW, ["fn"])
    assert claim is not None
    store.release(claim)
    again = store.claim_event("a", "t2", NOW, ["fn"])
    assert again is not None and again.token == "t2"


def test_a_rescheduled_event_waits_and_keeps_its_history(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    claim = store.claim_event("a", "t1", NOW, ["fn"])
    assert claim is not None
    assert store.reschedule(
        claim, failed_attempts=1, now=NOW, due_at=NOW + 2, last_error='{"e": 1}'
    )
    assert store.claim_event("a", "t2", NOW + 1, ["fn"]) is None
    assert store.next_due_at(NOW + 1, ["fn"]) == NOW + 2
    retry = store.claim_event("a", "t3", NOW + 2, ["fn"])
    assert retry is not None
    assert (retry.failed_attempts, retry.last_error, retry.accepted_at) == (1, '{"e": 1}', NOW)


def test_a_retry_never_waits_longer_than_its_delay_after_the_clock_steps_back(
    store: Store,
) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    claim = store.claim_event("a", "t1", NOW, ["fn"])
    assert claim is not None
    store.reschedule(claim, failed_attempts=1, now=NOW, due_at=NOW + 2, last_error="{}")
    stepped_back = NOW - HOUR
    assert store.next_due_at(stepped_back, ["fn"]) == stepped_back
    assert store.claim_event("a", "t2", stepped_back, ["fn"]) is not None


def test_leases_report_their_owners(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    store.add_event("fn", "r2", "{}", NOW)
    store.claim_event("a", "ta", NOW, ["fn"])
    store.claim_event("b", "tb", NOW, ["fn"])
    put_record(store, "ok", "queued", now=NOW, delivery=SQS)
    store.claim_outbox("sender", "ok", limit=10)
    assert store.event_leases() == [EventLease("r1", "a", "ta"), EventLease("r2", "b", "tb")]
    assert store.outbox_owners() == {"sender"}
    assert store.take_back([], ["sender"]) == 1
    assert store.outbox_owners() == set()


def test_receive_counts_receives_and_gives_a_new_receipt_handle_each_time(store: Store) -> None:
    for body in ("one", "two", "three"):
        put_record(store, "ok", body, now=NOW)
    put_record(store, "dlq", "failed", now=NOW)
    first = store.receive("ok", limit=2, now=NOW + 1, visibility_timeout=0)
    assert [m.body for m in first] == ["one", "two"]
    assert [m.receive_count for m in first] == [1, 1]
    again = store.receive("ok", limit=10, now=NOW + 2, visibility_timeout=0)
    assert [m.body for m in again] == ["one", "two", "three"]
    assert [m.receive_count for m in again] == [2, 2, 1]
    assert again[0].first_received_at == NOW + 1
    assert again[2].first_received_at == NOW + 2
    handles = [m.receipt_handle for m in first + again]
    assert len(set(handles)) == 5 and all(len(h) == 64 for h in handles)
    dlq = store.receive("dlq", limit=10, now=NOW + 3, visibility_timeout=0)
    assert [m.body for m in dlq] == ["failed"]


def test_a_record_is_deleted_by_the_handle_of_its_latest_receive_only(store: Store) -> None:
    put_record(store, "ok", "one", now=NOW)
    [old] = store.receive("ok", limit=1, now=NOW, visibility_timeout=0)
    [latest] = store.receive("ok", limit=1, now=NOW, visibility_timeout=0)
    assert store.delete("ok", [old.receipt_handle]) == [old.receipt_handle]
    assert store.delete("dlq", [latest.receipt_handle]) == [latest.receipt_handle]
    assert len(store.receive("ok", limit=1, now=NOW, visibility_timeout=0)) == 1
    [newest] = store.receive("ok", limit=1, now=NOW, visibility_timeout=0)
    assert store.delete("ok", [newest.receipt_handle]) == []
    assert store.receive("ok", limit=1, now=NOW, visibility_timeout=0) == []


def test_a_visibility_timeout_hides_records_for_a_while(store: Store) -> None:
    put_record(store, "ok", "one", now=NOW)
    [hidden] = store.receive("ok", limit=1, now=NOW, visibility_timeout=30)
    assert store.receive("ok", limit=1, now=NOW + 29, visibility_timeout=0) == []
    assert len(store.receive("ok", limit=1, now=NOW + 30, visibility_timeout=0)) == 1
    # Hidden again, then shown at once by its handle.
    [again] = store.receive("ok", limit=1, now=NOW + 30, visibility_timeout=30)
    store.change_visibility("ok", [again.receipt_handle], now=NOW + 31, visibility_timeout=0)
    assert len(store.receive("ok", limit=1, now=NOW + 31, visibility_timeout=0)) == 1
    assert hidden.receipt_handle != again.receipt_handle


def test_a_clock_step_back_does_not_stretch_a_visibility_timeout(store: Store) -> None:
    put_record(store, "ok", "one", now=NOW)
    store.receive("ok", limit=1, now=NOW, visibility_timeout=30)
    assert store.receive("ok", limit=1, now=NOW + 10, visibility_timeout=0) == []
    assert len(store.receive("ok", limit=1, now=NOW - HOUR, visibility_timeout=0)) == 1


def test_outbox_records_are_invisible_to_receive_until_kept_locally(store: Store) -> None:
    put_record(store, "ok", "queued", now=NOW, delivery=SQS)
    assert store.outbox_size() == 1
    assert store.receive("ok", limit=10, now=NOW, visibility_timeout=0) == []
    assert store.keep_locally() == 1
    assert store.outbox_size() == 0
    received = store.receive("ok", limit=1, now=NOW, visibility_timeout=0)
    assert [m.body for m in received] == ["queued"]


def test_the_outbox_is_leased_by_queue_in_order(store: Store) -> None:
    for index in range(12):
        put_record(store, "ok" if index != 1 else "dlq", f"m{index}", now=NOW, delivery=SQS)
    assert store.outbox_queues("sender") == ["ok", "dlq"]
    batch = store.claim_outbox("sender", "ok", limit=10)
    assert [m.body for m in batch] == [f"m{i}" for i in (0, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert {m.queue for m in batch} == {"ok"}
    rival = store.claim_outbox("rival", "dlq", limit=10)
    assert [m.body for m in rival] == ["m1"]
    assert store.outbox_queues("sender") == ["ok"]  # m11 is free; dlq's record is the rival's
    # The holder gets its own unsent records back; nobody else does.
    assert store.claim_outbox("rival", "ok", limit=10)[0].body == "m11"
    again = store.claim_outbox("sender", "ok", limit=10)
    assert [m.seq for m in again] == [m.seq for m in batch]
    store.delete_messages([m.seq for m in batch])
    assert store.claim_outbox("sender", "ok", limit=10) == []
    assert store.keep_locally([rival[0].seq]) == 1
    assert store.outbox_size() == 1
