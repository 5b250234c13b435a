"""The local engine's throughput in a fresh process: ``python -m bench.engine_probe STATE N``.

Submits N events with no work straight to ``Engine.submit`` and prints, as
JSON, how long accepting them took and how long until every record was
stored (accepted-to-record). The engine logs as it does under
``chalice local``; run it with stdout going to a file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import app
from chalicelib.async_api import contract
from local_async import engine_for
from local_async.store import Store

SQUARE = app.api.functions[0]


def measure(state: Path, events: int) -> dict[str, float]:
    """Accept ``events`` events; return the seconds to accept them and to record them."""
    engine = engine_for([SQUARE], {"ASYNC_STATE_DIR": str(state)})
    store = Store.open(state)
    engine.start()
    began = time.perf_counter()
    for index in range(events):
        engine.submit(SQUARE.name, _event(f"bench-{index}"))
    accepted = time.perf_counter() - began
    deadline = time.monotonic() + 300
    while store.pending_events() > 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the engine did not record every event within 300 s")
        time.sleep(0.005)
    recorded = time.perf_counter() - began
    engine.stop()
    return {"events": events, "accept_seconds": accepted, "record_seconds": recorded}


def _event(api_request_id: str) -> contract.Event:
    return contract.build_event(
        path_parameters={"number": "12"},
        invocation_type="Event",
        stage="dev",
        request_id=api_request_id,
        resource_path=SQUARE.route,
        http_method="GET",
        source_ip="127.0.0.1",
        user_agent="bench",
    )


if __name__ == "__main__":
    # The figures go to stderr: stdout carries the engine's log lines, as under chalice local.
    print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2]))), file=sys.stderr)
