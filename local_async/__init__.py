"""Local-only emulation of Lambda's asynchronous invocation (not in the Lambda zip).

Placeholder seam until the local engine lands: runs the handler on a
background thread, no retries, no destinations, no durability.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any


class BackgroundThreadInvoker:
    """Runs each event on its own daemon thread."""

    def __init__(self, handler: Callable[[Any, Any], Any]) -> None:
        self._handler = handler

    def submit(self, event: Any) -> None:
        """Start the handler on ``event`` and return at once."""
        threading.Thread(target=self._handler, args=(dict(event), None), daemon=True).start()

    def start(self) -> None:
        """Nothing pending to resume."""


def engine_for(
    handler: Callable[[Any, Any], Any], env: Mapping[str, str]
) -> BackgroundThreadInvoker:
    """The local invoker for ``handler``."""
    return BackgroundThreadInvoker(handler)
