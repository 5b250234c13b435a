"""Recognising the `chalice local` server among Chalice's commands."""

from __future__ import annotations

import pytest

from chalicelib.async_api.runtime import chalice_command, is_chalice_local

CLI = {"AWS_CHALICE_CLI_MODE": "true"}


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["/venv/bin/chalice", "local", "--port", "8000"], "local"),
        (["/venv/bin/chalice", "--project-dir", "local", "package", "out"], "package"),
        (["/venv/bin/chalice", "--debug", "local"], "local"),
        (["/usr/local/bin/chalice", "deploy", "--stage", "local"], "deploy"),
        (["/venv/bin/chalice"], None),
        (["pytest", "local"], None),
        ([], None),
    ],
)
def test_the_subcommand_is_read_from_the_command_line(argv: list[str], command: str | None) -> None:
    assert chalice_command(argv) == command


def test_chalice_local_is_recognised() -> None:
    assert is_chalice_local(CLI, ["/venv/bin/chalice", "local", "--no-autoreload"])


@pytest.mark.parametrize(
    ("env", "argv"),
    [
        (CLI, ["chalice", "package", "/tmp/out"]),
        (CLI, ["chalice", "deploy"]),
        ({}, ["chalice", "local"]),
        ({**CLI, "AWS_LAMBDA_FUNCTION_NAME": "f"}, ["chalice", "local"]),
    ],
)
def test_other_commands_and_lambda_are_not_chalice_local(
    env: dict[str, str], argv: list[str]
) -> None:
    assert not is_chalice_local(env, argv)
