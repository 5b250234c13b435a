"""Helpers for end-to-end tests of the local async engine under a real ``chalice local``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.support.chalice_local import PROJECT_DIR


def engine_env(state_dir: Path, **knobs: str) -> dict[str, str]:
    """The environment of a server whose engine uses ``state_dir``, embedded destinations."""
    return {
        "ASYNC_STATE_DIR": str(state_dir),
        "ASYNC_RETRY_BASE_DELAY_SECONDS": "0.3",
        "AWS_ENDPOINT_URL_SQS": "",
        "SQUARE_WORK_SECONDS": "0",
        "SQUARE_FAULT_RATE": "0",
        # Log lines reach the log file as they are written, not at exit.
        "PYTHONUNBUFFERED": "1",
        **knobs,
    }


def accept(url: str, number: str) -> dict[str, Any]:
    """Ask for an asynchronous square; check the 202 and return its body."""
    answer = requests.get(f"{url}/square/{number}", headers={"InvocationType": "Event"}, timeout=10)
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    return body


def run_receive_cli(
    state_dir: Path,
    *arguments: str,
    project_dir: Path = PROJECT_DIR,
    stdout: Any = subprocess.PIPE,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m local_async.receive`` on the store in ``state_dir``, as a user would.

    Its output is captured, unless ``stdout`` says where it goes (a file, a pipe).
    """
    return subprocess.run(
        [sys.executable, "-m", "local_async.receive", *arguments],
        cwd=project_dir,
        env={"ASYNC_STATE_DIR": str(state_dir), "PATH": "/usr/bin:/bin"},
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
        check=check,
    )


def receive_records(
    state_dir: Path,
    queue: str,
    count: int,
    timeout: float = 20.0,
    project_dir: Path = PROJECT_DIR,
) -> list[dict[str, Any]]:
    """Read (and delete) ``count`` records with the project's CLI; fail on timeout."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:  # at least one read: an expected count of 0 is checked too
        done = run_receive_cli(
            state_dir,
            "--queue-name",
            queue,
            "--max-number-of-messages",
            "10",
            "--wait-time-seconds",
            "1" if count else "0",
            "--delete",
            project_dir=project_dir,
        )
        if done.stdout:
            found.extend(json.loads(m["Body"]) for m in json.loads(done.stdout)["Messages"])
        if len(found) >= count or time.monotonic() >= deadline:
            break
    assert len(found) == count, f"{len(found)} of {count} records on {queue} in {timeout}s"
    return found


def log_events(log_path: Path, name: str) -> list[dict[str, Any]]:
    """The JSON log lines named ``name`` that the server wrote so far."""
    lines = []
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if parsed.get("event") == name:
                lines.append(parsed)
    return lines


def wait_for_log(log_path: Path, name: str, count: int, timeout: float = 20.0) -> None:
    """Wait until the server logged ``count`` lines named ``name``."""
    deadline = time.monotonic() + timeout
    while len(log_events(log_path, name)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} {name!r} lines in {timeout}s"
        time.sleep(0.05)
