"""``python -m local_async.replay --from sqs``: records on an SQS endpoint (moto on loopback).

Events go to the local engine's store, then the record is deleted: a crash in
between leaves the record, which a next run replays again (at-least-once).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local_async.replay.adapters import SqsQueue, StoreInvoker
from local_async.replay.failed_records import Filters, Row
from local_async.replay.run import Selection, Target, invoke_then_delete, replay_queue
from local_async.store import Store
from tests.engine.helpers import DLQ, SQUARE
from tests.support.moto_sqs import MotoSqs
from tests.support.replay import queued_ids, replay, send_failures, table_rows

NOW = 1_700_000_000.0
DEPLOYED = "serverless-async-lambda-api-dev-get_square_fn"


def put_failures(moto: MotoSqs, ids: list[str]) -> str:
    """Failure records of ``ids`` on the endpoint's DLQ, as the engine sends them; its URL."""
    client = moto.client()
    url: str = client.create_queue(QueueName=DLQ)["QueueUrl"]
    send_failures(client, url, ids)
    return url


def stored_events(state: Path) -> list[dict[str, Any]]:
    store = Store.open(state)
    try:
        found: list[dict[str, Any]] = []
        while (claim := store.claim_event("test", str(len(found)), NOW, [SQUARE.name])) is not None:
            found.append(json.loads(claim.payload))
        return found
    finally:
        store.close()


def env(moto: MotoSqs, state: Path) -> dict[str, str]:
    return {"ASYNC_STATE_DIR": str(state), "AWS_ENDPOINT_URL_SQS": moto.url}


def test_records_on_the_endpoint_become_events_of_the_local_engine(
    moto: MotoSqs, tmp_path: Path
) -> None:
    ids = [f"id-{n}" for n in range(12)]
    url = put_failures(moto, ids)
    done = replay(env=env(moto, tmp_path))  # --from sqs: AWS_ENDPOINT_URL_SQS is set
    assert done.returncode == 0, done.stderr
    assert sorted(table_rows(done.stdout)) == sorted(ids)
    assert {row[-1] for row in table_rows(done.stdout).values()} == {"replayed"}
    assert sorted(e["api_request_id"] for e in stored_events(tmp_path)) == sorted(ids)
    assert stored_events(tmp_path) == [], "each event once"
    assert queued_ids(moto, url) == []


def test_without_an_on_failure_queue_there_is_nothing_to_replay(
    moto: MotoSqs, tmp_path: Path
) -> None:
    done = replay("--from", "sqs", env=env(moto, tmp_path))
    assert (done.returncode, done.stdout) == (0, "no failed event to replay\n")


def test_an_unreachable_endpoint_is_said_before_anything_is_read(tmp_path: Path) -> None:
    done = replay(
        env={"ASYNC_STATE_DIR": str(tmp_path), "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9"}
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot reach http://127.0.0.1:9: ")


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("AWS_ENDPOINT_URL_SQS", "http://10.1.1.1:5000", "expected an https:// URL"),
        ("ASYNC_SQS_AWS_CREDENTIALS", "maybe", "expected true"),
    ],
)
def test_an_endpoint_the_engine_refuses_is_refused_in_one_line(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    env = {"ASYNC_STATE_DIR": str(tmp_path), "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9"}
    done = replay("--from", "sqs", env={**env, variable: value})
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and says in done.stderr
    assert "Traceback" not in done.stderr


def one_queue(moto: MotoSqs, url: str) -> SqsQueue:
    return SqsQueue(moto.client(), url, name=DLQ, visibility_timeout=60)


SELECTION = Selection(
    filters=Filters(),
    targets={DEPLOYED: Target(SQUARE.name, SQUARE.name)},
    targets_are="declared",
)


def test_an_event_the_store_refuses_leaves_its_record(moto: MotoSqs, tmp_path: Path) -> None:
    url = put_failures(moto, ["refused"])
    closed = Store.open(tmp_path)
    closed.close()
    queue = one_queue(moto, url)
    rows: list[Row] = []
    replay_queue(
        queue, invoke_then_delete(queue, StoreInvoker(closed, lambda: NOW)), SELECTION, rows.append
    )
    [row] = rows
    assert str(row.outcome).startswith("left: not accepted: the store refused it (")
    assert queued_ids(moto, url) == ["refused"], "the record stays, visible again"


class CrashAfterAccepting:
    """The local engine's store as invoker, with the process dying after the ``n``-th event."""

    def __init__(self, invoker: StoreInvoker, n: int) -> None:
        self._invoker = invoker
        self._left = n

    def invoke(self, function: str, payload: str) -> str | None:
        refused = self._invoker.invoke(function, payload)
        self._left -= 1
        if self._left == 0:
            raise KeyboardInterrupt  # accepted, not yet deleted
        return refused


def test_a_replay_interrupted_half_way_loses_nothing(moto: MotoSqs, tmp_path: Path) -> None:
    ids = [f"id-{n}" for n in range(8)]
    url = put_failures(moto, ids)
    store = Store.open(tmp_path)
    queue = one_queue(moto, url)
    try:
        with pytest.raises(KeyboardInterrupt):
            replay_queue(
                queue,
                invoke_then_delete(queue, CrashAfterAccepting(StoreInvoker(store, lambda: NOW), 4)),
                SELECTION,
                lambda _: None,
            )
    finally:
        store.close()
    left_over = queued_ids(moto, url)
    assert len(left_over) == 5, "3 replayed and deleted, the 4th replayed and still queued"
    done = replay(env=env(moto, tmp_path))
    assert done.returncode == 0, done.stderr
    replayed = [e["api_request_id"] for e in stored_events(tmp_path)]
    assert set(replayed) == set(ids), "nothing lost"
    assert len(replayed) == len(ids) + 1, "one event twice: at-least-once"
    assert queued_ids(moto, url) == []
