"""chalice local's log lines: gathered, written in the order logged, none lost at exit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from local_async.log_output import GatheredLines
from tests.support.project import PROJECT_DIR


class Written:
    """An output that keeps each write."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def __call__(self, text: str) -> None:
        self.writes.append(text)

    @property
    def lines(self) -> list[str]:
        return "".join(self.writes).splitlines()


def test_lines_from_many_threads_come_out_whole_in_the_order_logged_in_few_writes() -> None:
    written = Written()
    lines = GatheredLines(written, gather_seconds=0.005)
    lines.start()
    logged: list[str] = []
    order = threading.Lock()

    def log(thread: int) -> None:
        for index in range(200):
            with order:  # what "the order logged" means across threads
                text = f"thread {thread} line {index}\n"
                logged.append(text.rstrip("\n"))
                lines(text)

    threads = [threading.Thread(target=log, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines.close()
    assert written.lines == logged
    assert len(written.writes) < len(logged), "the lines were not gathered into fewer writes"


def test_a_line_is_written_within_the_gathering_time_without_close() -> None:
    written = Written()
    lines = GatheredLines(written, gather_seconds=0.01)
    lines.start()
    lines("one\n")
    deadline = time.monotonic() + 5
    while not written.writes and time.monotonic() < deadline:
        time.sleep(0.005)
    assert written.lines == ["one"], "the writer thread did not write a gathered line"
    lines.close()


def test_close_writes_what_is_gathered_then_every_later_line_at_once_in_order() -> None:
    written = Written()
    lines = GatheredLines(written, gather_seconds=3600)  # only close() can write these
    lines.start()
    lines("first\n")
    lines("second\n")
    assert written.writes == []
    lines.close()
    assert written.lines == ["first", "second"]
    lines("after close\n")
    assert written.lines == ["first", "second", "after close"]
    lines.close()  # idempotent
    assert written.lines == ["first", "second", "after close"]


def test_lines_gathered_when_the_process_exits_are_written() -> None:
    # A reload ends chalice local's worker with sys.exit; Ctrl-C with KeyboardInterrupt.
    code = (
        "import sys; from local_async.log_output import GatheredLines\n"
        "lines = GatheredLines(gather_seconds=3600); lines.start()\n"
        'lines(\'{"event": "before exit"}\\n\'); sys.exit(3)\n'
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == '{"event": "before exit"}\n', done.stderr
