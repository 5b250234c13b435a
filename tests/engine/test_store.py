"""The durable store: permissions, leases and fencing, the embedded queues.

Times are passed in, so lease expiry is tested without waiting.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_async.store import LOCAL, SQS, Store, StoreError

NOW = 1_700_000_000.0
LEASE = 5.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "state")
    yield opened
    opened.close()


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
    store.heartbeat("a", NOW)
    store.add_event("fn", "second", "{}", NOW + 1)
    store.add_event("fn", "first", "{}", NOW)
    store.add_event("fn", "later", "{}", NOW + 100)
    assert store.next_due_at(NOW, LEASE, ["fn"]) == NOW
    first = store.claim_event("a", NOW + 2, LEASE, ["fn"])
    second = store.claim_event("a", NOW + 2, LEASE, ["fn"])
    assert (first and first.request_id, second and second.request_id) == ("first", "second")
    assert store.claim_event("a", NOW + 2, LEASE, ["fn"]) is None
    assert store.next_due_at(NOW + 2, LEASE, ["fn"]) == NOW + 100


def test_a_live_owner_s_lease_is_exclusive(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    store.heartbeat("a", NOW)
    store.heartbeat("b", NOW)
    assert store.claim_event("a", NOW, LEASE, ["fn"]) is not None
    store.heartbeat("a", NOW + 4)
    assert store.claim_event("b", NOW + 8, LEASE, ["fn"]) is None
    assert store.next_due_at(NOW + 8, LEASE, ["fn"]) is None


def test_a_dead_owner_s_lease_lapses_and_its_late_outcome_is_ignored(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    store.heartbeat("dead", NOW)
    stale = store.claim_event("dead", NOW, LEASE, ["fn"])
    assert stale is not None
    store.heartbeat("b", NOW + LEASE + 1)
    assert store.claim_event("b", NOW + LEASE - 1, LEASE, ["fn"]) is None
    fresh = store.claim_event("b", NOW + LEASE + 1, LEASE, ["fn"])
    assert fresh is not None and fresh.request_id == "r1"
    assert fresh.failed_attempts == 0  # the interrupted attempt is not counted
    # The dead owner wakes up (a paused process) and reports: fenced off.
    assert not store.complete(stale, queue="q", body="late", delivery=LOCAL, now=NOW + 7)
    assert not store.reschedule(stale, failed_attempts=1, due_at=NOW + 8, last_error="{}")
    assert store.complete(fresh, queue="q", body="fresh", delivery=LOCAL, now=NOW + 7)
    received = store.receive("q", limit=10, now=NOW + 8, visibility_timeout=0, delete=True)
    assert [m.body for m in received] == ["fresh"]
    assert store.pending_events() == 0


def test_retiring_an_owner_frees_its_leases_at_once(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    store.heartbeat("a", NOW)
    claim = store.claim_event("a", NOW, LEASE, ["fn"])
    assert claim is not None
    store.retire_owner("a")
    store.heartbeat("b", NOW)
    assert store.claim_event("b", NOW, LEASE, ["fn"]) is not None
    assert not store.complete(claim, queue="q", body="x", delivery=LOCAL, now=NOW)


def test_a_released_claim_runs_again(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    store.heartbeat("a", NOW)
    claim = store.claim_event("a", NOW, LEASE, ["fn"])
    assert claim is not None
    store.release(claim)
    again = store.claim_event("a", NOW, LEASE, ["fn"])
    assert again is not None and again.token != claim.token


def test_a_rescheduled_event_waits_and_keeps_its_history(store: Store) -> None:
    store.add_event("fn", "r1", "{}", NOW)
    store.heartbeat("a", NOW)
    claim = store.claim_event("a", NOW, LEASE, ["fn"])
    assert claim is not None
    assert store.reschedule(claim, failed_attempts=1, due_at=NOW + 2, last_error='{"e": 1}')
    assert store.claim_event("a", NOW + 1, LEASE, ["fn"]) is None
    assert store.next_due_at(NOW + 1, LEASE, ["fn"]) == NOW + 2
    retry = store.claim_event("a", NOW + 2, LEASE, ["fn"])
    assert retry is not None
    assert (retry.failed_attempts, retry.last_error, retry.accepted_at) == (1, '{"e": 1}', NOW)


def test_forgetting_dead_owners_keeps_live_ones(store: Store) -> None:
    store.heartbeat("dead", NOW)
    store.heartbeat("live", NOW + 10)
    store.forget_dead_owners(NOW + 10, LEASE)
    store.add_event("fn", "r1", "{}", NOW)
    claim = store.claim_event("live", NOW + 10, LEASE, ["fn"])
    assert claim is not None
    assert store.claim_event("dead", NOW + 10, LEASE, ["fn"]) is None


def put_record(store: Store, queue: str, body: str, now: float, delivery: str = LOCAL) -> None:
    request_id = f"r-{body}"
    store.add_event("fn", request_id, "{}", now)
    store.heartbeat("writer", now)
    claim = store.claim_event("writer", now, LEASE, ["fn"])
    assert claim is not None and claim.request_id == request_id
    assert store.complete(claim, queue=queue, body=body, delivery=delivery, now=now)


def test_receive_keeps_or_deletes_and_counts_receives(store: Store) -> None:
    for body in ("one", "two", "three"):
        put_record(store, "ok", body, NOW)
    put_record(store, "dlq", "failed", NOW)
    first = store.receive("ok", limit=2, now=NOW + 1, visibility_timeout=0, delete=False)
    assert [m.body for m in first] == ["one", "two"]
    assert [m.receive_count for m in first] == [1, 1]
    again = store.receive("ok", limit=10, now=NOW + 2, visibility_timeout=0, delete=True)
    assert [m.body for m in again] == ["one", "two", "three"]
    assert [m.receive_count for m in again] == [2, 2, 1]
    assert again[0].first_received_at == NOW + 1
    assert again[2].first_received_at == NOW + 2
    assert store.receive("ok", limit=10, now=NOW + 3, visibility_timeout=0, delete=True) == []
    dlq = store.receive("dlq", limit=10, now=NOW + 3, visibility_timeout=0, delete=False)
    assert [m.body for m in dlq] == ["failed"]


def test_a_visibility_timeout_hides_records_for_a_while(store: Store) -> None:
    put_record(store, "ok", "one", NOW)
    assert len(store.receive("ok", limit=1, now=NOW, visibility_timeout=30, delete=False)) == 1
    assert store.receive("ok", limit=1, now=NOW + 29, visibility_timeout=0, delete=False) == []
    assert len(store.receive("ok", limit=1, now=NOW + 30, visibility_timeout=0, delete=False)) == 1


def test_outbox_records_are_invisible_to_receive_until_kept_locally(store: Store) -> None:
    put_record(store, "ok", "queued", NOW, delivery=SQS)
    assert store.outbox_size() == 1
    assert store.receive("ok", limit=10, now=NOW, visibility_timeout=0, delete=False) == []
    assert store.keep_locally() == 1
    assert store.outbox_size() == 0
    assert [
        m.body for m in store.receive("ok", limit=1, now=NOW, visibility_timeout=0, delete=False)
    ] == ["queued"]


def test_the_outbox_is_leased_by_queue_in_order(store: Store) -> None:
    for index in range(12):
        put_record(store, "ok" if index != 1 else "dlq", f"m{index}", NOW, delivery=SQS)
    store.heartbeat("sender", NOW)
    store.heartbeat("rival", NOW)
    batch = store.claim_outbox("sender", NOW, LEASE, limit=10)
    assert [m.body for m in batch] == [f"m{i}" for i in (0, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert {m.queue for m in batch} == {"ok"}
    rival = store.claim_outbox("rival", NOW, LEASE, limit=10)
    assert [m.body for m in rival] == ["m1"]
    # The holder gets its own unsent records back; nobody else does.
    assert [m.seq for m in store.claim_outbox("sender", NOW, LEASE, limit=10)] == [
        m.seq for m in batch
    ]
    store.delete_messages([m.seq for m in batch])
    assert [m.body for m in store.claim_outbox("sender", NOW, LEASE, limit=10)] == ["m11"]
    assert store.keep_locally([rival[0].seq]) == 1
    assert store.outbox_size() == 1
