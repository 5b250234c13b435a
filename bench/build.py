"""Measures that start no server: ``import app``, the Lambda zip, ``make synth``, the engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.workspace import CHALICE, PROJECT_DIR, clean_environment

_IMPORT_APP = (
    "import time; began = time.perf_counter(); import app; print(time.perf_counter() - began)"
)
_SYNTH_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
}


def import_seconds(project: Path) -> float:
    """Seconds ``import app`` takes in a fresh interpreter, bytecode caches warm."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_APP],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(done.stdout.strip().splitlines()[-1])


def import_times(projects: Sequence[Path], repeats: int) -> list[list[float]]:
    """``import app`` timings per project, interleaved so drift hits every project alike."""
    for project in projects:  # warm the bytecode caches
        import_seconds(project)
    timings: list[list[float]] = [[] for _ in projects]
    for _ in range(repeats):
        for index, project in enumerate(projects):
            timings[index].append(import_seconds(project))
    return timings


def zip_bytes(project: Path, output: Path) -> tuple[int, list[str]]:
    """Size of the Lambda zip ``chalice package`` writes for ``project``, and its entries."""
    subprocess.run(
        [str(CHALICE), "package", str(output)],
        cwd=project,
        # No bytecode: packaging imports app.py, and Chalice zips chalicelib/ whole.
        env=clean_environment(AWS_DEFAULT_REGION="us-east-1", PYTHONDONTWRITEBYTECODE="1"),
        capture_output=True,
        check=True,
        timeout=300,
    )
    deployment = output / "deployment.zip"
    with zipfile.ZipFile(deployment) as archive:
        names = archive.namelist()
    return deployment.stat().st_size, names


def timed(command: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path) -> float:
    """Wall-clock seconds ``command`` takes; it must succeed (its output goes to ``log``)."""
    with log.open("ab") as output:
        began = time.perf_counter()
        subprocess.run(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=600,
        )
        return time.perf_counter() - began


def make_synth_seconds(project: Path, log: Path) -> float:
    """``make synth`` in a copy of the project (which links this project's .venv)."""
    seconds = timed(["make", "--no-print-directory", "synth"], project, clean_environment(), log)
    if not list((project / "infrastructure" / "cdk.out").glob("*.template.json")):
        raise RuntimeError("make synth wrote no template")
    return seconds


def bare_synth_seconds(directory: Path, hello_world: Path, log: Path) -> float:
    """The bare CDK app's synth, run as the Makefile runs the project's."""
    outdir = directory / "cdk.out"
    env = clean_environment(**_SYNTH_ENV, CDK_OUTDIR=str(outdir), HELLO_WORLD_DIR=str(hello_world))
    seconds = timed([sys.executable, "app.py"], directory, env, log)
    if not list(outdir.glob("*.template.json")):
        raise RuntimeError("the bare CDK app wrote no template")
    return seconds


def engine_events_per_second(state: Path, events: int, log: Path) -> float:
    """Accepted-to-record events/s of the engine in a fresh process, no work."""
    with log.open("ab") as output:
        done = subprocess.run(
            [sys.executable, "-m", "bench.engine_probe", str(state), str(events)],
            cwd=PROJECT_DIR,
            env=clean_environment(ASYNC_STATE_DIR=str(state)),
            stdout=output,
            stderr=subprocess.PIPE,
            check=True,
            timeout=600,
        )
    figures = json.loads(done.stderr.decode().strip().splitlines()[-1])
    return float(figures["events"]) / float(figures["record_seconds"])


def python_version() -> str:
    """The interpreter the benchmarks run."""
    return sys.version.split()[0]


def cpu_model() -> str:
    """The CPU model, from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def cpu_count() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0))
