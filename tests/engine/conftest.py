"""Fixtures of the engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_async.store import Store
from tests.engine.helpers import Harness
from tests.support.moto_sqs import MotoSqs


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """Engines on a fresh store under ``tmp_path``, all stopped at the end."""
    built = Harness(tmp_path / "state")
    yield built
    built.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store under ``tmp_path``, closed at the end."""
    opened = Store.open(tmp_path / "state")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoSqs]:
    """moto's server on loopback, for the tests of one module."""
    with MotoSqs() as server:
        yield server


@pytest.fixture
def moto(moto_server: MotoSqs) -> MotoSqs:
    """The module's moto server, emptied for this test."""
    moto_server.reset()
    return moto_server
