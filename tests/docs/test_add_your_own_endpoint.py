"""docs/add-your-own-endpoint.md shows the fixture's code, and following it works.

Docs from checked examples: the fixture project (tests/fixtures/reports_project)
is served, run, synthesized and type-checked by the other tests; these make sure
the page shows exactly that code, that the fixture's app.py is this project's
app.py with nothing but the page's two additions, and that a user who follows
the page (writes its code where it says, then runs its commands in order) gets
what it shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.chalice_local import user_environment
from tests.support.project import FIXTURE_DIR, PROJECT_DIR, runnable_copy
from tests.support.readme import Runner, command_blocks

PAGE = PROJECT_DIR / "docs" / "add-your-own-endpoint.md"
_BLOCK = re.compile(r'^```python title="([^"]+)"\n(.*?)^```$', re.DOTALL | re.MULTILINE)
_REGION = re.compile(
    r"^# --8<-- \[start:declaration\]\n(.*?)\n*^# --8<-- \[end:declaration\]\n", re.DOTALL | re.M
)


def blocks() -> dict[str, str]:
    return dict(_BLOCK.findall(PAGE.read_text(encoding="utf-8")))


def fixture_app() -> str:
    return (FIXTURE_DIR / "app.py").read_text(encoding="utf-8")


def test_the_page_shows_the_fixture_s_domain_module_whole() -> None:
    module = (FIXTURE_DIR / "chalicelib" / "reports.py").read_text(encoding="utf-8")
    assert blocks()["chalicelib/reports.py"] == module


def test_the_page_shows_the_fixture_s_declaration() -> None:
    (region,) = _REGION.findall(fixture_app())
    assert blocks()["app.py: declaration"].strip() == region.strip()


def test_the_fixture_s_app_is_this_app_plus_the_page_s_import_and_declaration() -> None:
    page = blocks()
    without_region = _REGION.sub("", fixture_app())
    without_import = without_region.replace(page["app.py: import"], "", 1)
    assert without_import == (PROJECT_DIR / "app.py").read_text(encoding="utf-8"), (
        "tests/fixtures/reports_project/app.py must be app.py with only the page's two "
        "additions: copy app.py there and add them again"
    )


def follow_steps_1_and_2(project: Path) -> None:
    """Write the page's module and add its two lines of app.py where the page says."""
    page = blocks()
    (project / "chalicelib" / "reports.py").write_text(page["chalicelib/reports.py"])
    app_py = project / "app.py"
    text = app_py.read_text(encoding="utf-8")
    first_chalicelib_import = text.index("from chalicelib")  # "with the other imports"
    text = text[:first_chalicelib_import] + page["app.py: import"] + text[first_chalicelib_import:]
    last_block = text.index("# Last, once every function is declared")
    declaration = page["app.py: declaration"] + "\n\n"
    app_py.write_text(text[:last_block] + declaration + text[last_block:], encoding="utf-8")


@pytest.mark.e2e
def test_following_the_page_adds_the_endpoint(tmp_path: Path) -> None:
    project = runnable_copy(tmp_path / "project")
    follow_steps_1_and_2(project)
    env = user_environment({"ASYNC_STATE_DIR": str(tmp_path / "state")})
    runner = Runner(project, tmp_path, env)
    try:
        for block in command_blocks(PAGE.read_text(encoding="utf-8")):
            runner.run(block)
    finally:
        runner.close()
