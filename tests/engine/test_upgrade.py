"""Stores written by earlier engines are upgraded in place, and nothing they accepted is lost.

The schemas below are those that versions 1 and 2 of the engine created, verbatim.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from local_async.store import SCHEMA_VERSION, Store, StoreError
from tests.engine.helpers import DEST, NAME, SQUARE, Harness, event
from tests.engine.test_functions import report_event

_V1_EVENTS = """
CREATE TABLE events (
    request_id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    due_at REAL NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lease_owner TEXT,
    lease_token TEXT
);
CREATE INDEX events_by_due_at ON events (due_at);
"""
_V2_EVENTS = """
CREATE TABLE events (
    request_id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    payload TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    due_at REAL NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lease_owner TEXT,
    lease_token TEXT
);
CREATE INDEX events_by_due_at ON events (due_at);
CREATE INDEX events_by_function ON events (function, due_at);
"""
_V1_V2_REST = """
CREATE TABLE owners (
    owner TEXT PRIMARY KEY,
    heartbeat_at REAL NOT NULL
);
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    md5_of_body TEXT NOT NULL,
    sent_at REAL NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('local', 'sqs')),
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at REAL,
    visible_at REAL NOT NULL,
    lease_owner TEXT
);
CREATE INDEX messages_by_queue ON messages (delivery, queue, visible_at);
"""
#: An owner as engines of version 2 named themselves (they held no lock file).
OLD_OWNER = "laptop:4242:0badc0de"


def old_store(directory: Path, version: int) -> sqlite3.Connection:
    """An empty store as the engine of schema ``version`` (1 or 2) created it."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = sqlite3.connect(directory / "engine.sqlite3", isolation_level=None)
    db.executescript((_V1_EVENTS if version == 1 else _V2_EVENTS) + _V1_V2_REST)
    db.execute(f"PRAGMA user_version = {version}")
    return db


def version_1_store(directory: Path, payloads: list[dict[str, Any]]) -> None:
    """A store as the single-function engine of schema version 1 left it."""
    with old_store(directory, 1) as db:
        for index, payload in enumerate(payloads):
            db.execute(
                "INSERT INTO events (request_id, payload, accepted_at, due_at) VALUES (?, ?, ?, ?)",
                (f"lambda-{index}", json.dumps(payload), time.time(), time.time()),
            )


def user_version(directory: Path) -> int:
    with sqlite3.connect(directory / "engine.sqlite3") as db:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def test_a_version_1_store_is_upgraded_in_place_and_its_events_run(harness: Harness) -> None:
    version_1_store(harness.state_dir, [event("api-1"), event("api-2")])
    upgraded = Store.open(harness.state_dir, routes={SQUARE.route: NAME})
    assert upgraded.pending_by_function() == {NAME: 2}
    upgraded.close()
    engine = harness.engine(lambda payload, _: {"ran": payload["api_request_id"]})
    engine.start()
    found = harness.records(SQUARE.on_success_queue, 2)
    assert sorted(r["responsePayload"]["ran"] for r in found) == ["api-1", "api-2"]
    assert user_version(harness.state_dir) == SCHEMA_VERSION


def test_a_version_1_store_with_an_undeclared_route_is_refused_and_left_alone(
    tmp_path: Path,
) -> None:
    version_1_store(tmp_path, [event("api-1"), report_event("api-2")])
    with pytest.raises(StoreError, match=r"\['/reports/\{account\}'\].*declare those routes"):
        Store.open(tmp_path, routes={SQUARE.route: NAME})
    assert user_version(tmp_path) == 1
    with sqlite3.connect(tmp_path / "engine.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2


def test_a_version_2_store_keeps_every_event_and_record_and_its_work_resumes(
    harness: Harness,
) -> None:
    now = time.time()
    with old_store(harness.state_dir, 2) as db:
        rows = [
            # (request_id, due_at, failed_attempts, lease_owner, lease_token)
            ("waiting", now, 0, None, None),
            ("mid-attempt", now, 0, OLD_OWNER, "old-token"),
            ("retry-soon", now + 0.5, 1, None, None),
        ]
        for request_id, due_at, failed, owner, token in rows:
            db.execute(
                "INSERT INTO events (request_id, function, payload, accepted_at, due_at, "
                "failed_attempts, lease_owner, lease_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request_id,
                    NAME,
                    json.dumps(event(request_id)),
                    now,
                    due_at,
                    failed,
                    owner,
                    token,
                ),
            )
        db.execute("INSERT INTO owners VALUES (?, ?)", (OLD_OWNER, now + 3600))
        for index, (delivery, visible_at) in enumerate(
            [("local", now), ("local", now + 0.5), ("sqs", now)]
        ):
            db.execute(
                "INSERT INTO messages (message_id, queue, body, md5_of_body, sent_at, delivery, "
                "visible_at, lease_owner) VALUES (?, ?, ?, '', ?, ?, ?, ?)",
                (f"m{index}", DEST, json.dumps({"kept": index}), now, delivery, visible_at, None),
            )
    engine = harness.engine(lambda payload, _: {"ran": payload["api_request_id"]})
    assert user_version(harness.state_dir) == SCHEMA_VERSION
    assert harness.store().pending_events() == 3
    engine.start()
    found = harness.records(DEST, 6)
    assert sorted(r.get("responsePayload", {}).get("ran", "") for r in found) == [
        "",
        "",
        "",
        "mid-attempt",
        "retry-soon",
        "waiting",
    ]
    assert sorted(r["kept"] for r in found if "kept" in r) == [0, 1, 2]
    retried = next(
        r for r in found if r.get("requestPayload", {}).get("api_request_id") == "retry-soon"
    )
    assert retried["requestContext"]["approximateInvokeCount"] == 2


def columns_and_indexes(directory: Path) -> dict[str, Any]:
    """Each table's columns (type, not null, primary key) and indexes (unique, columns).

    Defaults are left out: ``ALTER TABLE`` needs one for a NOT NULL column
    (version 1's ``function``) where a new table has none.
    """
    with sqlite3.connect(directory / "engine.sqlite3") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            table: (
                {
                    row[1]: (row[2], row[3], row[5])
                    for row in db.execute(f"PRAGMA table_info({table})")
                },
                {
                    row[1]: (row[2], [c[2] for c in db.execute(f"PRAGMA index_info({row[1]})")])
                    for row in db.execute(f"PRAGMA index_list({table})")
                },
            )
            for table in tables
        }


@pytest.mark.parametrize("version", [1, 2])
def test_an_upgraded_store_has_the_schema_of_a_new_one(tmp_path: Path, version: int) -> None:
    old_store(tmp_path / "old", version).close()
    Store.open(tmp_path / "old").close()
    Store.open(tmp_path / "new").close()
    assert columns_and_indexes(tmp_path / "old") == columns_and_indexes(tmp_path / "new")
