"""An engine in a process of its own, killed by the test that starts it.

``python -m tests.engine.engine_to_kill STATE_DIR STARTED_FILE``: an engine on
the store in STATE_DIR accepts one event; its function writes its request id
to STARTED_FILE and then blocks until the process is killed.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from local_async.engine import Engine, EngineFunction
from local_async.store import Store
from tests.engine.helpers import BASE_DELAY, FUNCTION, NAME, declaration, event


def main(state_dir: Path, started: Path) -> None:
    """Run until killed."""

    def blocked(_: Any, context: Any) -> None:
        started.write_text(context.aws_request_id, encoding="utf-8")
        threading.Event().wait()

    engine = Engine(
        [EngineFunction(declaration(blocked), FUNCTION)],
        store=Store.open(state_dir),
        retry_base_delay_seconds=BASE_DELAY,
        concurrency=1,
    )
    engine.start()
    engine.submit(NAME, event("api-killed"))
    threading.Event().wait()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
