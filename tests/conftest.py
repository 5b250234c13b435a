"""Suite-wide fixtures: engine state out of the user's home, the fixture project.

``make test`` runs the suite on several pytest-xdist workers, each with its
own session (its own store, its own copies). The tests that share a costly
session fixture are sent to one worker, so that it is built once: the
``chalice local`` server of the e2e tests, the synthesized stacks.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import summary
from tests.support.project import build_fixture_project, load_fixture_app

#: Costly session fixtures, and the pytest-xdist group of the tests that use each.
SHARED_FIXTURES = {
    "chalice_local": "chalice_local",
    "synthesized": "synthesized",
    "fixture_synthesized": "synthesized",
    "stack": "synthesized",  # tests/infra/test_compliance.py's: either stack, asked for by name
}


def pytest_configure(config: pytest.Config) -> None:
    """Let the servers that tests start stop on SIGINT, as a user's Ctrl-C stops them.

    A shell starts a background job (``make test &``) with SIGINT ignored, and an
    ignored signal stays ignored in every program it starts: ``chalice local``
    would not see the tests' SIGINT. A handler is reset to the default at exec.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the tests of each costly fixture (``--dist loadgroup`` keeps a group on one worker)."""
    for item in items:
        groups = {
            SHARED_FIXTURES[name]
            for name in getattr(item, "fixturenames", ())
            if name in SHARED_FIXTURES
        }
        for group in groups:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The summary lines that tests added (here: the process that prints, with or without xdist)."""
    summary.print_sections(terminalreporter)


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


@pytest.fixture(scope="session")
def fixture_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project with a second async function, as docs/add-your-own-endpoint.md adds it."""
    return build_fixture_project(tmp_path_factory.mktemp("fixture") / "project")


@pytest.fixture(scope="session")
def fixture_app(fixture_project: Path) -> ModuleType:
    """The fixture project's app.py, imported in this process (module ``reports_app``)."""
    return load_fixture_app(fixture_project)
