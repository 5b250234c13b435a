"""The README's command blocks, read at test time, and a runner that runs them as a user would.

Each command block (a fence of ``sh``, ``bash``, ``shell`` or ``console``) is
preceded by a comment that says how it runs::

    <!-- readme: runs -->                    run it here; it must exit 0
    <!-- readme: runs, prints "Success" -->  ... and print this text
    <!-- readme: serves 8000 -->             a server, left running in its own terminal:
                                             started in the background, the next block
                                             runs once it listens on that port; a later
                                             block serving the same port stops it first,
                                             as Ctrl-C in its terminal would
    <!-- readme: needs-aws -->               needs an AWS account: only its syntax is checked
    <!-- readme: the-suite -->               ``make test``, the very run that checks this

Blocks run in order, each in a new ``bash -e -o pipefail``, in a copy of the
project whose servers listen on free ports: every ``8000`` and ``5000`` in a
block is replaced by a free port (``make run``'s default is set the same way,
through ``MAKEFLAGS``), and the engine's store is a directory of the test's.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.chalice_local import free_port

KINDS = ("runs", "serves", "needs-aws", "the-suite")
#: The ports the README shows: ``make run``'s default and the local SQS server's.
SHOWN_PORTS = ("8000", "5000")
_FENCE = re.compile(r"^```(sh|bash|shell|console)\s*$")
_MARKER = re.compile(r"^<!-- readme: (?P<kind>[a-z-]+)(?P<options>.*?) -->$")
_PRINTS = re.compile(r'^,\s*prints\s+"(?P<text>[^"]+)"$')
_PORT = re.compile(r"^\s+(?P<port>\d+)$")
#: How long a block may run, and a server may take to listen.
BLOCK_SECONDS = 120
LISTEN_SECONDS = 60


class MarkerError(ValueError):
    """A command block without a valid ``<!-- readme: ... -->`` line before it."""


@dataclass(frozen=True)
class Block:
    """One command block: where it starts, how it runs, its text."""

    line: int
    kind: str
    text: str
    #: For ``serves``: the port it listens on, as the README shows it.
    port: str | None = None
    #: For ``runs``: text its output must contain.
    prints: str | None = None


def command_blocks(markdown: str) -> list[Block]:
    """Every command block of ``markdown``, in order; :class:`MarkerError` if one is unmarked."""
    lines = markdown.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        if not _FENCE.match(lines[index]):
            index += 1
            continue
        start = index
        end = next((n for n in range(start + 1, len(lines)) if lines[n] == "```"), None)
        if end is None:
            raise MarkerError(f"line {start + 1}: the block never ends")
        text = "\n".join(lines[start + 1 : end]) + "\n"
        blocks.append(_marked(lines[start - 1] if start else "", start + 1, text))
        index = end + 1
    return blocks


def _marked(marker: str, line: int, text: str) -> Block:
    found = _MARKER.match(marker)
    if found is None or found["kind"] not in KINDS:
        raise MarkerError(
            f"line {line}: a command block needs a line before it saying how it runs, "
            f"one of {', '.join(f'<!-- readme: {kind} -->' for kind in KINDS)} "
            f"(see tests/support/readme.py); found {marker!r}"
        )
    kind, options = found["kind"], found["options"]
    if kind == "serves":
        port = _PORT.match(options)
        if port is None:
            raise MarkerError(f"line {line}: say the port it serves: <!-- readme: serves 8000 -->")
        return Block(line, kind, text, port=port["port"])
    if kind == "runs" and options:
        prints = _PRINTS.match(options)
        if prints is None:
            raise MarkerError(f'line {line}: expected <!-- readme: runs, prints "text" -->')
        return Block(line, kind, text, prints=prints["text"])
    if options:
        raise MarkerError(f"line {line}: {kind} takes no options, got {options!r}")
    return Block(line, kind, text)


@dataclass
class Server:
    """A ``serves`` block running in the background, in its own process group."""

    block: Block
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Ctrl-C its process group; SIGKILL what is left after 15 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


@dataclass
class Runner:
    """Runs blocks in ``project`` as a user would, on free ports; :meth:`close` stops servers."""

    project: Path
    work: Path
    env: Mapping[str, str]
    ports: dict[str, str] = field(default_factory=dict)
    servers: dict[str, Server] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = {shown: str(free_port()) for shown in SHOWN_PORTS}
        self.env = {**self.env, "MAKEFLAGS": f"PORT={self.ports['8000']}"}

    def local(self, text: str) -> str:
        """``text`` with the free ports in place of those the README shows."""
        for shown, free in self.ports.items():
            text = re.sub(rf"\b{shown}\b", free, text)
        return text

    def run(self, block: Block) -> None:
        """Run ``block`` as its marker says; fail with its output if it does not do so."""
        if block.kind == "needs-aws":
            _check_syntax(block)
        elif block.kind == "the-suite":
            assert shlex.split(block.text, comments=True) == ["make", "test"], block
        elif block.kind == "serves":
            self._serve(block)
        else:
            self._run(block)

    def _bash(self, block: Block) -> list[str]:
        """The command that runs ``block``: a new shell, stopped by the first failure."""
        return ["bash", "-e", "-o", "pipefail", "-c", self.local(block.text)]

    def _run(self, block: Block) -> None:
        done = subprocess.run(
            self._bash(block),
            cwd=self.project,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BLOCK_SECONDS,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, self._failure(block, f"exit status {done.returncode}", output)
        if block.prints is not None:
            assert block.prints in done.stdout, self._failure(
                block, f"it did not print {block.prints!r}", output
            )

    def _serve(self, block: Block) -> None:
        assert block.port is not None
        port = int(self.ports.get(block.port, block.port))
        previous = self.servers.pop(block.port, None)
        if previous is not None:
            previous.stop()
        log = self.work / f"server-line-{block.line}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                self._bash(block),
                cwd=self.project,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(block, process, log)
        self.servers[block.port] = server
        deadline = time.monotonic() + LISTEN_SECONDS
        while not _listens(port):
            assert process.poll() is None, self._failure(
                block, f"it exited with {process.returncode}", server.tail()
            )
            assert time.monotonic() < deadline, self._failure(
                block, f"nothing listened on port {port} within {LISTEN_SECONDS} s", server.tail()
            )
            time.sleep(0.1)

    def _failure(self, block: Block, what: str, output: str) -> str:
        servers = "".join(
            f"\n--- server of README line {s.block.line}:\n{s.tail()}"
            for s in self.servers.values()
        )
        return (
            f"README line {block.line}: {what}\n--- block, as run:\n{self.local(block.text)}"
            f"--- its output:\n{output[-3000:]}{servers}"
        )

    def close(self) -> None:
        """Stop every server still running."""
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def _check_syntax(block: Block) -> None:
    checked = subprocess.run(
        ["bash", "-n", "-c", block.text], capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode == 0, f"README line {block.line}: {checked.stderr}"


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
