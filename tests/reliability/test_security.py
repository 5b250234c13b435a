"""Loopback-only servers, an owner-only store, and logs without numbers, payloads or secrets.

Covered elsewhere, not repeated: the store's modes in-process
(tests/engine/test_store.py::test_the_store_is_owner_only,
::test_an_existing_directory_is_made_owner_only); the stack's least privilege,
encryption, TLS-only queues, throttling and log settings (tests/infra/test_stack.py,
tests/infra/test_security.py); cdk-nag and cfn-lint (tests/infra/test_compliance.py).
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from chalice import cli

from local_async.store import Store
from tests.reliability.common import drain_store, exact_square, wait_until
from tests.support.chalice_local import PROJECT_DIR, ChaliceLocal, user_environment
from tests.support.declared import DEST, DLQ
from tests.support.engine_e2e import engine_env
from tests.support.moto_sqs import MotoSqs

#: Numbers no log line could hold by chance (no timestamp or id has these digits).
NUMBERS = ("73190462851739", "-6021.458")
#: Where the project's own code lives (not .venv, not generated output).
SOURCES = ("app.py", "Makefile", "chalicelib", "local_async", "tests", "infrastructure", "bench")
EVERY_INTERFACE = re.compile("0[.]0[.]0[.]0|INADDR_ANY|bind[(][(]['\"]['\"]")


def listening_addresses(port: int) -> list[str]:
    """The local addresses of the sockets listening on ``port`` (IPv6 ones in hex)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        for line in lines:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.append(dotted(address))
    return found


def dotted(address: str) -> str:
    """An IPv4 address as /proc/net/tcp writes it (hex, little-endian), dotted; others as is."""
    if len(address) != 8:
        return address
    return ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0))


def wait_for_no_pending_events(state: Path) -> None:
    store = Store.open(state)
    try:
        wait_until(lambda: store.pending_events() == 0, 30, "events done")
    finally:
        store.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_run_and_chalice_local_default_to_loopback() -> None:
    # Not from the environment: a shell's HOST (zsh sets one) must not widen the server.
    run = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", "run"],
        cwd=PROJECT_DIR,
        env=user_environment({"HOST": "example.com"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "-m local_async.dev_server --host 127.0.0.1 --port 8000" in run.stdout, run.stdout
    local = cli.cli.commands["local"]
    host = next(param for param in local.params if param.name == "host")
    assert host.default == "127.0.0.1"


def test_no_project_code_binds_every_interface() -> None:
    offenders = []
    for name in SOURCES:
        root = PROJECT_DIR / name
        files = [root] if root.is_file() else sorted(root.rglob("*.py")) if root.is_dir() else []
        for path in files:
            if "cdk.out" in path.parts or path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path}: {match}" for match in EVERY_INTERFACE.findall(text)]
    assert offenders == []


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_the_moto_helper_listens_on_loopback_only() -> None:
    with MotoSqs() as sqs:
        assert listening_addresses(sqs.port) == ["127.0.0.1"]


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_a_real_server_logs_no_number_payload_or_secret_and_keeps_its_store_private(
    tmp_path: Path, report: Callable[[str], None]
) -> None:
    state, log = tmp_path / "state", tmp_path / "server.log"
    canary = f"canary-{uuid.uuid4().hex}"
    secrets = {
        "AWS_ACCESS_KEY_ID": f"AKIA{canary}",
        "AWS_SECRET_ACCESS_KEY": f"secret-{canary}",
        "AWS_SESSION_TOKEN": f"token-{canary}",
    }
    # The user agent is part of every event: a dump of a whole payload would show it.
    agent = {"User-Agent": f"payload-{canary}"}
    statuses: Counter[int] = Counter()
    bound: list[str] = []
    files: dict[str, int] = {}
    for fault_rate in ("0", "1"):  # the success paths, then the failure paths
        env = engine_env(state, SQUARE_FAULT_RATE=fault_rate, **secrets)
        with ChaliceLocal(env, log_path=log) as server:
            bound += listening_addresses(server.port)
            for number in NUMBERS:
                for headers in ({}, {"InvocationType": "Event"}):
                    answer = requests.get(
                        f"{server.url}/square/{number}", headers={**agent, **headers}, timeout=10
                    )
                    statuses[answer.status_code] += 1
                    if answer.status_code == 200:
                        body = answer.json(parse_float=Decimal)
                        assert body["square_of_your_number_is"] == exact_square(number)
            wait_for_no_pending_events(state)
            # While the server runs: SQLite removes -wal and -shm at the last close.
            files |= {f.name: mode(f) for f in state.iterdir()}
    successes, failures = drain_store(state, DEST), drain_store(state, DLQ)
    assert len(successes) == len(failures) == len(NUMBERS)
    assert statuses == {200: 2, 202: 4, 502: 2}
    text = log.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    levels = Counter(entry["level"] for entry in entries)
    forbidden = [*NUMBERS, *(str(exact_square(n)) for n in NUMBERS), canary]
    leaking = [line for line in map(json.dumps, entries) if any(f in line for f in forbidden)]
    secret_lines = [line for line in text.splitlines() if canary in line]
    access_lines = [entry for entry in entries if entry["event"] == "http.access"]
    report(
        f"security: {len(entries)} JSON log lines ({levels['INFO']} INFO, "
        f"{levels['WARNING']} WARNING, {levels['ERROR']} ERROR) over sync 200/502 and async "
        f"Success/DLQ: with the number, its square or the payload {len(leaking)}, with a "
        f"credential {len(secret_lines)}; store dir {oct(mode(state))}, "
        f"{len(files)} files {sorted({oct(m) for m in files.values()})}; chalice local listening "
        f"on {', '.join(sorted(set(bound)))} only; access lines {len(access_lines)}, each "
        f"naming the route ({', '.join(sorted({str(a['resource_path']) for a in access_lines}))})"
    )
    assert levels["INFO"] > 0 and levels["WARNING"] > 0 and levels["ERROR"] > 0
    assert {entry["event"] for entry in entries} >= {
        "request.received",
        "function.done",
        "function.failed",
        "async.accepted",
        "async.record.stored",
        "async.attempt.failed",
    }
    assert leaking == [] and secret_lines == []
    assert bound and set(bound) == {"127.0.0.1"}
    assert mode(state) == 0o700
    assert set(files) >= {"engine.sqlite3", "engine.sqlite3-wal", "engine.sqlite3-shm"}
    assert set(files.values()) == {0o600}
