"""Fixtures of the engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.helpers import Harness


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """Engines on a fresh store under ``tmp_path``, all stopped at the end."""
    built = Harness(tmp_path / "state")
    yield built
    built.close()
