"""``make run`` as a user runs it: the port and host chosen, start-up refusals, one JSON log stream.

With autoreload (what ``make run`` starts), ``chalice local`` is a parent
process and a worker that serves from a thread while it watches files; a
server that could not start used to leave the worker watching and the parent
waiting, exit status 0 at best. Each refusal here must end the whole tree
with exit status 2 and one line naming what was wrong and what is accepted.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from local_async.dev_server import EXIT_NOT_STARTED
from tests.support.chalice_local import CHALICE, ChaliceLocal, free_port, user_environment
from tests.support.declared import FUNCTIONS
from tests.support.engine_e2e import engine_env, log_events, wait_for_log
from tests.support.moto_sqs import MotoSqs
from tests.support.project import runnable_copy

pytestmark = pytest.mark.e2e

#: A refused start must end within this, where the old worker never ended.
REFUSAL_SECONDS = 60
ISO_8601_UTC_MILLISECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return runnable_copy(tmp_path_factory.mktemp("make-run") / "project")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def run_to_its_end(
    project: Path, env: Mapping[str, str], *command: str
) -> subprocess.CompletedProcess[str]:
    """``command`` in ``project``, as a user's shell runs it, until it ends."""
    return subprocess.run(
        command,
        cwd=project,
        env=user_environment(env),
        capture_output=True,
        text=True,
        timeout=REFUSAL_SECONDS,
        check=False,
    )


def make_run(
    project: Path, env: Mapping[str, str], *variables: str
) -> subprocess.CompletedProcess[str]:
    """``make run`` with these variables (autoreload on, as users run it)."""
    return run_to_its_end(project, env, "make", "--no-print-directory", "run", *variables)


def chalice_local(
    project: Path, env: Mapping[str, str], port: int
) -> subprocess.CompletedProcess[str]:
    """``chalice local --no-autoreload`` on ``port``."""
    return run_to_its_end(
        project, env, str(CHALICE), "local", "--no-autoreload", "--port", str(port)
    )


