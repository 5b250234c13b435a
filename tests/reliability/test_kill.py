"""``kill -9`` of ``chalice local``'s process group while clients send and workers run.

The small version of this lives in tests/e2e/test_engine_chalice_local.py
(6 events, accepted before the kill); here many clients are still sending
when the process group dies, so some requests get no answer at all.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from local_async.store import Store
from tests.reliability.common import (
    Answer,
    drain_store,
    get,
    run_clients,
    tally,
    wait_until,
)
from tests.reliability.conftest import Sizes
from tests.support.chalice_local import ChaliceLocal
from tests.support.declared import DEST, DLQ
from tests.support.engine_e2e import engine_env, log_events

pytestmark = pytest.mark.e2e


def test_kill_9_mid_flight_loses_no_accepted_event(
    tmp_path: Path, sizes: Sizes, report: Callable[[str], None]
) -> None:
    state, log = tmp_path / "state", tmp_path / "server.log"
    env = engine_env(state, SQUARE_WORK_SECONDS="0.05", ASYNC_CONCURRENCY="4")
    server = ChaliceLocal(env, log_path=log).start()
    kill_after = sizes.kill_events // 2
    accepted_so_far = [0]
    enough = threading.Event()
    lock = threading.Lock()

    def call(session: requests.Session, index: int) -> Answer:
        answer = get(session, f"{server.url}/square/{index}", index, {"InvocationType": "Event"})
        if answer.status == 202:
            with lock:
                accepted_so_far[0] += 1
                if accepted_so_far[0] >= kill_after:
                    enough.set()
        return answer

    answers: list[Answer] = []
    clients = threading.Thread(
        target=lambda: answers.extend(run_clients(sizes.clients, sizes.kill_events, call))
    )
    clients.start()
    try:
        assert enough.wait(60), "the clients never got enough 202s"
    finally:
        server.kill_hard()  # SIGKILL to the process group, while clients still send
    clients.join(120)
    store = Store.open(state)
    try:
        pending_at_kill = store.pending_events()
        records_at_kill = len(log_events(log, "async.record.stored"))
        # Restarted with no new request: the engine starts with the server.
        with ChaliceLocal({**env, "SQUARE_WORK_SECONDS": "0"}, log_path=log):
            wait_until(lambda: store.pending_events() == 0, 60, "events resumed after restart")
            records = drain_store(state, DEST)
            failures = drain_store(state, DLQ)
    finally:
        store.close()
    statuses = Counter(answer.status for answer in answers)
    accepted = {a.body["api_request_id"] for a in answers if a.status == 202}
    counts = tally(accepted, records)
    starts = Counter(line["request_id"] for line in log_events(log, "async.attempt.started"))
    rerun = sum(1 for api_id, runs in starts.items() if runs > 1)
    report(
        f"kill -9: {len(answers)} async requests from {sizes.clients} clients, killed after "
        f"{kill_after}+ 202s with {pending_at_kill} events pending and {records_at_kill} "
        f"records stored; answered 202 {statuses[202]}, no answer {statuses[0]}; after restart "
        f"delivered {counts.delivered} of {counts.accepted} accepted, missing {counts.missing}, "
        f"duplicate records {counts.duplicates}, records of requests that got no answer "
        f"{counts.unexpected}, runs repeated after the kill {rerun}, DLQ {len(failures)}"
    )
    assert set(statuses) <= {202, 0}, statuses
    assert pending_at_kill > 0, "the kill came after the work was done"
    assert (counts.missing, counts.duplicates) == (0, 0)
    # A request cut by the kill may have been committed before its 202 was sent.
    assert counts.unexpected <= statuses[0]
    assert failures == []
