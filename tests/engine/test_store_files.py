"""Where the store lives: what the engine creates is owner-only, what it finds is checked.

Issue 15 (local engine) and issue 10 item 7: ``ASYNC_STATE_DIR`` pointed at an
existing directory (the home directory, ``/tmp``) must not be chmod'ed, a
directory or file someone else could replace is refused, and nothing is
followed through a symbolic link (a planted ``engine.sqlite3`` link would
otherwise let the engine open, and chmod, another file).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from local_async.settings import state_dir
from local_async.store import DATABASE_NAME, Store, StoreError

#: Another user's id, for the ownership cases (chown needs root).
NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_directory_the_engine_creates_is_owner_only_with_its_parents_as_the_umask_says(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "new" / "state"
    previous = os.umask(0o022)
    try:
        Store.open(directory).close()
    finally:
        os.umask(previous)
    assert mode(directory) == 0o700
    assert mode(directory / DATABASE_NAME) == 0o600
    assert mode(directory.parent) == 0o755, "mkdir -p: parents are not the engine's to restrict"


@pytest.mark.parametrize("existing", [0o755, 0o700, 0o750, 0o711], ids=lambda m: f"{m:o}")
def test_an_existing_directory_keeps_its_mode(tmp_path: Path, existing: int) -> None:
    directory = tmp_path / "home"
    directory.mkdir()
    directory.chmod(existing)
    Store.open(directory).close()
    assert mode(directory) == existing
    assert mode(directory / DATABASE_NAME) == 0o600, "the database is the engine's: owner-only"


@pytest.mark.parametrize(
    "writable", [0o777, 0o1777, 0o775, 0o757, 0o730], ids=["777", "tmp-1777", "775", "757", "730"]
)
def test_a_directory_others_can_write_is_refused_and_left_as_it_was(
    tmp_path: Path, writable: int
) -> None:
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(writable)
    with pytest.raises(StoreError) as refused:
        Store.open(directory)
    message = str(refused.value)
    assert f"{directory} is writable by others than you (mode {writable:o})" in message
    assert f"chmod go-w {directory}" in message and "ASYNC_STATE_DIR" in message
    assert mode(directory) == writable, "the sticky bit, and every other bit, kept"
    assert list(directory.iterdir()) == [], "nothing created in a refused directory"


@as_root
def test_a_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, NOBODY, NOBODY)
    with pytest.raises(StoreError, match=rf"belongs to user id {NOBODY}, not to you"):
        Store.open(directory)


def test_a_state_directory_that_is_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir(mode=0o755)
    link = tmp_path / "state"
    link.symlink_to(target)
    chosen = state_dir({"ASYNC_STATE_DIR": str(link)})
    assert chosen == link, "the setting keeps the link for Store.open to see"
    with pytest.raises(
        StoreError, match="is a symbolic link; set ASYNC_STATE_DIR to the directory"
    ):
        Store.open(chosen)
    assert mode(target) == 0o755 and list(target.iterdir()) == []


@pytest.mark.parametrize("name", [DATABASE_NAME, f"{DATABASE_NAME}-wal", f"{DATABASE_NAME}-shm"])
def test_a_planted_link_in_place_of_a_database_file_is_refused(tmp_path: Path, name: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    victim.chmod(0o644)
    directory = tmp_path / "state"
    directory.mkdir(mode=0o700)
    (directory / name).symlink_to(victim)
    with pytest.raises(StoreError, match=rf"{name} is not a regular file"):
        Store.open(directory)
    assert mode(victim) == 0o644 and victim.read_text() == "someone else's file"


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_database_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    directory = tmp_path / "state"
    directory.mkdir(mode=0o700)
    database = directory / DATABASE_NAME
    if kind == "directory":
        database.mkdir()
    else:
        os.mkfifo(database)
    with pytest.raises(StoreError, match="is not a regular file"):
        Store.open(directory)


def test_an_existing_database_keeps_its_mode_unless_others_can_write_it(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    Store.open(directory).close()
    database = directory / DATABASE_NAME
    database.chmod(0o640)
    Store.open(directory).close()
    assert mode(database) == 0o640
    database.chmod(0o660)
    with pytest.raises(StoreError, match=r"engine\.sqlite3 is writable by others than you"):
        Store.open(directory)


@as_root
def test_a_database_of_another_user_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    Store.open(directory).close()
    os.chown(directory / DATABASE_NAME, NOBODY, NOBODY)
    with pytest.raises(StoreError, match=rf"belongs to user id {NOBODY}"):
        Store.open(directory)


def test_a_relative_state_directory_is_made_absolute_without_following_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert state_dir({"ASYNC_STATE_DIR": "relative/state"}) == tmp_path / "relative" / "state"
