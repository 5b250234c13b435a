"""Every command block in the README runs as shown, in order: the README is the user interface.

The blocks are read when the test runs, so a block someone adds is run too,
or refused until its marker says how it runs (tests/support/readme.py). Only
those that need an AWS account are not run (their syntax is checked).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.chalice_local import user_environment
from tests.support.project import PROJECT_DIR, runnable_copy
from tests.support.readme import Block, MarkerError, Runner, command_blocks

README = PROJECT_DIR / "README.md"


def readme_blocks() -> list[Block]:
    return command_blocks(README.read_text(encoding="utf-8"))


def test_every_command_block_says_how_it_runs() -> None:
    kinds = {block.kind for block in readme_blocks()}
    assert kinds >= {"runs", "serves", "needs-aws", "the-suite"}, kinds


@pytest.mark.parametrize(
    ("markdown", "problem"),
    [
        ("text\n```sh\nmake run\n```\n", "needs a line before it saying how it runs"),
        ("<!-- readme: serves -->\n```sh\nmake run\n```\n", "say the port it serves"),
        ("<!-- readme: runs, prints -->\n```sh\nls\n```\n", "prints"),
        ("<!-- readme: sometimes -->\n```bash\nls\n```\n", "one of"),
    ],
)
def test_an_unmarked_or_mismarked_block_is_refused_saying_how_to_mark_it(
    markdown: str, problem: str
) -> None:
    with pytest.raises(MarkerError, match=problem):
        command_blocks(markdown)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    project = runnable_copy(tmp_path / "project")
    env = user_environment({"ASYNC_STATE_DIR": str(tmp_path / "state")})
    running = Runner(project, tmp_path, env)
    try:
        yield running
    finally:
        running.close()


@pytest.mark.e2e
def test_the_readme_s_command_blocks_run_as_shown_in_order(runner: Runner) -> None:
    for block in readme_blocks():
        runner.run(block)
