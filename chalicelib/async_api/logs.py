"""Structured logs: one JSON object a line, each carrying the request id.

Lines go straight to the current ``sys.stdout``: under ``chalice local`` that is
the terminal, in Lambda it is CloudWatch Logs. Not through ``logging``: a
LogRecord, a handler's lock and a formatter cost about a fifth of
``chalice local``'s CPU per request (docs/benchmarks.md), and a handler bound to
the stdout of import time writes to a closed stream once a test runner has
swapped it. The level comes from ``LOG_LEVEL`` (INFO).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any


def log(event: str, request_id: str, level: int = logging.INFO, **fields: Any) -> None:
    """Write one JSON line: ``event`` names what happened, ``fields`` add detail.

    Callers pass identifiers and outcomes, never whole payloads: the number a
    client sent stays out of INFO lines.
    """
    if level >= _threshold:
        record = {
            "level": logging.getLevelName(level),
            "event": event,
            "request_id": request_id,
            **fields,
        }
        line = json.dumps(record, default=str) + "\n"
        try:
            sys.stdout.write(line)
            sys.stdout.flush()
        except (OSError, ValueError):
            # A closed pipe (`make run | head`) or a full disk must not fail the
            # request or the function that logs, as logging's handlers ensure too.
            pass


def _threshold_from(requested: str) -> tuple[int, bool]:
    """The numeric level for a ``LOG_LEVEL`` value, and whether it was a known name."""
    level = logging.getLevelNamesMapping().get(requested.strip().upper())
    return (logging.INFO, False) if level is None else (level, True)


_threshold, _known = _threshold_from(os.environ.get("LOG_LEVEL", "INFO"))
if not _known:  # a typo in LOG_LEVEL must not stop the function from starting
    log(
        "log.level_unknown",
        "",
        logging.WARNING,
        LOG_LEVEL=os.environ["LOG_LEVEL"][:40],
        using="INFO",
    )
