"""Copies of the project, and the fixture project that proves the mechanism is generic.

Servers, packaging and synth run in copies, so nothing in the working tree
changes. The fixture project is built, never kept: this project's current
app.py with the function of docs/add-your-own-endpoint.md added exactly as the
page says (:func:`follow_steps_1_and_2`), so it cannot drift from either.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

PROJECT_DIR = Path(__file__).resolve().parents[2]
#: The page a user follows to add a function; its code blocks are the fixture's code.
PAGE = PROJECT_DIR / "docs" / "add-your-own-endpoint.md"
_BLOCK = re.compile(r'^```python title="([^"]+)"\n(.*?)^```$', re.DOTALL | re.MULTILINE)
#: Where step 2 puts the import and the declaration, as the page words it.
_FIRST_CHALICELIB_IMPORT = "from chalicelib"
_LAST_BLOCK = "# Last, once every function is declared"

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
    "__pycache__", "cdk.out", "chalice.out", "deployments", "deployed", ".pytest_cache"
)


def copy_project(
    destination: Path, source: Path = PROJECT_DIR, *, with_tests: bool = False
) -> Path:
    """A copy of the project's code and configuration (no .venv, no caches).

    ``source`` is another checkout to copy instead of this one (an older commit).
    ``with_tests``: its tests and docs too, for a run of the suite in the copy.
    """
    destination.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        shutil.copy2(source / name, destination / name)
    for directory in (*_DIRECTORIES, *(("tests", "docs") if with_tests else ())):
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


def page_blocks() -> dict[str, str]:
    """The page's titled Python blocks, by title (``chalicelib/reports.py``, ``app.py: import``)."""
    return dict(_BLOCK.findall(PAGE.read_text(encoding="utf-8")))


def page_modules() -> dict[str, str]:
    """The page's domain modules (step 1), by path in the project."""
    return {title: code for title, code in page_blocks().items() if not title.startswith("app.py")}


def page_function_name() -> str:
    """The name of the function the page declares (its handler's, ``build_report_fn``)."""
    names: list[str] = re.findall(r"^def (\w+)\(", page_blocks()["app.py: declaration"], re.M)
    (name,) = names
    return name


def declares_page_function(project: Path) -> bool:
    """Whether ``project``'s app.py already declares the page's function (a user followed it)."""
    app_py = (project / "app.py").read_text(encoding="utf-8")
    return f"\ndef {page_function_name()}(" in app_py


def follow_steps_1_and_2(project: Path) -> Path:
    """Write the page's module and add its two lines of app.py where the page says.

    A project that already declares the page's function, because its user
    followed the page, is left as it is: declared twice, the import would fail.
    """
    if declares_page_function(project):
        return project
    page = page_blocks()
    for path, code in page_modules().items():
        (project / path).write_text(code, encoding="utf-8")
    app_py = project / "app.py"
    text = app_py.read_text(encoding="utf-8")
    first_import = text.index(_FIRST_CHALICELIB_IMPORT)  # "with the other chalicelib imports"
    text = text[:first_import] + page["app.py: import"] + text[first_import:]
    last_block = text.index(_LAST_BLOCK)  # "above the block that starts ..."
    declaration = page["app.py: declaration"] + "\n\n"
    app_py.write_text(text[:last_block] + declaration + text[last_block:], encoding="utf-8")
    return project


def build_fixture_project(destination: Path, *, with_tests: bool = False) -> Path:
    """A copy of the project with the page's function added, its files generated.

    ``python -m infrastructure.generate`` writes the function's entries in
    ``.chalice/config.json``, its IAM policy and the OpenAPI document, as a
    user runs ``make generate`` (step 3) after adding a function.
    ``with_tests``: as for :func:`copy_project`.
    """
    project = follow_steps_1_and_2(copy_project(destination, with_tests=with_tests))
    subprocess.run(
        [sys.executable, "-m", "infrastructure.generate"],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return project


def load_fixture_app(project: Path) -> ModuleType:
    """The app.py of a built fixture project in this process, as module ``reports_app``.

    The page's domain modules are installed first (``chalicelib/reports.py`` as
    ``chalicelib.reports``), where the app's ``from chalicelib import reports``
    finds them; the rest of ``chalicelib`` is this project's.
    """
    loaded = sys.modules.get("reports_app")
    if loaded is not None:
        return loaded
    for path in page_modules():
        package, _, name = path.removesuffix(".py").replace("/", ".").rpartition(".")
        module = _load(f"{package}.{name}", project / path)
        setattr(importlib.import_module(package), name, module)
    return _load("reports_app", project / "app.py")


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
