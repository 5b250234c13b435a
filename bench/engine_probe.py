"""The local engine's throughput in a fresh process: ``python -m bench.engine_probe STATE N``.

Submits N events with no work straight to ``Engine.submit`` and prints, as
JSON, how long accepting them took and how long until every record was
stored (accepted-to-record). The engine logs as it does under
``chalice local``; run it with stdout going to a file.
"""

from __future__ import annotations

import time
from pathlib import Path

import app
from chalicelib import contract
from local_async import engine_for
from local_async.store import Store


def measure(state: Path, events: int) -> dict[str, float]:
    """Accept ``events`` events; return the seconds to accept them and to record them."""
    engine = engine_for(app.get_square_fn, {"ASYNC_STATE_DIR": str(state)})
    store = Store.open(state)
    engine.start()
    began = time.perf_counter()
    for index in range(events):
        engine.submit(_event(f"bench-{index}"))
    accepted = time.perf_counter() - began
    deadline = time.monotonic() + 300
    while store.pending_events() > 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the engine did not record every event within 300 s")
        time.sleep(0.005)
    recorded = time.perf_counter() - began
    engine.stop()
    return {"events": events, "accept_seconds": accepted, "record_seconds": recorded}


def _event(api_request_id: str) -> contract.SquareEvent:
    return contract.build_event(
        number="12",
        invocation_type="Event",
        stage="dev",
        request_id=api_request_id,
        http_method="GET",
        source_ip="127.0.0.1",
        user_agent="bench",
    )
