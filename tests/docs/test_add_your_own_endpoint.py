"""docs/add-your-own-endpoint.md shows the fixture's code, and the fixture is app.py plus it.

Docs from checked examples: the fixture project (tests/fixtures/reports_project)
is served, run, synthesized and type-checked by the other tests; these make sure
the page shows exactly that code, and that the fixture's app.py is this
project's app.py with nothing but the page's two additions.
"""

from __future__ import annotations

import re

from tests.support.project import FIXTURE_DIR, PROJECT_DIR

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
