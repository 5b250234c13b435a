"""Measures against running ``chalice local`` servers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.http_load import LoadResult, closed_loop
from bench.server import DevServer
from bench.stats import percentile
from local_async.store import Store

EVENT = {"InvocationType": "Event"}

#: Appended to an app.py to tell which code a server runs.
_GENERATION_ROUTE = """

@app.route("/bench-generation")
def bench_generation():
    return {{"generation": {generation}}}
"""


def throughput(server: DevServer, path: str, clients: int, seconds: float) -> tuple[float, float]:
    """Requests/s of ``clients`` keep-alive clients, and the server's CPU seconds per request.

    Every answer must be a 200.
    """
    cpu = server.cpu_seconds()
    result = closed_loop(server.port, path, clients=clients, seconds=seconds)
    cpu = server.cpu_seconds() - cpu
    _check(result, f"GET {path}")
    return result.rate, cpu / result.requests


def latency_percentiles(
    server: DevServer, path: str, *, clients: int, seconds: float, event: bool
) -> tuple[float, float, int]:
    """p50 and p99 answer latency (seconds) of ``clients`` closed-loop clients, and the count."""
    result = closed_loop(
        server.port,
        path,
        clients=clients,
        seconds=seconds,
        expect=202 if event else 200,
        headers=EVENT if event else None,
    )
    _check(result, f"GET {path}")
    return percentile(result.latencies, 50), percentile(result.latencies, 99), result.requests


def start_jobs(server: DevServer, count: int) -> None:
    """Accept ``count`` events, so that that many jobs are running when this returns."""
    result = closed_loop(
        server.port,
        "/square/3",
        clients=1,
        seconds=30,
        expect=202,
        headers=EVENT,
        max_requests_per_client=count,
    )
    _check(result, "the first jobs")
    time.sleep(0.3)  # the workers claim them


def engine_over_http(server: DevServer, state: Path, clients: int, per_client: int) -> float:
    """Accepted-to-record events/s through the server: from the first request to the last record."""
    store = Store.open(state)
    try:
        _wait_for(lambda: store.pending_events() == 0, "earlier events")
        began = time.perf_counter()
        result = closed_loop(
            server.port,
            "/square/12",
            clients=clients,
            seconds=120,
            expect=202,
            headers=EVENT,
            max_requests_per_client=per_client,
        )
        _check(result, "events")
        _wait_for(lambda: store.pending_events() == 0, "every record")
        return result.requests / (time.perf_counter() - began)
    finally:
        store.close()


def idle_cpu_percent(
    servers: Sequence[DevServer], windows: int, window_seconds: float
) -> list[list[float]]:
    """Per server, its process group's CPU use (% of one core) in each idle window."""
    shares: list[list[float]] = [[] for _ in servers]
    for _ in range(windows):
        before = [server.cpu_seconds() for server in servers]
        began = time.perf_counter()
        time.sleep(window_seconds)
        elapsed = time.perf_counter() - began
        for index, server in enumerate(servers):
            shares[index].append(100 * (server.cpu_seconds() - before[index]) / elapsed)
    return shares


def prepare_generations(app_py: Path) -> str:
    """Give ``app_py`` the generation route (generation 0); return its original text."""
    original = app_py.read_text(encoding="utf-8")
    app_py.write_text(original + _GENERATION_ROUTE.format(generation=0), encoding="utf-8")
    return original


def save_to_serve(server: DevServer, app_py: Path, original: str, generation: int) -> float:
    """Seconds from saving a change to app.py until the server answers with the new code."""
    source = original + _GENERATION_ROUTE.format(generation=generation)
    began = time.perf_counter()
    app_py.write_text(source, encoding="utf-8")  # one write, as an editor's save
    deadline = began + 60
    while time.perf_counter() < deadline:
        answer = server.get("/bench-generation", timeout=2.0)
        if answer is not None and answer[0] == 200 and _generation(answer[1]) == generation:
            return time.perf_counter() - began
        time.sleep(0.01)
    raise RuntimeError(f"{server.project} did not serve generation {generation} within 60 s")


def _generation(body: bytes) -> int | None:
    try:
        served = json.loads(body)["generation"]
    except (ValueError, KeyError, TypeError):
        return None
    return served if isinstance(served, int) else None


def _check(result: LoadResult, what: str) -> None:
    if result.errors or not result.requests:
        raise RuntimeError(f"{what}: {result.errors} errors, {result.requests} answers")


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        time.sleep(0.005)
