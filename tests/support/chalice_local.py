"""Start and stop a real ``chalice local`` process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHALICE = Path(sys.executable).with_name("chalice")


#: What a make that runs the tests passes down to the makes they run.
_MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")


def user_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment with ``overrides``, as a user's shell would give it to make.

    Without the variables of the ``make test`` that may be running the tests:
    its flags and its level would change what a nested ``make`` does and prints.
    """
    env = {name: value for name, value in os.environ.items() if name not in _MAKE_VARIABLES}
    return {**env, **(overrides or {})}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ChaliceLocal:
    """One ``chalice local`` server in its own process group, on a free port.

    With ``make_run``, started as a user starts it, ``make run PORT=...``
    (autoreload on): ``project_dir`` must then hold the Makefile and ``.venv``
    (:func:`tests.support.project.runnable_copy`).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        autoreload: bool = False,
        make_run: bool = False,
        port: int | None = None,
        log_path: Path | None = None,
        project_dir: Path = PROJECT_DIR,
    ) -> None:
        self.port = port or free_port()
        self.project_dir = project_dir
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = user_environment(env)
        self._autoreload = autoreload
        self._make_run = make_run
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ChaliceLocal:
        """Start the server and wait until it answers HTTP."""
        command = [str(CHALICE), "local", "--host", "127.0.0.1", "--port", str(self.port)]
        if self._make_run:
            command = ["make", "--no-print-directory", "run", f"PORT={self.port}"]
        elif not self._autoreload:
            command.append("--no-autoreload")
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            command,
            cwd=self.project_dir,
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chalice local exited with {self._process.returncode}")
            try:
                requests.get(f"{self.url}/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
            except requests.Timeout:
                pass  # bound and still starting (the engine, the SQS queues): asked again
        self.stop()
        raise RuntimeError(f"chalice local did not answer on {self.url} within {timeout}s")

    def kill_hard(self) -> None:
        """``kill -9`` the whole process group, as a crash or a closed terminal would."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server (SIGINT, as Ctrl-C), then SIGKILL if it lingers."""
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGINT)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill_hard()

    def __enter__(self) -> ChaliceLocal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
