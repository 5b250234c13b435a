"""Events pending when ``chalice local`` starts run once each and succeed, after app.py is whole.

The engine used to start while app.py was still being imported: an event
resumed in that gap ran ``get_square_fn`` before ``_random``, defined below
it, existed, and failed with ``NameError`` (an attempt lost; on its last
attempt, a record on the on-failure queue for nothing). Here the events are in
the store before the server starts, written with the store's own API as the
route writes them, so every one of them is pending at start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from chalicelib.async_api import contract, json_codec
from local_async.store import Store
from tests.support.chalice_local import ChaliceLocal
from tests.support.declared import DEST, DLQ, NAME, SQUARE
from tests.support.engine_e2e import engine_env, log_events, receive_records, wait_for_log
from tests.support.events import api_event
from tests.support.project import PROJECT_DIR, copy_project

pytestmark = pytest.mark.e2e

EVENTS = 6


def test_importing_app_as_chalice_local_starts_nothing(tmp_path: Path) -> None:
    # What the engine resumes would otherwise run while app.py is half defined.
    state = tmp_path / "state"
    imported = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv = ['chalice', 'local']; import app"],
        cwd=PROJECT_DIR,
        env={**os.environ, "AWS_CHALICE_CLI_MODE": "true", "ASYNC_STATE_DIR": str(state)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert imported.stdout == "", imported.stdout
    assert not state.exists(), "no engine may start before the server does"


def store_pending_events(state_dir: Path, count: int) -> set[str]:
    """``count`` events accepted for ``get_square_fn`` and not yet run; their API request ids."""
    store = Store.open(state_dir)
    accepted: set[str] = set()
    try:
        for number in range(count):
            api_request_id = str(uuid.uuid4())
            event = api_event(
                {"number": str(number)},
                resource_path=SQUARE.route,
                invocation_type=contract.EVENT,
                request_id=api_request_id,
            )
            store.add_event(NAME, str(uuid.uuid4()), json_codec.dumps(event), time.time())
            accepted.add(api_request_id)
    finally:
        store.close()
    return accepted


def assert_each_ran_once_and_succeeded(state_dir: Path, log: Path, accepted: set[str]) -> None:
    records = receive_records(state_dir, DEST, len(accepted), timeout=30)
    assert {r["requestPayload"]["api_request_id"] for r in records} == accepted
    assert {r["requestContext"]["condition"] for r in records} == {"Success"}
    assert {r["requestContext"]["approximateInvokeCount"] for r in records} == {1}
    wait_for_log(log, "async.attempt.started", len(accepted))  # written up to 20 ms later
    failed = log_events(log, "async.attempt.failed")
    assert failed == [], f"attempts failed: {failed}"
    runs = Counter(line["request_id"] for line in log_events(log, "async.attempt.started"))
    assert runs == dict.fromkeys(accepted, 1), runs
    assert receive_records(state_dir, DLQ, 0, timeout=0) == []


@pytest.mark.parametrize("autoreload", [False, True], ids=["--no-autoreload", "autoreload"])
def test_events_pending_at_start_up_run_once_each_and_succeed(
    tmp_path: Path, autoreload: bool
) -> None:
    # Autoreload restarts on any change under the project: a copy nothing else writes to.
    project = copy_project(tmp_path / "project") if autoreload else PROJECT_DIR
    state, log = tmp_path / "state", tmp_path / "server.log"
    accepted = store_pending_events(state, EVENTS)
    env = engine_env(state)
    with ChaliceLocal(env, autoreload=autoreload, log_path=log, project_dir=project):
        assert_each_ran_once_and_succeeded(state, log, accepted)
    [started] = log_events(log, "async.engine.started")
    assert started["pending_events"] == {NAME: EVENTS}


def test_events_pending_at_a_reload_after_a_save_run_once_each_and_succeed(
    tmp_path: Path,
) -> None:
    # Until the save, app.py declares the function under another name: its
    # events wait in the store (an engine runs only what it declares), so all
    # of them are pending when the reloaded worker starts.
    project = copy_project(tmp_path / "project")
    source = (project / "app.py").read_text(encoding="utf-8")
    assert source.count(f"def {NAME}(") == 1, "app.py declares the function by its name"
    (project / "app.py").write_text(source.replace(f"def {NAME}(", f"def {NAME}_before_the_save("))
    state, log = tmp_path / "state", tmp_path / "server.log"
    accepted = store_pending_events(state, EVENTS)
    with ChaliceLocal(engine_env(state), autoreload=True, log_path=log, project_dir=project):
        wait_for_log(log, "async.engine.undeclared_functions", 1)
        assert log_events(log, "async.attempt.started") == []
        (project / "app.py").write_text(source)  # the save
        wait_for_log(log, "async.engine.started", 2)
        assert_each_ran_once_and_succeeded(state, log, accepted)
    assert log_events(log, "async.engine.started")[1]["pending_events"] == {NAME: EVENTS}
