"""The engine's durable state: accepted events and the records they produced.

One SQLite database in WAL mode, outside the project tree, owner-only (0700
directory, 0600 files; see Store.open). Every change is one short transaction, committed
before the call returns, so whatever was accepted or produced survives a
reload, Ctrl-C or ``kill -9``. ``synchronous=NORMAL``: a committed
transaction survives any crash of the process; only an OS crash or power cut
may lose the last few.

Several engine processes may share a store (the old and the new worker during
a ``chalice local`` reload, two servers on one project). Work is handed out
with leases: an event being run, or a record being sent, belongs to one
*owner* (an engine process), named in its row. Only rows without an owner are
claimed; an owner gives its leases back when it stops, and the engines take
back the leases of owners that are gone (``local_async.liveness`` says which,
``local_async.leases`` decides). Every write that ends an attempt carries the
claim's token, so a late answer from a lease that was taken back changes
nothing.

Times are wall-clock epoch seconds passed in by the caller. A retry's due time
and a record's visibility are stored with their length and read with
``local_async.clock.wait_is_over``'s rule, so a backward clock step never
stretches them.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import stat
import threading
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local_async.clock import ROUNDING_SECONDS
from local_async.leases import EventLease

DATABASE_NAME = "engine.sqlite3"
#: The database and the files SQLite keeps beside it in WAL mode.
DATABASE_FILES = (DATABASE_NAME, f"{DATABASE_NAME}-wal", f"{DATABASE_NAME}-shm")
#: 3: leases without heartbeats (no ``owners`` table), waits stored with their
#: length, receipt handles. 2: the ``function`` column. 1: one function.
SCHEMA_VERSION = 3
#: How long a writer waits for another process's transaction to finish.
BUSY_TIMEOUT_SECONDS = 10.0

#: A record kept in the embedded store, read with ``python -m local_async.receive``.
LOCAL = "local"
#: A record waiting to be sent to the SQS endpoint (the outbox).
SQS = "sqs"

_SCHEMA = """
CREATE TABLE events (
    request_id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    payload TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    due_at REAL NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lease_owner TEXT,
    lease_token TEXT,
    retry_delay REAL NOT NULL DEFAULT 0
);
CREATE INDEX events_by_due_at ON events (due_at);
CREATE INDEX events_by_function ON events (function, due_at);
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
    lease_owner TEXT,
    visibility_timeout REAL NOT NULL DEFAULT 0,
    receipt_handle TEXT
);
CREATE INDEX messages_by_queue ON messages (delivery, queue, visible_at);
CREATE UNIQUE INDEX messages_by_receipt_handle ON messages (receipt_handle);
"""

# Events of the functions named in the JSON array :functions.
_OF_FUNCTIONS = "function IN (SELECT value FROM json_each(:functions))"
# clock.wait_is_over, in SQL: due (or visible) at :now.
_DUE = f"(due_at <= :now OR due_at - :now > retry_delay + {ROUNDING_SECONDS})"
_VISIBLE = f"(visible_at <= :now OR visible_at - :now > visibility_timeout + {ROUNDING_SECONDS})"
#: Receipt handles this store issues: 64 lower-case hex digits.
RECEIPT_HANDLE_LENGTH = 64


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


@dataclass(frozen=True)
class Claim:
    """An event leased for one attempt; ``token`` fences the attempt's outcome."""

    request_id: str
    #: The declared function that runs the event.
    function: str
    payload: str
    accepted_at: float
    failed_attempts: int
    last_error: str | None
    token: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A record in the outbox, to be sent to the SQS endpoint."""

    seq: int
    message_id: str
    queue: str
    body: str


@dataclass(frozen=True)
class ReceivedMessage:
    """A record read from the embedded store's queue, with this receive's handle."""

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    sent_at: float
    receive_count: int
    first_received_at: float


class Store:
    """The SQLite store; thread-safe (one connection, one lock)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        """Wrap an open connection; use :meth:`open` to get one."""
        self._db = connection
        self._lock = threading.Lock()
        self.path = path

    @classmethod
    def open(cls, directory: Path, routes: Mapping[str, str] | None = None) -> Store:
        """Open (creating it if needed) the store in ``directory``, its owner's only.

        A directory or database the engine creates is made owner-only (0700, 0600);
        an existing one keeps its mode, and is refused unless it belongs to the
        user and is not writable by group or others (anyone who may write in the
        directory may replace the database). The directory and the database are
        never followed through a symbolic link, and the database, its ``-wal``
        and ``-shm`` must be regular files.

        ``routes`` maps each declared route to its function's name: a store
        written by an engine of schema version 1 (one function, no function
        column) is upgraded in place by matching each pending event's
        ``api_resource_path``. Raises :class:`StoreError` saying what to do.
        """
        path = directory / DATABASE_NAME
        try:
            _open_files(directory)
            connection = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
        except StoreError:
            raise
        except (OSError, sqlite3.Error) as problem:
            raise StoreError(
                f"cannot open the async engine's store at {path}: {problem}; "
                "set ASYNC_STATE_DIR to a writable directory outside the project"
            ) from problem
        store = cls(connection, path)
        try:
            store._prepare(routes or {})
        except sqlite3.Error as problem:
            connection.close()
            raise StoreError(
                f"cannot use the async engine's store at {path}: {problem}; "
                "move the file away or set ASYNC_STATE_DIR to another directory"
            ) from problem
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    # -- events ------------------------------------------------------------------

    def add_event(self, function: str, request_id: str, payload: str, accepted_at: float) -> None:
        """Persist an event accepted for ``function``, due at once; committed when this returns."""
        with self._write() as db:
            _insert_event(db, function, request_id, payload, accepted_at)

    def claim_event(
        self, owner: str, token: str, now: float, functions: Sequence[str]
    ) -> Claim | None:
        """Lease the free event of ``functions`` due first, for one attempt; None if none is due.

        The caller makes ``token`` (unique) and knows it before the lease exists.
        """
        with self._write() as db:
            row = db.execute(
                "SELECT request_id, function, payload, accepted_at, failed_attempts, last_error "
                f"FROM events WHERE lease_owner IS NULL AND {_OF_FUNCTIONS} AND {_DUE} "
                "ORDER BY due_at, rowid LIMIT 1",
                {"now": now, "functions": json.dumps(functions)},
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE events SET lease_owner = ?, lease_token = ? WHERE request_id = ?",
                (owner, token, row[0]),
            )
        return Claim(
            request_id=row[0],
            function=row[1],
            payload=row[2],
            accepted_at=row[3],
            failed_attempts=row[4],
            last_error=row[5],
            token=token,
        )

    def next_due_at(self, now: float, functions: Sequence[str]) -> float | None:
        """When the next free event of ``functions`` is due (``now`` if already), or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT MIN(CASE WHEN {_DUE} THEN :now ELSE due_at END) FROM events "
                f"WHERE lease_owner IS NULL AND {_OF_FUNCTIONS}",
                {"now": now, "functions": json.dumps(functions)},
            ).fetchone()
        due: float | None = row[0]
        return due

    def release(self, claim: Claim) -> None:
        """Give back a claim without an outcome, so the attempt runs again."""
        with self._write() as db:
            db.execute(
                "UPDATE events SET lease_owner = NULL, lease_token = NULL "
                "WHERE request_id = ? AND lease_token = ?",
                (claim.request_id, claim.token),
            )

    def reschedule(
        self, claim: Claim, *, failed_attempts: int, now: float, due_at: float, last_error: str
    ) -> bool:
        """Record a failed attempt at ``now`` and free the event until ``due_at``.

        Returns False, changing nothing, if the claim's lease was taken back.
        """
        with self._write() as db:
            changed = db.execute(
                "UPDATE events SET failed_attempts = ?, due_at = ?, retry_delay = ?, "
                "last_error = ?, lease_owner = NULL, lease_token = NULL "
                "WHERE request_id = ? AND lease_token = ?",
                (
                    failed_attempts,
                    due_at,
                    max(0.0, due_at - now),
                    last_error,
                    claim.request_id,
                    claim.token,
                ),
            ).rowcount
        return changed == 1

    def complete(self, claim: Claim, *, queue: str, body: str, delivery: str, now: float) -> bool:
        """Replace the event by its record on ``queue``, in one transaction.

        Returns False, changing nothing, if the claim's lease was taken back.
        """
        with self._write() as db:
            deleted = db.execute(
                "DELETE FROM events WHERE request_id = ? AND lease_token = ?",
                (claim.request_id, claim.token),
            ).rowcount
            if deleted == 1:
                md5 = hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()
                db.execute(
                    "INSERT INTO messages (message_id, queue, body, md5_of_body, sent_at, "
                    "delivery, visible_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (str(uuid.uuid4()), queue, body, md5, now, delivery, now),
                )
        return deleted == 1

    def pending_events(self) -> int:
        """How many accepted events have no record yet."""
        return self._count("SELECT COUNT(*) FROM events")

    def pending_by_function(self) -> dict[str, int]:
        """How many accepted events have no record yet, by function."""
        with self._lock:
            rows = self._db.execute(
                "SELECT function, COUNT(*) FROM events GROUP BY function ORDER BY function"
            ).fetchall()
        return {function: count for function, count in rows}

    # -- leases ------------------------------------------------------------------

    def event_leases(self) -> list[EventLease]:
        """Every leased event, with its owner and token."""
        with self._lock:
            rows = self._db.execute(
                "SELECT request_id, lease_owner, lease_token FROM events "
                "WHERE lease_owner IS NOT NULL ORDER BY rowid"
            ).fetchall()
        return [EventLease(request_id=r[0], owner=r[1], token=r[2]) for r in rows]

    def outbox_owners(self) -> set[str]:
        """The owners holding leases on outbox records."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT lease_owner FROM messages WHERE lease_owner IS NOT NULL"
            ).fetchall()
        return {row[0] for row in rows}

    def take_back(self, leases: Collection[EventLease], owners: Collection[str]) -> int:
        """Free ``leases`` (each only if it still has its token) and every lease of ``owners``.

        Returns how many events and records were freed.
        """
        with self._write() as db:
            freed = sum(
                db.execute(
                    "UPDATE events SET lease_owner = NULL, lease_token = NULL "
                    "WHERE request_id = ? AND lease_token = ?",
                    (lease.request_id, lease.token),
                ).rowcount
                for lease in leases
            )
            for owner in owners:
                freed += db.execute(
                    "UPDATE messages SET lease_owner = NULL WHERE lease_owner = ?", (owner,)
                ).rowcount
        return freed

    def retire_owner(self, owner: str) -> None:
        """Give back every lease ``owner`` holds, so others resume at once."""
        with self._write() as db:
            db.execute(
                "UPDATE events SET lease_owner = NULL, lease_token = NULL WHERE lease_owner = ?",
                (owner,),
            )
            db.execute("UPDATE messages SET lease_owner = NULL WHERE lease_owner = ?", (owner,))

    # -- the outbox --------------------------------------------------------------

    def outbox_size(self) -> int:
        """How many records wait to be sent to the SQS endpoint."""
        return self._count("SELECT COUNT(*) FROM messages WHERE delivery = 'sqs'")

    def outbox_queues(self, owner: str) -> list[str]:
        """The queues with outbox records that ``owner`` holds or nobody does, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT queue FROM messages WHERE delivery = 'sqs' "
                "AND (lease_owner IS NULL OR lease_owner = ?) GROUP BY queue ORDER BY MIN(seq)",
                (owner,),
            ).fetchall()
        return [row[0] for row in rows]

    def claim_outbox(self, owner: str, queue: str, limit: int) -> list[OutgoingMessage]:
        """Lease up to ``limit`` of ``queue``'s oldest outbox records that ``owner`` may send.

        Those are the free ones and those ``owner`` holds already: the sender
        that leased a record is the one that sends it again.
        """
        with self._write() as db:
            rows = db.execute(
                "SELECT seq, message_id, queue, body FROM messages "
                "WHERE delivery = 'sqs' AND queue = :queue "
                "AND (lease_owner IS NULL OR lease_owner = :owner) ORDER BY seq LIMIT :limit",
                {"queue": queue, "owner": owner, "limit": limit},
            ).fetchall()
            db.executemany(
                "UPDATE messages SET lease_owner = ? WHERE seq = ?",
                [(owner, row[0]) for row in rows],
            )
        return [OutgoingMessage(seq=r[0], message_id=r[1], queue=r[2], body=r[3]) for r in rows]

    def delete_messages(self, seqs: Sequence[int]) -> None:
        """Forget records that reached their destination."""
        with self._write() as db:
            db.executemany("DELETE FROM messages WHERE seq = ?", [(seq,) for seq in seqs])

    def keep_locally(self, seqs: Sequence[int] | None = None) -> int:
        """Move outbox records (all of them when ``seqs`` is None) to the embedded store."""
        with self._write() as db:
            if seqs is None:
                return db.execute(
                    "UPDATE messages SET delivery = 'local', lease_owner = NULL "
                    "WHERE delivery = 'sqs'"
                ).rowcount
            return sum(
                db.execute(
                    "UPDATE messages SET delivery = 'local', lease_owner = NULL "
                    "WHERE seq = ? AND delivery = 'sqs'",
                    (seq,),
                ).rowcount
                for seq in seqs
            )

    # -- the embedded queues -----------------------------------------------------

    def receive(
        self, queue: str, *, limit: int, now: float, visibility_timeout: float
    ) -> list[ReceivedMessage]:
        """Receive up to ``limit`` visible records of ``queue`` from the embedded store.

        As SQS's ReceiveMessage: each receive counts, gives each record a new
        receipt handle (the one :meth:`delete` and :meth:`change_visibility`
        take) and hides it for ``visibility_timeout`` seconds (0: it stays
        visible). Nothing is deleted.
        """
        with self._write() as db:
            rows = db.execute(
                "SELECT seq, message_id, body, md5_of_body, sent_at, receive_count, "
                "first_received_at FROM messages "
                f"WHERE delivery = 'local' AND queue = :queue AND {_VISIBLE} "
                "ORDER BY seq LIMIT :limit",
                {"queue": queue, "now": now, "limit": limit},
            ).fetchall()
            handles = [secrets.token_hex(RECEIPT_HANDLE_LENGTH // 2) for _ in rows]
            db.executemany(
                "UPDATE messages SET receive_count = receive_count + 1, "
                "first_received_at = COALESCE(first_received_at, ?), visible_at = ?, "
                "visibility_timeout = ?, receipt_handle = ? WHERE seq = ?",
                [
                    (now, now + visibility_timeout, visibility_timeout, handle, row[0])
                    for row, handle in zip(rows, handles, strict=True)
                ],
            )
        return [
            ReceivedMessage(
                message_id=row[1],
                receipt_handle=handle,
                body=row[2],
                md5_of_body=row[3],
                sent_at=row[4],
                receive_count=row[5] + 1,
                first_received_at=row[6] if row[6] is not None else now,
            )
            for row, handle in zip(rows, handles, strict=True)
        ]

    def delete(self, queue: str, receipt_handles: Sequence[str]) -> list[str]:
        """Delete the records of ``queue`` last received with ``receipt_handles``.

        Returns the handles that matched no record (deleted already, received
        again since, or never issued): as SQS's DeleteMessage, such a delete
        changes nothing.
        """
        with self._write() as db:
            return [
                handle
                for handle in receipt_handles
                if db.execute(
                    "DELETE FROM messages WHERE delivery = 'local' AND queue = ? "
                    "AND receipt_handle = ?",
                    (queue, handle),
                ).rowcount
                == 0
            ]

    def replace_by_event(
        self,
        queue: str,
        receipt_handle: str,
        *,
        function: str,
        request_id: str,
        payload: str,
        accepted_at: float,
    ) -> bool:
        """Replace the record of ``queue`` last received with ``receipt_handle`` by an event.

        The event, for ``function`` and due at once, is added and the record
        deleted in one transaction: both or neither, so a failed event replayed
        this way is neither lost nor run twice. Returns False, changing
        nothing, when no record has that handle (deleted already, or received
        again since).
        """
        with self._write() as db:
            deleted = db.execute(
                "DELETE FROM messages WHERE delivery = 'local' AND queue = ? "
                "AND receipt_handle = ?",
                (queue, receipt_handle),
            ).rowcount
            if deleted == 1:
                _insert_event(db, function, request_id, payload, accepted_at)
        return deleted == 1

    def change_visibility(
        self, queue: str, receipt_handles: Sequence[str], *, now: float, visibility_timeout: float
    ) -> None:
        """Hide (or, with 0, show at once) the records last received with ``receipt_handles``."""
        with self._write() as db:
            db.executemany(
                "UPDATE messages SET visible_at = ?, visibility_timeout = ? "
                "WHERE delivery = 'local' AND queue = ? AND receipt_handle = ?",
                [
                    (now + visibility_timeout, visibility_timeout, queue, handle)
                    for handle in receipt_handles
                ],
            )

    def _count(self, query: str) -> int:
        with self._lock:
            count: int = self._db.execute(query).fetchone()[0]
        return count

    # -- the schema --------------------------------------------------------------

    def _prepare(self, routes: Mapping[str, str]) -> None:
        """Switch to WAL and create the schema, upgrade it, or check that it is this version's."""
        with self._lock:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
            elif version not in (1, 2, SCHEMA_VERSION):
                raise StoreError(
                    f"the store at {self.path} has schema version {version}, this engine "
                    f"writes version {SCHEMA_VERSION}: move the file away or set "
                    "ASYNC_STATE_DIR to another directory"
                )
            if version == 1:
                self._upgrade_from_1(db, routes)
            if version in (1, 2):
                _upgrade_from_2(db)
            if version != SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _upgrade_from_1(self, db: sqlite3.Connection, routes: Mapping[str, str]) -> None:
        """Give version 1's events (one function, no column for it) their function.

        Inside the caller's transaction: either every event gets its function
        or nothing changes and the store stays at version 1.
        """
        functions: list[tuple[str, str]] = []
        unknown: set[str] = set()
        for request_id, payload in db.execute("SELECT request_id, payload FROM events"):
            route = str(json.loads(payload).get("api_resource_path", ""))
            if route in routes:
                functions.append((routes[route], request_id))
            else:
                unknown.add(route)
        if unknown:
            raise StoreError(
                f"the store at {self.path} was written by an earlier version of the engine "
                f"and holds pending events for {sorted(unknown)}, which no declared function "
                "serves: declare those routes again, or move the file away (the events in "
                "it are lost) or set ASYNC_STATE_DIR to another directory"
            )
        db.execute("ALTER TABLE events ADD COLUMN function TEXT NOT NULL DEFAULT ''")
        db.executemany("UPDATE events SET function = ? WHERE request_id = ?", functions)
        db.execute("CREATE INDEX events_by_function ON events (function, due_at)")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking SQLite's write lock up front."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise


