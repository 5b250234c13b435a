"""Structured log lines, and a LOG_LEVEL typo that must not stop the function."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chalicelib.async_api import logs


def test_a_line_is_one_json_object_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    logs.log("function.done", "req-1", outcome="ok")
    line = capsys.readouterr().out.strip()
    assert json.loads(line) == {
        "level": "INFO",
        "event": "function.done",
        "request_id": "req-1",
        "outcome": "ok",
    }


def test_an_unknown_log_level_falls_back_to_info_and_says_so() -> None:
    code = "import chalicelib.async_api.logs as l; l.log('after', 'r')"
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={"LOG_LEVEL": "verbose", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines[0]["event"] == "log.level_unknown" and lines[0]["using"] == "INFO"
    assert lines[1]["event"] == "after", "INFO lines must still be written"


def test_a_stdout_that_cannot_be_written_does_not_fail_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    logs.log("function.done", "req-2")  # must not raise
