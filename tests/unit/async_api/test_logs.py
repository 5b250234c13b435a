"""Structured log lines, and a LOG_LEVEL typo that must not stop the function."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api import logs

ISO_8601_UTC_MILLISECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def test_a_line_is_one_json_object_with_the_time_and_the_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = time.time()
    logs.log("function.done", "req-1", outcome="ok")
    after = time.time()
    line = json.loads(capsys.readouterr().out)
    written = line.pop("timestamp")
    assert ISO_8601_UTC_MILLISECONDS.fullmatch(written), written
    at = datetime.fromisoformat(written).timestamp()
    assert before - 0.001 <= at <= after, (before, written, after)
    assert line == {
        "level": "INFO",
        "event": "function.done",
        "request_id": "req-1",
        "outcome": "ok",
    }


@given(st.floats(min_value=0, max_value=253402300799.999, allow_nan=False))
def test_a_timestamp_is_the_instant_in_utc_cut_to_the_millisecond(at: float) -> None:
    written = logs.timestamp(at)
    assert ISO_8601_UTC_MILLISECONDS.fullmatch(written), written
    moment = datetime.fromisoformat(written)
    assert moment.tzinfo == UTC
    exact = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=at)
    # timedelta rounds to the microsecond: an instant 0.9996 ms past may read as 1 ms past.
    assert timedelta(0) <= exact - moment <= timedelta(milliseconds=1), (at, written)


def test_an_unknown_log_level_falls_back_to_info_and_says_so_with_the_first_line() -> None:
    code = "import chalicelib.async_api.logs as l; print('imported'); l.log('after', 'r')"
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={"LOG_LEVEL": "verbose", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    imported, *written = run.stdout.splitlines()
    assert imported == "imported", "nothing is written at import"
    lines = [json.loads(line) for line in written]
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


@given(st.lists(st.integers(min_value=0, max_value=5), max_size=30))
def test_per_second_gives_each_second_s_text_formatting_it_once_per_change(
    seconds: list[int],
) -> None:
    formatted: list[int] = []

    def format(second: int) -> str:
        formatted.append(second)
        return f"<{second}>"

    per_second = logs.PerSecond(format)
    assert [per_second(second) for second in seconds] == [f"<{s}>" for s in seconds]
    changes = [s for index, s in enumerate(seconds) if index == 0 or seconds[index - 1] != s]
    assert formatted == changes


def test_lines_go_where_they_are_sent_until_sent_back() -> None:
    taken: list[str] = []
    previous = logs.send_lines_to(taken.append)
    try:
        logs.log("function.done", "req-3")
    finally:
        assert logs.send_lines_to(previous) == taken.append
    assert [json.loads(text)["request_id"] for text in taken] == ["req-3"]
    assert taken[0].endswith("}\n"), "a line ends with its newline"