def the_one_refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The refusal's reason: the server wrote one line, a JSON ``server.not_started``."""
    assert done.returncode == EXIT_NOT_STARTED, (done.returncode, done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert len(lines) == 1, f"expected one line, got: {done.stdout}"
    line = json.loads(lines[0])
    assert (line["level"], line["event"]) == ("ERROR", "server.not_started"), line
    assert all(other.startswith("make: ***") for other in done.stderr.splitlines()), done.stderr
    reason: str = line["error"]
    return reason


@pytest.mark.parametrize("autoreload", [True, False], ids=["make run", "--no-autoreload"])
def test_a_busy_port_stops_the_server_with_one_line_and_status_2(
    project: Path, busy_port: int, autoreload: bool, tmp_path: Path
) -> None:
    env = engine_env(tmp_path / "state")
    done = (
        make_run(project, env, f"PORT={busy_port}")
        if autoreload
        else chalice_local(project, env, busy_port)
    )
    reason = the_one_refusal(done)
    assert f"127.0.0.1:{busy_port}" in reason and "Address already in use" in reason, reason
    assert "PORT" in reason, "the line says what to change"
    assert not (tmp_path / "state").exists(), "no engine ran: it starts once the port is bound"


@pytest.mark.parametrize("port", ["99999", "-1", "0", "abc", "8000x"])
def test_a_port_that_is_not_a_port_stops_make_run_with_one_line(
    project: Path, port: str, tmp_path: Path
) -> None:
    reason = the_one_refusal(make_run(project, engine_env(tmp_path / "state"), f"PORT={port}"))
    assert f"PORT={port!r}" in reason and "from 1 to 65535" in reason, reason


def test_an_app_py_whose_declaration_is_refused_stops_make_run_with_one_line(
    tmp_path: Path,
) -> None:
    broken = runnable_copy(tmp_path / "broken")
    app_py = broken / "app.py"
    app_py.write_text(
        app_py.read_text().replace("reserved_concurrency=10,", "reserved_concurrency=0,"),
        encoding="utf-8",
    )
    reason = the_one_refusal(
        make_run(broken, engine_env(tmp_path / "state"), f"PORT={free_port()}")
    )
    assert "app.py cannot be served: DeclarationError" in reason, reason
    assert "reserved_concurrency" in reason, "the line names the field"


SETTINGS = [
    ("SQUARE_FAULT_RATE", "2", "a number from 0 to 1"),
    ("SQUARE_WORK_SECONDS", "soon", "a number of seconds from 0 to 59"),
    ("ASYNC_CONCURRENCY", "0", "a whole number from 1 to 64"),
    ("ASYNC_RETRY_BASE_DELAY_SECONDS", "-1", "a number of seconds >= 0"),
]


@pytest.mark.parametrize(
    ("variable", "value", "accepted"), SETTINGS, ids=[f"{v}={x}" for v, x, _ in SETTINGS]
)
@pytest.mark.parametrize("autoreload", [True, False], ids=["make run", "--no-autoreload"])
def test_a_bad_setting_of_a_function_or_the_engine_stops_the_server_naming_it(
    project: Path, variable: str, value: str, accepted: str, autoreload: bool, tmp_path: Path
) -> None:
    env = engine_env(tmp_path / "state", **{variable: value})
    port = free_port()
    done = (
        make_run(project, env, f"PORT={port}") if autoreload else chalice_local(project, env, port)
    )
    reason = the_one_refusal(done)
    assert f"{variable}={value!r}" in reason and accepted in reason, reason
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/square/2", timeout=5)


def test_make_run_serves_on_the_port_and_host_it_is_given(project: Path, tmp_path: Path) -> None:
    port = free_port()
    env = engine_env(tmp_path / "state")
    with ChaliceLocal(env, make_run=True, port=port, project_dir=project) as server:
        answer = requests.get(f"{server.url}/square/3", timeout=10)
        assert answer.json()["square_of_your_number_is"] == 9
    done = make_run(project, env, f"PORT={port}", "HOST=127.0.0.2", "--dry-run")
    assert f"--host 127.0.0.2 --port {port}" in done.stdout, done.stdout


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` but make's own, each of which must be one JSON object."""
    lines = []
    for line in text.splitlines():
        if line.startswith("make: ***"):  # make's own word on Ctrl-C, not the server's
            continue
        try:
            parsed = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert isinstance(parsed, dict), line
        lines.append(parsed)
    return lines


def test_the_log_stream_of_make_run_is_one_json_object_a_line(
    project: Path, tmp_path: Path
) -> None:
    log = tmp_path / "make-run.log"
    agent = "agent-" + "u" * 9000
    with ChaliceLocal(
        engine_env(tmp_path / "state"), make_run=True, log_path=log, project_dir=project
    ) as server:
        session = requests.Session()
        session.headers["User-Agent"] = agent
        assert session.get(f"{server.url}/square/2", timeout=10).status_code == 200
        headers = {"InvocationType": "Event"}
        assert session.get(f"{server.url}/square/3", headers=headers, timeout=10).status_code == 202
        assert session.get(f"{server.url}/nope", timeout=10).status_code == 404
        wait_for_log(log, "async.record.stored", 1)
        later = os.stat(project / "app.py").st_mtime + 5
        os.utime(project / "app.py", (later, later))  # a save in the editor
        wait_for_log(log, "server.started", 2)
        again = requests.get(f"{server.url}/square/4", headers={"User-Agent": agent}, timeout=10)
        assert again.status_code == 200
    lines = json_lines(log.read_text(encoding="utf-8"))
    for line in lines:
        assert list(line)[:4] == ["timestamp", "level", "event", "request_id"], line
        assert ISO_8601_UTC_MILLISECONDS.fullmatch(line["timestamp"]), line
    events = [line["event"] for line in lines]
    assert events.count("server.started") == 2, events
    assert events.count("async.engine.started") == 2, events
    [restart] = [line for line in lines if line["event"] == "log"]
    assert restart["message"] == "Restarting local dev server.", restart
    access = [line for line in lines if line["event"] == "http.access"]
    assert [(a["method"], a["resource_path"], a["status"]) for a in access] == [
        ("GET", None, 404),  # the test's probe: is it serving yet?
        ("GET", "/square/{number}", 200),
        ("GET", "/square/{number}", 202),
        ("GET", None, 404),
        ("GET", "/square/{number}", 200),
    ]
    assert all(a["duration_ms"] >= 0 for a in access)
    [attempt] = log_events(log, "async.attempt.started")
    assert "at" not in attempt, "the time of a line is its timestamp"
    [stored] = log_events(log, "async.record.stored")
    assert stored["delivery"] == "local", "no SQS endpoint: the record stays in the store"
    assert agent not in log.read_text(encoding="utf-8"), "the user agent is never logged"


def test_with_an_sqs_endpoint_the_declared_queues_exist_before_any_record(
    project: Path, tmp_path: Path
) -> None:
    # A reader may ask for a queue's URL before the first record, as on a deployed stack.
    with MotoSqs() as sqs:
        env = engine_env(tmp_path / "state", AWS_ENDPOINT_URL_SQS=sqs.url)
        log = tmp_path / "make-run.log"
        with ChaliceLocal(env, make_run=True, project_dir=project, log_path=log) as server:
            urls = sqs.client().list_queues().get("QueueUrls", [])
            headers = {"InvocationType": "Event"}
            assert requests.get(f"{server.url}/square/3", headers=headers, timeout=10).ok
            wait_for_log(log, "async.record.stored", 1)
    [stored] = log_events(log, "async.record.stored")
    declared = [name for function in FUNCTIONS for name in function.queues]
    assert sorted(url.rsplit("/", 1)[1] for url in urls) == sorted(declared)
    assert stored["delivery"] == "sqs", "the record is in the outbox, on its way to the endpoint"