def _insert_event(
    db: sqlite3.Connection, function: str, request_id: str, payload: str, accepted_at: float
) -> None:
    db.execute(
        "INSERT INTO events (request_id, function, payload, accepted_at, due_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (request_id, function, payload, accepted_at, accepted_at),
    )


def _upgrade_from_2(db: sqlite3.Connection) -> None:
    """Version 2 to 3, in the caller's transaction; every event and record stays.

    Leases keep their owners: engines of version 2 have no lock file, so the
    first engine that looks finds them gone and takes their leases back.
    """
    db.execute("DROP TABLE owners")
    db.execute("ALTER TABLE events ADD COLUMN retry_delay REAL NOT NULL DEFAULT 0")
    # A version 2 retry was due at its due_at whatever the clock did: the
    # length of its wait is unknown, so a due time in the future is kept.
    db.execute("UPDATE events SET retry_delay = MAX(0, due_at - accepted_at)")
    db.execute("ALTER TABLE messages ADD COLUMN visibility_timeout REAL NOT NULL DEFAULT 0")
    db.execute("UPDATE messages SET visibility_timeout = MAX(0, visible_at - sent_at)")
    db.execute("ALTER TABLE messages ADD COLUMN receipt_handle TEXT")
    db.execute("CREATE UNIQUE INDEX messages_by_receipt_handle ON messages (receipt_handle)")


