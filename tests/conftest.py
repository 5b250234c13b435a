"""Suite-wide settings: keep every test's engine state out of the user's home."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def isolated_async_state() -> Iterator[str]:
    """Point the local engine's store at a throw-away directory for the session."""
    with tempfile.TemporaryDirectory(prefix="square-async-state-") as state_dir:
        previous = os.environ.get("ASYNC_STATE_DIR")
        os.environ["ASYNC_STATE_DIR"] = state_dir
        yield state_dir
        if previous is None:
            del os.environ["ASYNC_STATE_DIR"]
        else:
            os.environ["ASYNC_STATE_DIR"] = previous
