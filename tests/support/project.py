"""Copies of the project, and the fixture project that proves the mechanism is generic.

Servers, packaging and synth run in copies, so nothing in the working tree
changes. The fixture project (``tests/fixtures/reports_project``) is this
project with a second async function added exactly as
docs/add-your-own-endpoint.md says: its own module ``chalicelib/reports.py``
and its declaration in app.py.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURE_DIR = PROJECT_DIR / "tests" / "fixtures" / "reports_project"

#: What ``chalice local``, ``chalice package``, ``make synth``, ``make`` and mypy read.
_FILES = (
    "app.py",
    "requirements.txt",
    "requirements-dev.txt",
    "requirements-bootstrap.txt",
    "Makefile",
    "pyproject.toml",
)
_DIRECTORIES = ("chalicelib", "local_async", "infrastructure", ".chalice")
_IGNORED = shutil.ignore_patterns(
    "__pycache__", "cdk.out", "chalice.out", "deployments", "deployed"
)


def copy_project(destination: Path, source: Path = PROJECT_DIR) -> Path:
    """A copy of the project's code and configuration (no .venv, no caches, no tests).

    ``source`` is another checkout to copy instead of this one (an older commit).
    """
    destination.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        shutil.copy2(source / name, destination / name)
    for directory in _DIRECTORIES:
        shutil.copytree(source / directory, destination / directory, ignore=_IGNORED)
    return destination


def runnable_copy(destination: Path) -> Path:
    """A copy of the project that ``make run`` serves, with this checkout's ``.venv``.

    The ``.venv`` is a symbolic link, which ``chalice local``'s reloader does
    not follow: installs elsewhere do not restart the copy's server.
    """
    project = copy_project(destination)
    (project / ".venv").symlink_to(PROJECT_DIR / ".venv", target_is_directory=True)
    return project


def build_fixture_project(destination: Path) -> Path:
    """A copy of the project with the fixture's second function, its files generated.

    ``python -m infrastructure.generate`` writes the function's entries in
    ``.chalice/config.json``, its IAM policy and the OpenAPI document, as a
    user runs ``make generate`` after adding a function.
    """
    project = copy_project(destination)
    shutil.copytree(FIXTURE_DIR, project, dirs_exist_ok=True, ignore=_IGNORED)
    subprocess.run(
        [sys.executable, "-m", "infrastructure.generate"],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return project


def load_fixture_app() -> ModuleType:
    """The fixture's app.py in this process, as module ``reports_app``.

    Its domain module is installed as ``chalicelib.reports`` first, where the
    fixture's ``from chalicelib import reports`` finds it; the rest of
    ``chalicelib`` is this project's.
    """
    loaded = sys.modules.get("reports_app")
    if loaded is not None:
        return loaded
    import chalicelib

    reports = _load("chalicelib.reports", FIXTURE_DIR / "chalicelib" / "reports.py")
    chalicelib.reports = reports  # type: ignore[attr-defined]
    return _load("reports_app", FIXTURE_DIR / "app.py")


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
