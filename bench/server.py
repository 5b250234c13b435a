"""One ``chalice local`` process tree on a free loopback port, and its CPU time."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from bench.workspace import CHALICE
from tests.support.chalice_local import free_port

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class DevServer:
    """``chalice local --host 127.0.0.1 --port P`` in ``project``, in its own process group.

    With autoreload (the default, as ``make run`` starts it) the group holds
    Chalice's parent process and its worker.
    """

    def __init__(
        self,
        project: Path,
        env: Mapping[str, str],
        log_path: Path,
        *,
        autoreload: bool = True,
    ) -> None:
        self.project = project
        self.port = free_port()
        self._env = dict(env)
        self._log_path = log_path
        self._autoreload = autoreload
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> DevServer:
        """Start the server and wait until it answers HTTP."""
        command = [str(CHALICE), "local", "--host", "127.0.0.1", "--port", str(self.port)]
        if not self._autoreload:
            command.append("--no-autoreload")
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=self.project,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_ready(timeout)
        return self

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        """Wait until the server answers an HTTP request, whatever the status."""
        deadline = time.monotonic() + timeout
        while self.get("/", timeout=1.0) is None:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"chalice local exited; see {self._log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"chalice local did not answer in {timeout:g} s")
            time.sleep(0.02)

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes] | None:
        """One GET on a new connection: the status and body, or None if nothing answered."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()

    def cpu_seconds(self) -> float:
        """User and system CPU time used so far by the live processes of the group."""
        assert self._process is not None, "not started"
        group = self._process.pid
        ticks = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:  # the process ended meanwhile
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == group:  # the process group id
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / _CLOCK_TICKS

    def stop(self) -> None:
        """Ctrl-C the whole group, as a terminal does; SIGKILL whatever lingers."""
        if self._process is None:
            return
        group = self._process.pid
        _signal_group(group, signal.SIGINT)
        deadline = time.monotonic() + 10
        while _group_alive(group) and time.monotonic() < deadline:
            self._process.poll()
            time.sleep(0.05)
        _signal_group(group, signal.SIGKILL)
        self._process.wait(timeout=10)
        self._process = None

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _signal_group(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal_number)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
