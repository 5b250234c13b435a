"""Which engine processes are alive, known from the kernel rather than from clocks.

Each engine process (an *owner* of leases in the store) holds an exclusive
``flock`` on its own file, ``owner-<owner>.lock`` in the store's directory
(owner-only, as the store), for as long as it runs. The kernel drops the lock
when the process dies, however it dies (``kill -9`` included), and whatever
any clock says; a process that is merely slow (a function holding the GIL, a
laptop asleep) keeps it. So another engine asks "is this owner alive?" by
trying to take its lock without waiting: refused means alive; granted (or no
file at all) means the owner is gone, and its leases may be taken back.

``flock`` locks belong to an open file description, so two engines in one
process (the tests) exclude each other exactly as two processes do.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import threading
from pathlib import Path
from typing import Protocol

#: Lock files are named ``owner-<owner>.lock``.
LOCK_FILE_PREFIX = "owner-"
#: What :func:`new_owner` makes: the process id, for people, and a random part.
_OWNER = re.compile(r"[0-9]{1,10}-[0-9a-f]{32}")


class Liveness(Protocol):
    """How an engine shows that it is alive and asks whether another one is."""

    def hold(self, owner: str) -> None:
        """Declare ``owner`` (this process) alive until :meth:`release`."""

    def release(self, owner: str) -> None:
        """Declare ``owner`` gone: it holds no lease any more."""

    def is_alive(self, owner: str) -> bool:
        """Whether the process that is ``owner`` still runs."""


def new_owner(pid: int, random_hex: str) -> str:
    """An owner name: ``<pid>-<32 hex digits>``, unique as long as ``random_hex`` is."""
    owner = f"{pid}-{random_hex}"
    if not _OWNER.fullmatch(owner):
        raise ValueError(f"not an owner name: {owner!r}")
    return owner


class OwnerLocks:
    """:class:`Liveness` with one ``flock``-ed file per owner in the store's directory."""

    def __init__(self, state_dir: Path) -> None:
        """Keep lock files in ``state_dir``, which exists (the store is in it)."""
        self._directory = state_dir
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def hold(self, owner: str) -> None:
        """Create and lock ``owner``'s file; raise ``OSError`` if it cannot be locked."""
        path = self._path(owner)
        if path is None:
            raise ValueError(f"not an owner name: {owner!r}")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            # The name is new (random), so nobody else can hold it: never waits.
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            raise
        with self._lock:
            self._held[owner] = descriptor

    def release(self, owner: str) -> None:
        """Remove ``owner``'s file and drop its lock (a no-op if it holds none)."""
        with self._lock:
            descriptor = self._held.pop(owner, None)
        if descriptor is None:
            return
        path = self._path(owner)
        if path is not None:
            _unlink_quietly(path)
        os.close(descriptor)

    def is_alive(self, owner: str) -> bool:
        """Whether ``owner``'s lock is held; a dead owner's file is removed on the way.

        A name this class could not have made, or one with no file, is not alive:
        leases from engines of earlier versions (which had no lock files) are
        then taken back like those of a dead process.
        """
        with self._lock:
            if owner in self._held:
                return True
        path = self._path(owner)
        if path is None:
            return False
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as problem:
            if problem.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                os.close(descriptor)
                return True
            os.close(descriptor)
            raise
        # Granted: its process is gone. Unlinked while locked, so a second
        # prober that opened the file meanwhile only finds it dead as well.
        _unlink_quietly(path)
        os.close(descriptor)
        return False

    def _path(self, owner: str) -> Path | None:
        if not _OWNER.fullmatch(owner):
            return None
        return self._directory / f"{LOCK_FILE_PREFIX}{owner}.lock"


def _unlink_quietly(path: Path) -> None:
    path.unlink(missing_ok=True)  # another prober may have removed it first
