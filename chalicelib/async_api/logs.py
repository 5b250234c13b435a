"""Structured logs: one JSON object a line, each carrying the request id.

Every line starts with ``timestamp`` (ISO 8601 in UTC with milliseconds, as the
``timestamp`` of Lambda's invocation records), ``level``, ``event`` (what
happened) and ``request_id``; the caller's fields follow. ``timestamp`` and
``level``, and ``logger`` and ``message`` on the lines of ``logging``, are the
names of the Lambda Python runtime's JSON log format (awslambdaric 4.2.2,
``lambda_runtime_log_utils.JsonFormatter``).

Lines go to the current ``sys.stdout``, each written and flushed as it is
logged: in Lambda that is CloudWatch Logs. Not through ``logging``: a
LogRecord, a handler's lock and a formatter cost about a fifth of
``chalice local``'s CPU per request (docs/benchmarks.md), and a handler bound to
the stdout of import time writes to a closed stream once a test runner has
swapped it. ``chalice local`` sends them elsewhere with :func:`send_lines_to`
(``local_async.log_output``: a few lines per write). The level comes from
``LOG_LEVEL`` (INFO). Under ``chalice local`` the lines that others write
through ``logging`` (Chalice's own) get the same shape: :func:`line` builds both.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

#: Where finished lines go: text made of whole lines, each ending with a newline.
Output = Callable[[str], None]

#: What ``json.dumps(value, default=str)`` builds on every call, built once (thread-safe).
_ENCODER = json.JSONEncoder(default=str)


def log(event: str, request_id: str, level: int = logging.INFO, **fields: Any) -> None:
    """Write one JSON line: ``event`` names what happened, ``fields`` add detail.

    Callers pass identifiers and outcomes, never whole payloads: the number a
    client sent stays out of INFO lines.
    """
    threshold = _threshold if _threshold is not None else _read_threshold()
    if level >= threshold:
        _output(line(time.time(), level, event, request_id, fields) + "\n")


def write_to_stdout(text: str) -> None:
    """Write ``text`` to the current ``sys.stdout`` and flush it: the default :data:`Output`."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (OSError, ValueError):
        # A closed pipe (`make run | head`) or a full disk must not fail the
        # request or the function that logs, as logging's handlers ensure too.
        pass


_output: Output = write_to_stdout


def send_lines_to(output: Output) -> Output:
    """Send every line logged from now on to ``output``; return where they went until now."""
    global _output
    previous, _output = _output, output
    return previous


def message_of(failure: BaseException) -> str:
    """``str(failure)``, or a stand-in when the exception cannot print itself."""
    try:
        return str(failure)
    except Exception:  # a broken __str__ must not stop the failure from being logged
        return f"<unprintable {type(failure).__name__} object>"


def line(at: float, level: int, event: str, request_id: str, fields: Mapping[str, Any]) -> str:
    """One log line without its newline: ``at`` in seconds since the epoch, ``level`` numeric."""
    return _ENCODER.encode(
        {
            "timestamp": timestamp(at),
            "level": logging.getLevelName(level),
            "event": event,
            "request_id": request_id,
            **fields,
        }
    )


class PerSecond:
    """``format(second)`` for whole seconds since the epoch, formatted once per second.

    Thread-safe: the last second and its text are one tuple, replaced whole,
    so a thread reads a second with its own text, never a mix.
    """

    def __init__(self, format: Callable[[int], str]) -> None:
        self._format = format
        self._last: tuple[int | None, str] = (None, "")

    def __call__(self, second: int) -> str:
        """The text of ``second``."""
        last, text = self._last
        if last != second:
            text = self._format(second)
            self._last = (second, text)
        return text


# strftime is most of the cost of a line's time, and lines come many to a second.
_UP_TO_SECONDS = PerSecond(lambda second: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))


def timestamp(at: float) -> str:
    """``at`` (seconds since the epoch) in ISO 8601, UTC, ms: ``2026-11-27T01:37:28.140Z``."""
    seconds = int(at)
    milliseconds = int((at - seconds) * 1000)
    return f"{_UP_TO_SECONDS(seconds)}.{milliseconds:03d}Z"


#: The lowest level written, read from ``LOG_LEVEL`` with the first line, not at import.
_threshold: int | None = None


def _read_threshold() -> int:
    global _threshold
    requested = os.environ.get("LOG_LEVEL", "INFO")
    level = logging.getLevelNamesMapping().get(requested.strip().upper())
    _threshold = logging.INFO if level is None else level
    if level is None:  # a typo in LOG_LEVEL must not stop the function from starting
        log("log.level_unknown", "", logging.WARNING, LOG_LEVEL=requested[:40], using="INFO")
    return _threshold
