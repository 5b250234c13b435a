"""Where ``chalice local``'s time goes per request: ``python -m bench.profile``.

Each scenario runs ``chalice local``'s own server (Chalice's ``CLIFactory``
builds it from the project's ``app.py``, which applies
``local_async.dev_server`` as under ``chalice local``) in a fresh process with
every thread it starts profiled by ``cProfile``: the connections' threads and
the engine's. Closed-loop keep-alive clients in this process send the
requests. The table gives, per row, a function and all it calls: its time per
request and its calls per request. Requests: ``GET /square/12`` (synchronous),
the same with ``InvocationType: Event``, and the hello-world app with
TCP_NODELAY that ``make bench`` compares with.

cProfile times every call, which makes calls dearer: the times are about three
times what runs unprofiled, more so for code made of many small calls. Compare
them row against row and run against run; ``make bench`` gives the real CPU
per request, and the calls per request are exact. ``--project`` profiles
another checkout (an older commit, say) with this profiler, for a before and after.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from bench import workspace
from bench.http_load import closed_loop
from bench.serving import EVENT
from tests.support.chalice_local import free_port
from tests.support.project import copy_project


class Cost(NamedTuple):
    """A row: a label and the functions it sums (inclusive), each ``file suffix:name``."""

    label: str
    functions: tuple[str, ...]


#: The rows, as in docs/benchmarks.md.
COSTS = (
    Cost("a request, less the wait for it", ("http/server.py:handle_one_request",)),
    Cost("- waiting for and reading the request line", ("socket.py:readinto",)),
    Cost(
        "- request line and headers (http.server, email parser)", ("http/server.py:parse_request",)
    ),
    Cost("- the answer's status line and headers", ("http/server.py:send_response",)),
    Cost(
        "- API Gateway's edge: limits, route, media type",
        ("local_async/gateway.py:refusal", "local_async/gateway.py:screen"),
    ),
    Cost(
        "- route matching (edge and Chalice)",
        (
            "local_async/gateway.py:match",
            "local_async/gateway.py:_match",
            "chalice/local.py:match_route",
        ),
    ),
    Cost("- Chalice's local gateway, the route included", ("chalice/local.py:handle_request",)),
    Cost(
        "-- Chalice's Lambda context (a uuid4, config look-ups)",
        ("chalice/local.py:_generate_lambda_context",),
    ),
    Cost("-- the route", ("chalicelib/async_api/api.py:view",)),
    Cost(
        "--- the function (contract, domain handler)",
        ("chalicelib/async_api/processor.py:process",),
    ),
    Cost("--- the engine's submit (SQLite commit)", ("local_async/engine.py:submit",)),
    Cost("--- JSON bodies (json_codec.dumps)", ("chalicelib/async_api/json_codec.py:dumps",)),
    Cost("--- a request id (uuid4)", ("chalicelib/async_api/api.py:_new_request_id",)),
    Cost("- JSON log lines (logs.log)", ("chalicelib/async_api/logs.py:log",)),
    Cost("-- their timestamps", ("chalicelib/async_api/logs.py:timestamp",)),
    Cost("-- written and flushed (stdout)", ("chalicelib/async_api/logs.py:write_to_stdout",)),
    Cost(
        "-- stdout flushes, wherever called", ("~:<method 'flush' of '_io.TextIOWrapper' objects>",)
    ),
    Cost("- the access line", ("local_async/dev_server.py:_log_access",)),
    Cost("- Chalice's plain-text access line (stderr)", ("http/server.py:log_message",)),
    Cost("- the answer written to the socket", ("socket.py:write", "socketserver.py:write")),
    Cost("log lines written by their thread", ("local_async/log_output.py:_write_gathered",)),
)


class Scenario(NamedTuple):
    """A server and the request its clients send."""

    title: str
    app: str
    path: str
    event: bool


SCENARIOS = (
    Scenario("`GET /square/12`", "project", "/square/12", event=False),
    Scenario("`Event` `/square/12`", "project", "/square/12", event=True),
    Scenario("hello-world `GET /`", "hello", "/", event=False),
)


class Profiled(NamedTuple):
    """A scenario's requests answered and the merged profile of the server's threads."""

    requests: int
    stats: pstats.Stats

    def totals(self, cost: Cost) -> tuple[float, float]:
        """``cost``'s microseconds and calls per request (cumulative, its rows summed)."""
        seconds = calls = 0.0
        raw: dict[Any, Any] = self.stats.stats  # type: ignore[attr-defined]
        for (filename, _, name), (_, total_calls, _, cumulative, _) in raw.items():
            if any(
                filename.endswith(where) and name == function
                for where, function in (f.rsplit(":", 1) for f in cost.functions)
            ):
                seconds += cumulative
                calls += total_calls
        return 1e6 * seconds / self.requests, calls / self.requests


