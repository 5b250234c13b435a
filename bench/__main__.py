"""``make bench``: every measure side by side with its baseline, then one Markdown table."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from bench import build, serving, workspace
from bench.server import DevServer
from bench.stats import Summary
from bench.table import Formatter, Row, fixed, ratio, render
from tests.support.project import copy_project

#: Targets of issue 5.
KEEP_ALIVE_RATIO = 20.0
ACCEPT_P99_MS = 20.0
ENGINE_EVENTS_PER_SECOND = 500.0
IMPORT_RATIO = 1.2
ZIP_EXTRA_KIB = 50.0
#: Targets of issue 17: the route's server CPU per request against an empty Chalice
#: route's (hello-world with TCP_NODELAY), and the engine behind chalice local.
ROUTE_CPU_RATIO = 1.2
ENGINE_THROUGH_SERVER_SHARE = 0.8


class Sizes(NamedTuple):
    """How many times, and how long, each measure runs."""

    #: Throughput and latency repeats, and the seconds of each load run.
    repeats: int = 5
    seconds: float = 2.0
    import_pairs: int = 21
    synth_runs: int = 3
    engine_runs: int = 3
    engine_events: int = 2000
    idle_windows: int = 5
    idle_window_seconds: float = 2.0
    http_runs: int = 5
    http_events_per_client: int = 150
    latency_runs: int = 3
    saves: int = 5
    #: Give the project's copy a replica of .venv, as a checkout has after `make run`.
    venv_replica: bool = True


#: ``make bench``.
FULL = Sizes()

#: ``--quick``: every measure once, briefly. The figures are not worth reading; the
#: point is that every row comes out (the test suite runs it, so the bench cannot rot).
QUICK = Sizes(
    repeats=1,
    seconds=0.3,
    import_pairs=2,
    synth_runs=1,
    engine_runs=1,
    engine_events=100,
    idle_windows=1,
    idle_window_seconds=0.3,
    http_runs=1,
    http_events_per_client=10,
    latency_runs=1,
    saves=1,
    venv_replica=False,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measure; print the machine, the command and the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    # Sizes' defaults from an instance: on the class, a NamedTuple's fields are descriptors.
    parser.add_argument("--repeats", type=int, default=FULL.repeats, help="throughput repeats")
    parser.add_argument("--seconds", type=float, default=FULL.seconds, help="seconds per load run")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="every measure once, briefly: checks that the bench runs, figures meaningless",
    )
    parser.add_argument(
        "--stat-reloader",
        action="store_true",
        help="hide watchdog from the servers: Chalice's stat() poller reloads them",
    )
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else Sizes(repeats=options.repeats, seconds=options.seconds)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        bench = Bench(Path(scratch), sizes, options.stat_reloader)
        rows, notes = bench.run()
    notes.append(f"Total bench time: {time.monotonic() - began:.0f} s.")
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = "make bench" if os.environ.get("MAKELEVEL") and not arguments else "python -m bench"
    print(header(" ".join([command, *arguments]), options.stat_reloader))
    print()
    print(render(rows, "baseline"))
    print()
    print("\n".join(f"- {note}" for note in notes))
    return 0


def header(command: str, stat_reloader: bool) -> str:
    """The machine and the software the figures were measured with."""
    try:
        watchdog = f"watchdog {metadata.version('watchdog')}"
    except metadata.PackageNotFoundError:
        watchdog = "watchdog not installed"
    from chalice.cli.reloader import get_best_worker_process

    reloader = get_best_worker_process().__name__
    if stat_reloader:
        watchdog += " but hidden from the servers (--stat-reloader)"
        reloader = "StatWorkerProcess"
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` on "
        f"{build.cpu_count()} CPUs ({build.cpu_model()}), Python {build.python_version()}, "
        f"chalice {metadata.version('chalice')}, {watchdog} "
        f"(chalice local reloads with {reloader}). "
        "Cells: median (min-max) over the repeats."
    )


_STARTED = time.monotonic()


def log(message: str) -> None:
    """Progress, on stderr: the table alone goes to stdout."""
    sys.stderr.write(f"[bench {time.monotonic() - _STARTED:5.0f} s] {message}\n")
    sys.stderr.flush()


class Bench:
    """One run: the workspace in ``root``, the measures, the rows."""

    def __init__(self, root: Path, sizes: Sizes, stat_reloader: bool) -> None:
        self.root = root
        self.sizes = sizes
        self.repeats = sizes.repeats
        self.seconds = sizes.seconds
        self.hider = workspace.watchdog_hider(root / "no-watchdog") if stat_reloader else None
        self.rows: list[Row] = []
        self.notes: list[str] = []

    def run(self) -> tuple[list[Row], list[str]]:
        """Every measure, in an order that keeps servers from disturbing one another."""
        log("preparing copies of the project and the hello-world apps")
        project = copy_project(self.root / "project")
        if self.sizes.venv_replica:
            watched = workspace.replicate_venv(project)
            self.notes.append(
                f"The project's copy carries a replica of .venv ({watched:,} files), which "
                "chalice local's reloader watches as it does in a checkout after `make run`."
            )
        workspace.precompile(project)
        hello = workspace.new_hello_world(self.root / "hello")
        workspace.precompile(hello)
        self.cold_start(project, hello)
        self.package_size()
        self.synth()
        self.engine()
        self.servers(project, hello)
        self.accept_latency(project)
        return self.rows, self.notes

    # -- no server -----------------------------------------------------------

    def cold_start(self, project: Path, hello: Path) -> None:
        """``import app`` in a fresh interpreter."""
        log(f"import app, fresh interpreters, {self.sizes.import_pairs} pairs")
        ours, theirs = build.import_times([project, hello], repeats=self.sizes.import_pairs)
        self._paired(
            "`import app`, fresh interpreter (ms) vs hello-world's",
            [1000 * s for s in ours],
            [1000 * s for s in theirs],
            fixed(1),
            show="{:.2f}x",
            target=f"<= {IMPORT_RATIO:g}x",
            met=lambda paired: paired <= IMPORT_RATIO,
        )

    def package_size(self) -> None:
        """The Lambda zip ``chalice package`` writes."""
        log("chalice package")
        project = copy_project(self.root / "package-project")
        hello = workspace.new_hello_world(self.root / "package-hello")
        ours, entries = build.zip_bytes(project, self.root / "zip-project")
        theirs, _ = build.zip_bytes(hello, self.root / "zip-hello")
        extra = (ours - theirs) / 1024
        self.rows.append(
            Row(
                "Lambda zip from `chalice package` (KiB) vs hello-world's",
                Summary.of([ours / 1024]),
                Summary.of([theirs / 1024]),
                fixed(1),
                comparison=f"{extra:+.1f} KiB",
                target=f"<= +{ZIP_EXTRA_KIB:g} KiB",
                met=extra <= ZIP_EXTRA_KIB,
            )
        )
        ours_only = sorted(name for name in entries if not name.startswith("chalice/"))
        self.notes.append(f"The project's zip holds Chalice and {', '.join(ours_only)}.")

    def synth(self) -> None:
        """``make synth`` against a bare Chalice CDK app."""
        log(f"make synth and the bare CDK app, {self.sizes.synth_runs} run(s) each")
        project = copy_project(self.root / "synth-project")
        workspace.link_venv(project)
        bare = workspace.bare_cdk_app(self.root / "synth-bare")
        hello = workspace.new_hello_world(self.root / "synth-hello")
        logs = self.root / "synth.log"
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(self.sizes.synth_runs):
            ours.append(build.make_synth_seconds(project, logs))
            theirs.append(build.bare_synth_seconds(bare, hello, logs))
        self._compare(
            "`make synth` (s) vs a bare Chalice CDK app's synth",
            Summary.of(ours),
            Summary.of(theirs),
            fixed(2),
        )

    def engine(self) -> None:
        """The engine alone, in a fresh process."""
        events = self.sizes.engine_events
        log(f"the engine in-process, {events} events, no work")
        rates = [self._engine_alone(index) for index in range(self.sizes.engine_runs)]
        self.rows.append(
            Row(
                "local engine alone, accepted-to-record, no work (events/s)",
                Summary.of(rates),
                None,
                fixed(0),
                target=f">= {ENGINE_EVENTS_PER_SECOND:g}/s",
                met=Summary.of(rates).median >= ENGINE_EVENTS_PER_SECOND,
            )
        )

    def _engine_alone(self, index: int) -> float:
        return build.engine_events_per_second(
            self.root / f"engine-state-{index}", self.sizes.engine_events, self.root / "engine.log"
        )

    # -- servers -------------------------------------------------------------

    def servers(self, project: Path, hello: Path) -> None:
        """Idle CPU, keep-alive throughput, sync latency, the engine over HTTP, reloads."""
        ceiling = workspace.add_tcp_nodelay(workspace.new_hello_world(self.root / "ceiling"))
        workspace.precompile(ceiling)
        state = self.root / "state-project"
        with ExitStack() as running:
            ours = running.enter_context(self._server(project, "project", state, "0"))
            theirs = running.enter_context(self._server(hello, "hello"))
            top = running.enter_context(self._server(ceiling, "ceiling"))
            time.sleep(2)  # let the reloaders settle
            self.idle_cpu(ours, theirs)
            self.keep_alive(ours, theirs, top)
            self.sync_latency = self._latency(ours, event=False)
            self.engine_over_http(ours, state)
            top.stop()
            self.reloads(ours, theirs)

    def idle_cpu(self, ours: DevServer, theirs: DevServer) -> None:
        """CPU of the whole chalice local process tree while nobody calls it."""
        windows, seconds = self.sizes.idle_windows, self.sizes.idle_window_seconds
        log(f"idle CPU, {windows} x {seconds:g} s")
        mine, hers = serving.idle_cpu_percent(
            [ours, theirs], windows=windows, window_seconds=seconds
        )
        self.rows.append(
            Row(
                "idle CPU of `make run`, parent and worker (% of one core) vs hello-world's",
                Summary.of(mine),
                Summary.of(hers),
                fixed(1),
                comparison=f"{Summary.of(mine).median - Summary.of(hers).median:+.1f} points",
            )
        )

    def keep_alive(self, ours: DevServer, theirs: DevServer, top: DevServer) -> None:
        """Requests/s of keep-alive clients, interleaved across the servers."""
        for clients in (1, 8):
            log(f"keep-alive throughput, {clients} client(s), {self.repeats} x {self.seconds:g} s")
            mine: list[float] = []
            hers: list[float] = []
            best: list[float] = []
            my_cpu: list[float] = []
            best_cpu: list[float] = []
            for _ in range(self.repeats):
                rate, cpu = serving.throughput(ours, "/square/12", clients, self.seconds)
                mine.append(rate)
                my_cpu.append(1e6 * cpu)
                hers.append(serving.throughput(theirs, "/", clients, self.seconds)[0])
                rate, cpu = serving.throughput(top, "/", clients, self.seconds)
                best.append(rate)
                best_cpu.append(1e6 * cpu)
            noun = "client" if clients == 1 else "clients"
            self._compare(
                f"keep-alive req/s, {clients} {noun}: `GET /square/12` vs hello-world `GET /`",
                Summary.of(mine),
                Summary.of(hers),
                fixed(0),
                limit=KEEP_ALIVE_RATIO,
            )
            self._compare(
                f"(reference) same, vs hello-world with TCP_NODELAY, {clients} {noun}",
                Summary.of(mine),
                Summary.of(best),
                fixed(0),
            )
            self._paired(
                f"server CPU per request (us), {clients} {noun}: `GET /square/12` "
                "vs hello-world with TCP_NODELAY",
                my_cpu,
                best_cpu,
                fixed(0),
                show="{:.2f}x",
                target=f"<= {ROUTE_CPU_RATIO:g}x",
                met=lambda paired: paired <= ROUTE_CPU_RATIO,
            )

    def engine_over_http(self, server: DevServer, state: Path) -> None:
        """The engine behind chalice local: 8 clients send events."""
        per_client = self.sizes.http_events_per_client
        log(
            f"the engine through chalice local, 8 clients x {per_client} events, "
            "each run after one of the engine alone"
        )
        alone: list[float] = []
        through: list[float] = []
        for run in range(self.sizes.http_runs):
            # Back to back: the machine's drifting load disturbs a pair's ratio less.
            alone.append(self._engine_alone(self.sizes.engine_runs + run))
            through.append(serving.engine_over_http(server, state, 8, per_client))
        self._paired(
            "local engine through chalice local, 8 clients, accepted-to-record (events/s) "
            "vs the engine alone",
            through,
            alone,
            fixed(0),
            show="{:.0%}",
            target=f">= {ENGINE_THROUGH_SERVER_SHARE:.0%}",
            met=lambda share: share >= ENGINE_THROUGH_SERVER_SHARE,
        )

    def reloads(self, ours: DevServer, theirs: DevServer) -> None:
        """From saving app.py to the new code answering."""
        log(f"save-to-serve, {self.sizes.saves} save(s) each")
        originals = {}
        for server in (ours, theirs):
            originals[server.port] = serving.prepare_generations(server.project / "app.py")
        for server in (ours, theirs):
            serving.save_to_serve(
                server, server.project / "app.py", originals[server.port], generation=0
            )
        mine: list[float] = []
        hers: list[float] = []
        for generation in range(1, self.sizes.saves + 1):
            for server, into in ((ours, mine), (theirs, hers)):
                time.sleep(2)  # the new worker has finished starting its watcher
                into.append(
                    serving.save_to_serve(
                        server, server.project / "app.py", originals[server.port], generation
                    )
                )
        self._compare(
            "save app.py -> new code served (s) vs hello-world's",
            Summary.of(mine),
            Summary.of(hers),
            fixed(2),
        )

    def accept_latency(self, project: Path) -> None:
        """202 latency while every engine worker is in a 1 s job."""
        log("async accept latency, 4 clients, 1-s jobs running")
        state = self.root / "state-jobs"
        with self._server(project, "jobs", state, "1") as server:
            serving.start_jobs(server, 4)
            event = [self._one_latency(server, event=True) for _ in range(self.sizes.latency_runs)]
        sync = self.sync_latency
        for index, name in ((0, "p50"), (1, "p99")):
            mine = Summary.of([1000 * run[index] for run in event])
            hers = Summary.of([1000 * run[index] for run in sync])
            self.rows.append(
                Row(
                    f"async accept {name}, 4 clients, 1-s jobs running (ms) "
                    "vs sync, no work, same clients",
                    mine,
                    hers,
                    fixed(2),
                    comparison=ratio(mine, hers),
                    target=f"<= {ACCEPT_P99_MS:g} ms" if name == "p99" else "",
                    met=mine.median <= ACCEPT_P99_MS if name == "p99" else None,
                )
            )
        counts = sum(run[2] for run in event)
        self.notes.append(
            f"Accept latency: {counts:,} async calls over {len(event)} run(s) of "
            f"{self.seconds + 1:g} s, "
            "each client sending its next call as soon as it has its answer."
        )

    # -- helpers -------------------------------------------------------------

    sync_latency: list[tuple[float, float, int]]

    def _latency(self, server: DevServer, *, event: bool) -> list[tuple[float, float, int]]:
        log("sync latency, 4 clients, no work")
        return [self._one_latency(server, event=event) for _ in range(self.sizes.latency_runs)]

    def _one_latency(self, server: DevServer, *, event: bool) -> tuple[float, float, int]:
        return serving.latency_percentiles(
            server, "/square/12", clients=4, seconds=self.seconds + 1, event=event
        )

    def _server(
        self, project: Path, name: str, state: Path | None = None, work: str = "0"
    ) -> DevServer:
        env = workspace.clean_environment(SQUARE_WORK_SECONDS=work)
        if self.hider is not None:
            env["PYTHONPATH"] = str(self.hider)
        if state is not None:
            env["ASYNC_STATE_DIR"] = str(state)
        return DevServer(project, env, self.root / f"{name}.log")

    def _paired(
        self,
        measure: str,
        ours: Sequence[float],
        theirs: Sequence[float],
        formatter: Formatter,
        *,
        show: str,
        target: str,
        met: Callable[[float], bool],
    ) -> None:
        """A row comparing runs made in pairs, back to back, by the median of the pairs' ratios.

        Steadier than the ratio of the medians when the machine's load drifts.
        ``show`` formats that median (``"{:.2f}x"``); ``met`` says if it meets ``target``.
        """
        paired = Summary.of([mine / hers for mine, hers in zip(ours, theirs, strict=True)]).median
        self.rows.append(
            Row(
                measure,
                Summary.of(ours),
                Summary.of(theirs),
                formatter,
                comparison=show.format(paired) + " (paired)",
                target=target,
                met=met(paired),
            )
        )

    def _compare(
        self,
        measure: str,
        ours: Summary,
        theirs: Summary,
        formatter: Formatter,
        *,
        limit: float | None = None,
    ) -> None:
        value = ours.median / theirs.median if theirs.median else float("inf")
        met = None
        target = ""
        if limit is not None:
            met = value >= limit
            target = f">= {limit:g}x"
        self.rows.append(Row(measure, ours, theirs, formatter, ratio(ours, theirs), target, met))


if __name__ == "__main__":
    sys.exit(main())
