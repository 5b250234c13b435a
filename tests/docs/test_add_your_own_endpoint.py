"""Following docs/add-your-own-endpoint.md works, and leaves the project's checks passing.

Docs from checked examples: the fixture project the other tests serve, run,
synthesize and type-check is built from the page's code blocks
(``tests/support/project.py``), so the page cannot show other code. These
tests follow the page as a user does: write its code where it says, run its
commands in order; then run the project's own checks in that project, which
must not assume that the square is the only function.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.chalice_local import user_environment
from tests.support.project import (
    PAGE,
    PROJECT_DIR,
    build_fixture_project,
    copy_project,
    declares_page_function,
    follow_steps_1_and_2,
    runnable_copy,
)
from tests.support.readme import Runner, command_blocks

#: The project's checks that read the declarations (the synthesized template, the
#: generated files, the packaging, the route), run where the page's function is declared.
#: Left out for time (about a minute of one CPU together): the engine's tests against a
#: stand-in stack (tests/engine/test_replay_aws.py, which builds it from the declarations)
#: and the synths with acknowledgments removed, whose findings no declaration changes.
CHECKS_WITH_THE_PAGE_S_FUNCTION = (
    "tests/infra/test_stack.py",
    "tests/infra/test_stack_options.py",
    "tests/infra/test_compliance.py",
    "tests/infra/test_generated.py",
    "tests/infra/test_packaging.py",
    "tests/infra/test_security.py",
    "tests/infra/test_replay_policy.py",
    "tests/functional",
    "--deselect=tests/infra/test_compliance.py::test_each_acknowledgment_is_needed",
)
#: Longer than the checks take alone on a busy two-core machine.
CHECKS_SECONDS = 600


@pytest.mark.e2e
def test_following_the_page_adds_the_endpoint(tmp_path: Path) -> None:
    if declares_page_function(PROJECT_DIR):
        pytest.skip("app.py already declares the page's function: following it adds nothing")
    project = runnable_copy(tmp_path / "project")
    follow_steps_1_and_2(project)
    env = user_environment({"ASYNC_STATE_DIR": str(tmp_path / "state")})
    runner = Runner(project, tmp_path, env)
    try:
        for block in command_blocks(PAGE.read_text(encoding="utf-8")):
            runner.run(block)
    finally:
        runner.close()


def test_following_steps_1_and_2_twice_declares_the_function_once(tmp_path: Path) -> None:
    project = follow_steps_1_and_2(copy_project(tmp_path / "project"))
    assert declares_page_function(project)
    app_py = (project / "app.py").read_text(encoding="utf-8")
    assert follow_steps_1_and_2(project) == project
    assert (project / "app.py").read_text(encoding="utf-8") == app_py


def test_with_the_page_s_function_declared_the_project_s_checks_pass(tmp_path: Path) -> None:
    project = build_fixture_project(tmp_path / "project", with_tests=True)
    # The checks run as in a checkout of their own, not as part of this session's workers.
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    checks = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q"),
            *("--basetemp", str(tmp_path / "basetemp"), *CHECKS_WITH_THE_PAGE_S_FUNCTION),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHECKS_SECONDS,
        check=False,
    )
    assert checks.returncode == 0, (
        "with docs/add-your-own-endpoint.md's function declared next to the square, these "
        "checks fail: a test assumes the square is the only function\n"
        + checks.stdout[-6000:]
        + checks.stderr[-2000:]
    )
