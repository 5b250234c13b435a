"""The SQS endpoint (moto's server on loopback) down while records are produced, then back.

Records are counted on the SQS server itself. The in-process version of this,
10 records across two outages, is tests/engine/test_engine_sqs.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from local_async.store import Store
from tests.reliability.common import Answer, get, run_clients, tally, wait_until
from tests.reliability.conftest import Sizes
from tests.support.chalice_local import ChaliceLocal
from tests.support.declared import DEST, DLQ
from tests.support.engine_e2e import engine_env, log_events, receive_records, wait_for_log
from tests.support.moto_sqs import MotoSqs

pytestmark = pytest.mark.e2e


def drain_queue(sqs: MotoSqs, queue: str) -> tuple[int, list[dict[str, Any]]]:
    """The server's own count of ``queue``, then every message on it (deleted as read)."""
    client = sqs.client()
    try:
        url = client.get_queue_url(QueueName=queue)["QueueUrl"]
    except client.exceptions.QueueDoesNotExist:
        return 0, []
    attributes = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    found: list[dict[str, Any]] = []
    while messages := client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            found.append(json.loads(message["Body"]))
            client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return int(attributes["ApproximateNumberOfMessages"]), found


def test_records_made_while_the_sqs_endpoint_is_down_all_arrive_once_it_is_back(
    tmp_path: Path, sizes: Sizes, report: Callable[[str], None]
) -> None:
    state, log = tmp_path / "state", tmp_path / "server.log"
    third = max(1, sizes.sqs_records // 3)
    with MotoSqs() as sqs:
        env = engine_env(state, AWS_ENDPOINT_URL_SQS=sqs.url, ASYNC_CONCURRENCY="4")
        with ChaliceLocal(env, log_path=log) as server:
            store = Store.open(state)

            def send(offset: int) -> list[Answer]:
                def call(session: requests.Session, index: int) -> Answer:
                    url = f"{server.url}/square/{offset + index}"
                    return get(session, url, offset + index, {"InvocationType": "Event"})

                return run_clients(sizes.clients, third, call)

            try:
                answers = send(0)  # endpoint up
                wait_until(lambda: store.pending_events() == 0, 60, "first third processed")
                sqs.down()  # records of the first third may still be on their way
                answers += send(third)  # endpoint down: records pile up in the outbox
                wait_until(lambda: store.pending_events() == 0, 60, "second third processed")
                wait_for_log(log, "async.delivery.unavailable", 1)  # the sender saw it
                held = store.outbox_size()
                sqs.up()
                answers += send(2 * third)  # back: the outbox drains while new records come
                wait_until(
                    lambda: store.pending_events() == 0 and store.outbox_size() == 0,
                    60,
                    "outbox drained",
                )
                outages = len(log_events(log, "async.delivery.unavailable"))
                # A queue's resumption is logged once its records have left the outbox, so
                # after the drain above, and chalice local writes its log lines up to 20 ms
                # after they are logged: wait for the lines, as for the outage's.
                wait_for_log(log, "async.delivery.resumed", outages)
                resumed = len(log_events(log, "async.delivery.resumed"))
            finally:
                store.close()
        counted, records = drain_queue(sqs, DEST)
        counted_dlq, failures = drain_queue(sqs, DLQ)
    accepted = {a.body["api_request_id"] for a in answers if a.status == 202}
    counts = tally(accepted, records)
    report(
        f"sqs outage: {len(answers)} async requests, {third} of them while the endpoint was "
        f"down (outbox holding {held} records then; sender logged {outages} outage, "
        f"{resumed} resumption); 202 {len(accepted)}; "
        f"on the SQS server: {counted} messages, delivered {counts.delivered}, "
        f"missing {counts.missing}, duplicates {counts.duplicates}, DLQ {counted_dlq}"
    )
    assert len(accepted) == len(answers) == 3 * third
    assert held >= third, "records made during the outage were not held back"
    assert outages == resumed >= 1
    assert counted == len(records)
    assert (counts.missing, counts.unexpected) == (0, 0)
    assert failures == [] and counted_dlq == 0
    # Nothing stayed behind in the embedded store either.
    assert receive_records(state, DEST, 0, timeout=0) == []
