"""Measure the local async engine: throughput accepted-to-record, accept latency under load.

Run from the project directory (takes about half a minute)::

    .venv/bin/python -m tests.support.bench_engine

In-process figures call ``Engine.submit`` directly; HTTP figures go through a
real ``chalice local`` (one new connection per request, as a curl loop does).
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

import app
from local_async import engine_for
from local_async.store import Store
from tests.support.chalice_local import ChaliceLocal
from tests.support.engine_e2e import engine_env

EVENTS = 2000
HTTP_EVENTS = 500
LATENCY_SAMPLES = 300


def main() -> None:
    """Print every figure."""
    # The function's logs would dominate an in-process run; the server's go to a file.
    logging.getLogger("serverless_async_lambda_api").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        in_process_throughput(app.get_square_fn, root / "throughput")
        in_process_latency(app.get_square_fn, root / "latency")
        http_throughput(root / "http-throughput")
        http_latency(root / "http-latency")


def in_process_throughput(handler: Callable[[Any, Any], Any], state: Path) -> None:
    """Events per second from the first submit to the last record, no work."""
    engine = engine_for(handler, {"ASYNC_STATE_DIR": str(state), "SQUARE_WORK_SECONDS": "0"})
    store = Store.open(state)
    engine.start()
    began = time.perf_counter()
    for index in range(EVENTS):
        engine.submit(_event(f"bench-{index}"))
    accepted = time.perf_counter() - began
    _wait_for(lambda: store.pending_events() == 0)
    elapsed = time.perf_counter() - began
    engine.stop()
    print(
        f"in-process, no work: {EVENTS} events accepted in {accepted:.2f} s "
        f"({EVENTS / accepted:.0f}/s), all records stored after {elapsed:.2f} s "
        f"({EVENTS / elapsed:.0f} events/s accepted-to-record)"
    )


def in_process_latency(handler: Callable[[Any, Any], Any], state: Path) -> None:
    """``submit`` latency while every worker is inside a one-second job."""
    os.environ["SQUARE_WORK_SECONDS"] = "1"
    try:
        engine = engine_for(handler, {"ASYNC_STATE_DIR": str(state), "ASYNC_CONCURRENCY": "4"})
        engine.start()
        for index in range(4):
            engine.submit(_event(f"busy-{index}"))
        time.sleep(0.2)
        latencies = []
        for index in range(LATENCY_SAMPLES):
            began = time.perf_counter()
            engine.submit(_event(f"probe-{index}"))
            latencies.append(time.perf_counter() - began)
        engine.stop()
    finally:
        os.environ["SQUARE_WORK_SECONDS"] = "0"
    print(f"in-process submit while 4 workers run 1-s jobs: {_summary(latencies)}")


def http_throughput(state: Path) -> None:
    """Through chalice local: 8 clients send events; time until every record is stored."""
    log = state.parent / "throughput.log"
    with ChaliceLocal(engine_env(state), log_path=log) as server:
        store = Store.open(state)
        began = time.perf_counter()
        with ThreadPoolExecutor(8) as clients:
            list(clients.map(lambda n: _accept(server.url, n), range(HTTP_EVENTS)))
        accepted = time.perf_counter() - began
        _wait_for(lambda: store.pending_events() == 0)
        elapsed = time.perf_counter() - began
    print(
        f"chalice local, no work, 8 clients: {HTTP_EVENTS} events accepted in {accepted:.2f} s "
        f"({HTTP_EVENTS / accepted:.0f}/s), {HTTP_EVENTS / elapsed:.0f} events/s "
        "accepted-to-record"
    )


def http_latency(state: Path) -> None:
    """Through chalice local: 202 latency while all workers run one-second jobs."""
    env = engine_env(state, SQUARE_WORK_SECONDS="1", ASYNC_CONCURRENCY="4")
    with ChaliceLocal(env, log_path=state.parent / "latency.log") as server:
        for index in range(4):
            _accept(server.url, index)
        time.sleep(0.2)
        latencies = []
        for index in range(LATENCY_SAMPLES):
            began = time.perf_counter()
            _accept(server.url, index)
            latencies.append(time.perf_counter() - began)
    print(f"chalice local 202 while 4 workers run 1-s jobs: {_summary(latencies)}")


def _accept(url: str, number: int) -> None:
    answer = requests.get(f"{url}/square/{number}", headers={"InvocationType": "Event"}, timeout=10)
    assert answer.status_code == 202, answer.text


def _event(api_request_id: str) -> dict[str, str]:
    return {
        "number": "12",
        "invocation_type": "Event",
        "api_stage": "dev",
        "api_request_id": api_request_id,
        "api_resource_path": "/square/{number}",
        "http_method": "GET",
        "source_ip": "127.0.0.1",
        "user-agent": "bench",
    }


def _summary(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (
        f"p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms, "
        f"max {max(latencies) * 1000:.2f} ms over {len(latencies)} calls"
    )


def _wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done within {timeout} s")
        time.sleep(0.01)


if __name__ == "__main__":
    main()