def cost_table(runs: Sequence[tuple[str, Profiled]], costs: Iterable[Cost] = COSTS) -> str:
    """A Markdown table: a row per cost, per run its us per request (profiled) and calls."""
    lines = [
        "| cost (inclusive), per request | "
        + " | ".join(f"{title}: us | calls" for title, _ in runs)
        + " |",
        "|---|" + "---:|---:|" * len(runs),
    ]
    for cost in costs:
        cells: list[str] = []
        for _, run in runs:
            micros, calls = run.totals(cost)
            cells += [f"{micros:.1f}", f"{calls:.2f}"] if calls else ["-", "-"]
        if any(cell != "-" for cell in cells):
            lines.append(f"| {cost.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def serve_profiled(project: Path, port: int, stats_path: Path) -> None:
    """In this process: ``chalice local``'s server for ``project``, every new thread profiled.

    Serves until stdin closes, then stops the engine, writes the merged
    profile of the threads that ended to ``stats_path``, and exits.
    """
    profiles: list[cProfile.Profile] = []
    run = threading.Thread.run

    def profiled_run(thread: threading.Thread) -> None:
        profile = cProfile.Profile()
        try:
            profile.runcall(run, thread)
        finally:
            profiles.append(profile)  # only once the thread's work is over

    threading.Thread.run = profiled_run  # type: ignore[method-assign,assignment]
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"
    # app.py recognises chalice local by its command line (chalicelib.async_api.runtime).
    sys.argv[:] = [str(workspace.CHALICE), "local"]
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(str(project))
    config = factory.create_config_obj(chalice_stage_name="dev")
    app = factory.load_chalice_app()
    server = factory.create_local_server(app, config, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the load is over
    server.server.shutdown()
    _stop_background_threads(app)
    stats = pstats.Stats(*profiles) if profiles else None
    if stats is not None:
        stats.dump_stats(stats_path)


def _stop_background_threads(app: Any) -> None:
    """End the engine's threads and the log writer, so that their profiles are complete."""
    from chalicelib.async_api import AsyncApi, logs

    try:
        api = AsyncApi.of(app)
    except LookupError:  # an app without the mechanism: hello-world
        return
    api.invoker().stop()  # type: ignore[attr-defined]
    send_lines_to = getattr(logs, "send_lines_to", None)  # a checkout from before it
    if send_lines_to is not None:
        getattr(send_lines_to(logs.write_to_stdout), "close", lambda: None)()


def profile(
    project: Path, scenario: Scenario, *, clients: int, requests: int, scratch: Path
) -> Profiled:
    """Serve ``scenario`` from ``project`` in a profiled process; return its profile."""
    port = free_port()
    stats_path = scratch / f"{project.name}-{scenario.event}.prof"
    env = workspace.clean_environment(
        SQUARE_WORK_SECONDS="0",
        ASYNC_STATE_DIR=str(scratch / f"state-{scenario.app}-{scenario.event}"),
        PYTHONPATH=str(workspace.PROJECT_DIR),
    )
    log_path = scratch / f"{project.name}.log"
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.profile",
                "--serve",
                str(project),
                str(port),
                str(stats_path),
            ],
            cwd=project,
            env=env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, server)
        result = closed_loop(
            port,
            scenario.path,
            clients=clients,
            seconds=600,
            expect=202 if scenario.event else 200,
            headers=EVENT if scenario.event else None,
            max_requests_per_client=requests // clients,
        )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=60)
    if result.errors or server.returncode != 0:
        raise RuntimeError(
            f"{scenario.title}: {result.errors} errors, exit {server.returncode}; its output ends: "
            + log_path.read_text("utf-8", "replace")[-2000:]
        )
    return Profiled(result.requests, pstats.Stats(str(stats_path)))


def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    import socket
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the profiled server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the profiled server did not listen within 60 s")


def main(argv: Sequence[str] | None = None) -> int:
    """Profile each scenario; print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--clients", type=int, default=1, help="keep-alive clients (1)")
    parser.add_argument("--requests", type=int, default=4000, help="requests per scenario (4000)")
    parser.add_argument(
        "--project", type=Path, default=workspace.PROJECT_DIR, help="the checkout to profile"
    )
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve:
        project, port, stats_path = options.serve
        serve_profiled(Path(project), int(port), Path(stats_path))
        return 0
    runs: list[tuple[str, Profiled]] = []
    with tempfile.TemporaryDirectory(prefix="profile-") as scratch_dir:
        scratch = Path(scratch_dir)
        project = copy_project(scratch / "project", source=options.project)
        hello = workspace.add_tcp_nodelay(workspace.new_hello_world(scratch / "hello"))
        for copy in (project, hello):
            workspace.precompile(copy)
        for scenario in SCENARIOS:
            sys.stderr.write(f"[profile] {scenario.title}, {options.requests} requests\n")
            copy = project if scenario.app == "project" else hello
            runs.append(
                (
                    scenario.title,
                    profile(
                        copy,
                        scenario,
                        clients=options.clients,
                        requests=options.requests,
                        scratch=scratch,
                    ),
                )
            )
    noun = "client" if options.clients == 1 else "clients"
    print(
        f"cProfile of chalice local's threads, {options.clients} keep-alive {noun}, "
        f"{options.requests} requests a scenario, code of {options.project}:"
    )
    print()
    print(cost_table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
