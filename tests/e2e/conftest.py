"""The end-to-end tests' shared server (under pytest-xdist, on one worker: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.chalice_local import ChaliceLocal


@pytest.fixture(scope="session")
def chalice_local() -> Iterator[ChaliceLocal]:
    """This project under a plain ``chalice local``, shared by the tests that only send requests.

    Its engine writes to the session's store; tests that read records start their own.
    """
    with ChaliceLocal() as running:
        yield running
