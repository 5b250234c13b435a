"""Failed events replayed under a real ``chalice local``: they fail, the cause is fixed, they run.

The README's walkthrough: ``SQUARE_FAULT_RATE=1`` sends every event to the
on-failure queue; the server is restarted with 0; ``python -m local_async.replay``
turns the records back into events, which the running server's engine runs
(or, with no server running, the next one to start), and their success
records carry the api_request_ids of the original 202s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chalice_local import ChaliceLocal
from tests.support.declared import DEST, DLQ
from tests.support.engine_e2e import accept, engine_env, receive_records, wait_for_log
from tests.support.replay import replay, table_rows

pytestmark = pytest.mark.e2e


def test_failed_events_replayed_after_the_fix_land_on_the_success_queue(tmp_path: Path) -> None:
    state, log = tmp_path / "state", tmp_path / "server.log"
    env = engine_env(state, ASYNC_RETRY_BASE_DELAY_SECONDS="0.05")
    with ChaliceLocal({**env, "SQUARE_FAULT_RATE": "1"}, log_path=log) as failing:
        accepted = {accept(failing.url, str(n))["api_request_id"]: n for n in (3, 4, 5)}
        wait_for_log(log, "async.record.stored", len(accepted))
    first, *others = accepted
    store_env = {"ASYNC_STATE_DIR": str(state)}

    preview = replay("--dry-run", env=store_env)
    assert preview.returncode == 0, preview.stderr
    assert {i: row[2:] for i, row in table_rows(preview.stdout).items()} == {
        i: ["RetriesExhausted", "SimulatedFailure", "would replay"] for i in accepted
    }

    # No server runs: the event waits in the store for the next one.
    alone = replay("--api-request-id", first, env=store_env)
    assert alone.returncode == 0, alone.stderr
    assert list(table_rows(alone.stdout)) == [first]

    with ChaliceLocal(env, log_path=log):  # the cause fixed: SQUARE_FAULT_RATE=0
        [resumed] = receive_records(state, DEST, 1)
        assert resumed["requestPayload"]["api_request_id"] == first
        # The server runs: its engine picks up the events the command adds.
        done = replay(env=store_env)
        assert done.returncode == 0, done.stderr
        assert sorted(table_rows(done.stdout)) == sorted(others)
        found = receive_records(state, DEST, len(others))
    records = {r["requestPayload"]["api_request_id"]: r for r in [resumed, *found]}
    assert set(records) == set(accepted)
    for api_request_id, number in accepted.items():
        record = records[api_request_id]
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestContext"]["approximateInvokeCount"] == 1, "a new invocation"
        assert record["responsePayload"]["square_of_your_number_is"] == number * number
    assert receive_records(state, DLQ, 0, timeout=0) == []
    again = replay(env=store_env)
    assert (again.returncode, again.stdout) == (0, "no failed event to replay\n")
