"""chalice local's reloader as ``make run`` starts it: quiet while files are read, quick on a save.

With watchdog installed (requirements-dev.txt pins it on Linux) Chalice
watches the project with inotify instead of polling every file under it once a
second; watchdog 2.3 and later also report file *opens*, which Chalice takes
for changes: the server then restarts in a loop.
"""

from __future__ import annotations

import compileall
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.chalice_local import ChaliceLocal
from tests.support.engine_e2e import engine_env
from tests.support.project import copy_project

pytestmark = pytest.mark.e2e

RESTART = "Restarting local dev server."
PROBE_ROUTE = """

@app.route("/reload-probe")
def reload_probe() -> dict[str, int]:
    return {"generation": 1}
"""


@pytest.mark.skipif(sys.platform != "linux", reason="watchdog is pinned for Linux only")
def test_chalice_local_watches_files_with_watchdog() -> None:
    from chalice.cli.reloader import get_best_worker_process

    assert get_best_worker_process().__name__ == "WatchdogWorkerProcess"


def restarts(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count(RESTART)


def test_reading_files_does_not_restart_and_a_save_serves_the_new_code(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    # Bytecode written by the first worker would count as a change.
    compileall.compile_dir(project, quiet=1)
    log = tmp_path / "server.log"
    with ChaliceLocal(
        engine_env(tmp_path / "state"), autoreload=True, log_path=log, project_dir=project
    ) as server:
        time.sleep(1.5)  # a restart loop, if any, shows within this
        before = restarts(log)
        for path in sorted(project.rglob("*")):
            if path.is_file():
                path.read_bytes()
        time.sleep(1.5)
        assert restarts(log) == before, "reading files restarted chalice local"
        assert before == 0, "chalice local restarted with nothing changed"

        with (project / "app.py").open("a", encoding="utf-8") as source:
            source.write(PROBE_ROUTE)
        deadline = time.monotonic() + 30
        while generation(server) != 1:
            assert time.monotonic() < deadline, "the saved code was not served within 30 s"
            time.sleep(0.05)


def generation(server: ChaliceLocal) -> object:
    """What the probe route answers, or None while it is not served."""
    try:
        answer = requests.get(f"{server.url}/reload-probe", timeout=2)
    except requests.RequestException:
        return None
    return answer.json().get("generation") if answer.status_code == 200 else None
