"""The architecture shows in the layout: the mechanism apart from the example, arrows one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.project import PROJECT_DIR

#: The generic mechanism: it names no example and no local-only code.
MECHANISM = ("chalicelib/async_api", "local_async", "infrastructure")
#: Everything that ships or deploys (not tests, docs or benchmarks).
SHIPPED = ("app.py", "chalicelib", "local_async", "infrastructure")
SOURCE_SUFFIXES = {".py", ".vtl"}
#: Issue 9's target for the example's footprint.
MAX_FILES_NAMING_THE_EXAMPLE = 6


def source_files(*roots: str, suffixes: frozenset[str] = frozenset(SOURCE_SUFFIXES)) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        path = PROJECT_DIR / root
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [
            f
            for f in candidates
            if f.suffix in suffixes and "cdk.out" not in f.parts and f.is_file()
        ]
    return files


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"(local_async|infrastructure|tests)(\.\w+)*", node.value)
        ):
            # importlib.import_module("local_async") would hide an arrow from the above.
            names.add(node.value)
    return names


def test_chalicelib_never_reaches_for_local_only_code() -> None:
    wrong = {
        str(path.relative_to(PROJECT_DIR)): sorted(
            name
            for name in imported_modules(path)
            if name.split(".")[0] in {"local_async", "infrastructure", "tests", "bench"}
        )
        for path in source_files("chalicelib", suffixes=frozenset({".py"}))
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_mechanism_never_imports_the_example() -> None:
    wrong = {
        str(path.relative_to(PROJECT_DIR)): sorted(
            name for name in imported_modules(path) if name.startswith("chalicelib.square")
        )
        for path in source_files(*MECHANISM, suffixes=frozenset({".py"}))
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_example_is_named_in_few_shipped_files_and_never_in_the_mechanism() -> None:
    naming = [
        str(path.relative_to(PROJECT_DIR))
        for path in source_files(*SHIPPED)
        if "square" in path.read_text(encoding="utf-8").lower()
    ]
    assert not [name for name in naming if name.startswith(MECHANISM)], naming
    assert len(naming) <= MAX_FILES_NAMING_THE_EXAMPLE, naming
