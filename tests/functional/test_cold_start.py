"""What ``import app`` costs beyond Chalice: it runs on every Lambda cold start and reload."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.chalice_local import PROJECT_DIR

#: Modules app.py may add to what ``import chalice.app`` loads.
OWN = ("app", "chalicelib", "__future__")


def modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after ``statement``, run in the project."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"AWS_CHALICE_CLI_MODE", "AWS_LAMBDA_FUNCTION_NAME"}
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; {statement}; print(*sorted(sys.modules))"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(done.stdout.split())


def test_import_app_loads_nothing_beyond_chalice_but_its_own_modules() -> None:
    # Standard-library modules that only some calls need (uuid, random,
    # dataclasses and the inspect it imports...) are imported where used.
    added = modules_after("import app") - modules_after("import chalice.app")
    foreign = {name for name in added if name.split(".")[0] not in OWN}
    assert foreign == set(), (
        f"import app also loads {sorted(foreign)}: import what only a call needs inside "
        "the function that needs it (docs/add-your-own-endpoint.md, step 1)"
    )
