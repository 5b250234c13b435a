"""Sizes of the reliability runs, and the summary lines they print.

``make test`` runs the short sizes; ``make soak`` sets ``SOAK_SIZE=full``.
Each size can also be set on its own, e.g. ``SOAK_REQUESTS=3000``.
Every test adds one summary line (counts only), printed at the end of the run
under "reliability summary" (:mod:`tests.support.summary`): ``docs/reliability.md``
quotes these lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support import summary

SIZE_VARIABLE = "SOAK_SIZE"
#: name -> (short, full)
_SIZES = {
    "SOAK_REQUESTS": (300, 1500),
    "SOAK_CLIENTS": (8, 8),
    "SOAK_KILL_EVENTS": (60, 400),
    "SOAK_SQS_RECORDS": (60, 450),
    "SOAK_FAULT_EVENTS": (2, 10),
}


@dataclass(frozen=True)
class Sizes:
    """How much each reliability test does."""

    name: str
    requests: int
    clients: int
    kill_events: int
    sqs_records: int
    fault_events: int

    @classmethod
    def from_environment(cls) -> Sizes:
        name = os.environ.get(SIZE_VARIABLE, "short")
        if name not in ("short", "full"):
            raise pytest.UsageError(f"{SIZE_VARIABLE}={name!r}: expected short or full")
        column = 1 if name == "full" else 0

        def size(variable: str) -> int:
            raw = os.environ.get(variable, "")
            value = int(raw) if raw.strip() else _SIZES[variable][column]
            if value < 1:
                raise pytest.UsageError(f"{variable}={raw!r}: expected a positive whole number")
            return value

        return cls(
            name=name,
            requests=size("SOAK_REQUESTS"),
            clients=size("SOAK_CLIENTS"),
            kill_events=size("SOAK_KILL_EVENTS"),
            sqs_records=size("SOAK_SQS_RECORDS"),
            fault_events=size("SOAK_FAULT_EVENTS"),
        )


@pytest.fixture(scope="session")
def sizes() -> Sizes:
    """The sizes of this run (short unless ``SOAK_SIZE=full``)."""
    return Sizes.from_environment()


@pytest.fixture
def report(sizes: Sizes, request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Add one summary line to the end-of-run report (and print it at once, for ``-s``)."""

    def add(line: str) -> None:
        tagged = f"[{sizes.name}] {line}"
        summary.add(request.node, "reliability summary", tagged)
        print(tagged)

    return add
