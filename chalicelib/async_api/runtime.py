"""Where this code is running: Lambda, ``chalice local``, or another Chalice command."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

#: Chalice's default stage; ``.chalice/config.json`` sets ``API_STAGE`` per stage.
DEFAULT_STAGE = "dev"
STAGE_VARIABLE = "API_STAGE"

# Chalice's top-level options that take a value (`chalice --project-dir X local`).
_OPTIONS_WITH_VALUES = frozenset({"--project-dir"})


def stage(env: Mapping[str, str]) -> str:
    """The Chalice stage this process serves: ``API_STAGE``, else Chalice's default ``dev``."""
    return env.get(STAGE_VARIABLE) or DEFAULT_STAGE


def is_chalice_local(env: Mapping[str, str] = os.environ, argv: Sequence[str] = sys.argv) -> bool:
    """True inside the ``chalice local`` server, False for package/deploy/synth/tests.

    Every Chalice command imports app.py with ``AWS_CHALICE_CLI_MODE`` set, so
    the variable alone cannot tell them apart; the command line can. (Click's
    current context cannot: it is thread-local, and with autoreload the server
    imports the app on a thread of its own.) The reloader starts its worker with
    the same command line, so the worker is recognised too.
    """
    if env.get("AWS_CHALICE_CLI_MODE") != "true" or env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return False
    return chalice_command(argv) == "local"


def chalice_command(argv: Sequence[str]) -> str | None:
    """The Chalice subcommand in a command line (``local``, ``package``...), if any."""
    if not argv or "chalice" not in os.path.basename(argv[0]):
        return None
    arguments = iter(argv[1:])
    for argument in arguments:
        if argument in _OPTIONS_WITH_VALUES:
            next(arguments, None)
        elif not argument.startswith("-"):
            return argument
    return None
