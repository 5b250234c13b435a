"""Structured logs: one JSON object a line, each carrying the request id.

A logger of its own, not propagating, whose level (``LOG_LEVEL``, INFO) decides
what is written; the lines go straight to stdout, so they look the same under
``chalice local`` (which configures the root logger) and in Lambda (where
stdout goes to CloudWatch Logs).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, TextIO


class _CurrentStdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stdout`` as it is at each write, not as it was at import.

    Test runners swap stdout; a background engine thread that logs at exit
    must not write to a stream that was closed meanwhile.
    """

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _ignored: TextIO) -> None:
        pass


_logger = logging.getLogger("serverless_async_lambda_api")


def _configure(requested_level: str) -> None:
    _handler = _CurrentStdoutHandler()
    _handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.addHandler(_handler)
    _logger.propagate = False
    level = requested_level.strip().upper()
    known = level in logging.getLevelNamesMapping()
    _logger.setLevel(level if known else logging.INFO)
    if not known:  # a typo in LOG_LEVEL must not stop the function from starting
        log("log.level_unknown", "", logging.WARNING, LOG_LEVEL=level[:40], using="INFO")


def log(event: str, request_id: str, level: int = logging.INFO, **fields: Any) -> None:
    """Write one JSON line: ``event`` names what happened, ``fields`` add detail.

    Callers pass identifiers and outcomes, never whole payloads: the number a
    client sent stays out of INFO lines.
    """
    if _logger.isEnabledFor(level):
        record = {
            "level": logging.getLevelName(level),
            "event": event,
            "request_id": request_id,
            **fields,
        }
        _write_line(json.dumps(record, default=str))


def _write_line(line: str) -> None:
    """Write ``line`` to the current stdout at once, as the logger's handler would.

    Straight to the stream: under ``chalice local`` a LogRecord, the handler's
    lock and its formatter cost about a fifth of the server's CPU per request
    (docs/benchmarks.md). The logger keeps the level; its handler serves
    anything else that logs through it.
    """
    stream = sys.stdout
    stream.write(line + "\n")
    stream.flush()


if not _logger.handlers:
    _configure(os.environ.get("LOG_LEVEL", "INFO"))
