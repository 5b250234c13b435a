"""``make bench`` in its quick mode: every measure runs and every row comes out.

The figures of a quick run are not worth reading; what this catches is a bench
that no longer runs (a refactor once removed a probe's ``__main__`` block, and
``make bench`` crashed after 50 s with nobody noticing).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.project import PROJECT_DIR

pytestmark = pytest.mark.e2e

#: The start of each row's measure, in the order the table prints them.
ROWS = [
    "`import app`, fresh interpreter (ms)",
    "Lambda zip from `chalice package` (KiB)",
    "`make synth` (s)",
    "local engine alone, accepted-to-record",
    "idle CPU of `make run`",
    "keep-alive req/s, 1 client:",
    "(reference) same, vs hello-world with TCP_NODELAY, 1 client",
    "server CPU per request (us), 1 client:",
    "keep-alive req/s, 8 clients:",
    "(reference) same, vs hello-world with TCP_NODELAY, 8 clients",
    "server CPU per request (us), 8 clients:",
    "local engine through chalice local, 8 clients, accepted-to-record (events/s) vs the engine",
    "save app.py -> new code served (s)",
    "async accept p50",
    "async accept p99",
]

#: Issue 17's targets: each row says its target and whether this run met it.
TARGET_ROWS = [
    "server CPU per request (us), 1 client:",
    "server CPU per request (us), 8 clients:",
    "local engine through chalice local",
]


def test_the_quick_bench_prints_every_row_with_a_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][1:]
    measures = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert len(measures) == len(ROWS), measures
    for measure, expected in zip(measures, ROWS, strict=True):
        assert measure.startswith(expected), (measure, expected)
    for row in rows:
        assert row.split(" | ")[1] != "-", f"no figure for this project: {row}"
    for row in rows:
        if row.removeprefix("| ").startswith(tuple(TARGET_ROWS)):
            cells = row.split(" | ")
            assert cells[-2] != "-" and cells[-1].strip(" |") in ("yes", "**no**"), row
    assert "Total bench time" in done.stdout
