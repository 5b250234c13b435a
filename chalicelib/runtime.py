"""Where this code is running: Lambda, ``chalice local``, or another Chalice command."""

from __future__ import annotations

import os
from collections.abc import Mapping


def is_chalice_local(env: Mapping[str, str] = os.environ) -> bool:
    """True inside the ``chalice local`` server, False for package/deploy/synth.

    Every Chalice command imports app.py with ``AWS_CHALICE_CLI_MODE`` set, so
    the variable alone cannot tell them apart; the running click command can.
    """
    if env.get("AWS_CHALICE_CLI_MODE") != "true" or env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return False
    import click  # a Chalice CLI dependency; absent in Lambda, never reached there

    context = click.get_current_context(silent=True)
    return context is not None and context.info_name == "local"