def _open_files(directory: Path) -> None:
    """Make or check ``directory`` and the database in it (see :meth:`Store.open`)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(directory, 0o700)
        created = True
    except FileExistsError:
        created = False
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as problem:
        if directory.is_symlink():
            raise StoreError(
                f"the async engine's store directory {directory} is a symbolic link; "
                "set ASYNC_STATE_DIR to the directory itself"
            ) from problem
        raise
    try:
        if created:
            os.fchmod(descriptor, 0o700)  # the umask may have left less, never more
        _check_owned_and_private(os.fstat(descriptor), directory, "directory")
        _open_database(descriptor, directory)
    finally:
        os.close(descriptor)


def _open_database(directory_fd: int, directory: Path) -> None:
    for name in DATABASE_FILES:
        try:
            found = os.stat(name, dir_fd=directory_fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(found.st_mode):
            raise StoreError(
                f"{directory / name} is not a regular file (a symbolic link, say); the "
                "async engine's store refuses it: remove it, or set ASYNC_STATE_DIR to "
                "another directory"
            )
        _check_owned_and_private(found, directory / name, "file")
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        descriptor = os.open(DATABASE_NAME, flags, 0o600, dir_fd=directory_fd)
    except FileExistsError:
        return
    try:
        # SQLite gives its -wal and -shm files the database file's mode.
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def _check_owned_and_private(found: os.stat_result, path: Path, what: str) -> None:
    if found.st_uid != os.geteuid():
        raise StoreError(
            f"the async engine's store {what} {path} belongs to user id {found.st_uid}, "
            f"not to you ({os.geteuid()}); set ASYNC_STATE_DIR to a directory of your own"
        )
    if found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StoreError(
            f"the async engine's store {what} {path} is writable by others than you "
            f"(mode {stat.S_IMODE(found.st_mode):o}), who could replace or change the store; "
            f"`chmod go-w {path}`, or set ASYNC_STATE_DIR to a directory only you can write"
        )
