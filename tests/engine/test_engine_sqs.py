"""Records sent to an SQS endpoint: a real wire-protocol server (moto) on loopback.

Includes endpoint outages: records made while the endpoint is down stay in the
store and arrive once it is back, none lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_async.destinations import DeliveryError, OutboxSender, SqsEndpoint, sqs_client
from local_async.store import SQS, OutgoingMessage, Store
from tests.engine.helpers import DEST, DLQ, NAME, SQUARE, Harness, event, wait_until
from tests.support.moto_sqs import MotoSqs


@pytest.fixture
def moto() -> Iterator[MotoSqs]:
    with MotoSqs() as server:
        yield server


def connect(moto: MotoSqs) -> SqsEndpoint:
    return SqsEndpoint(sqs_client(moto.url, "us-east-1"))


def test_records_go_to_queues_created_by_name(harness: Harness, moto: MotoSqs) -> None:
    def handler(payload: Any, _: Any) -> dict[str, str]:
        if payload["number"] == "fail":
            raise RuntimeError("no")
        return {"number": payload["number"]}

    engine = harness.engine(
        handler,
        config=SQUARE.config._replace(maximum_retry_attempts=0),
        connect_sqs=lambda: connect(moto),
    )
    engine.start()
    for api_id, number in (("api-1", "1"), ("api-2", "2"), ("api-fail", "fail")):
        engine.submit(NAME, event(api_id, number))
    successes = moto.bodies(DEST, 2)
    [failure] = moto.bodies(DLQ, 1)
    assert {r["requestPayload"]["api_request_id"] for r in successes} == {"api-1", "api-2"}
    assert {r["requestContext"]["condition"] for r in successes} == {"Success"}
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["responsePayload"]["errorMessage"] == "no"
    store = harness.store()
    wait_until(lambda: store.outbox_size() == 0)
    assert harness.records(DEST, 0) == []


def test_no_record_is_lost_across_endpoint_outages(harness: Harness, moto: MotoSqs) -> None:
    moto.down()  # the outage starts before any record exists
    engine = harness.engine(
        lambda payload, _: {"n": payload["number"]}, connect_sqs=lambda: connect(moto)
    )
    engine.start()
    store = harness.store()
    for index in range(5):
        engine.submit(NAME, event(f"api-{index}", str(index)))
    wait_until(lambda: store.pending_events() == 0 and store.outbox_size() == 5)
    moto.up()
    wait_until(lambda: store.outbox_size() == 0, timeout=15)
    moto.down()  # a second outage, while more events arrive
    for index in range(5, 10):
        engine.submit(NAME, event(f"api-{index}", str(index)))
    wait_until(lambda: store.pending_events() == 0 and store.outbox_size() == 5)
    moto.up()
    wait_until(lambda: store.outbox_size() == 0, timeout=15)
    delivered = moto.bodies(DEST, 10)
    assert sorted(r["requestPayload"]["api_request_id"] for r in delivered) == sorted(
        f"api-{index}" for index in range(10)
    )


def test_the_client_needs_no_configured_credentials(
    moto: MotoSqs, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    began = time.monotonic()
    client = sqs_client(moto.url, "eu-west-1")
    assert client.create_queue(QueueName="probe")["QueueUrl"].endswith("/probe")
    assert client.meta.region_name == "eu-west-1"
    assert time.monotonic() - began < 2, "no instance-metadata probe"


def test_a_queue_deleted_behind_the_sender_s_back_is_created_again(moto: MotoSqs) -> None:
    endpoint = connect(moto)
    message = [_outgoing(1)]
    assert endpoint.send_batch("q", message).sent == [1]
    client = moto.client()
    client.delete_queue(QueueUrl=client.get_queue_url(QueueName="q")["QueueUrl"])
    with pytest.raises(ClientError):
        endpoint.send_batch("q", message)
    assert endpoint.send_batch("q", message).sent == [1]


class ScriptedClient:
    """An SQS client whose SendMessageBatch answers are scripted by entry id."""

    def __init__(self, refused: set[str], failed: set[str]) -> None:
        self._refused = refused
        self._failed = failed

    def create_queue(self, QueueName: str) -> dict[str, str]:
        return {"QueueUrl": f"http://sqs.local/{QueueName}"}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        ids = [entry["Id"] for entry in Entries]
        return {
            "Successful": [{"Id": i} for i in ids if i not in self._refused | self._failed],
            "Failed": [
                {"Id": i, "SenderFault": i in self._refused, "Code": "InvalidMessageContents"}
                for i in ids
                if i in self._refused | self._failed
            ],
        }


def _outgoing(seq: int) -> OutgoingMessage:
    return OutgoingMessage(seq=seq, message_id=f"m{seq}", queue="q", body="{}")


def test_a_refused_record_is_kept_locally_and_a_failed_one_retried(harness: Harness) -> None:
    store: Store = harness.store()
    for index in range(3):
        store.add_event(NAME, f"r{index}", "{}", 0)
        store.heartbeat("w", 0)
        claim = store.claim_event("w", 0, 5, [NAME])
        assert claim is not None
        store.complete(claim, queue=DEST, body=f'{{"i": {index}}}', delivery=SQS, now=0)
    seqs = [m.seq for m in store.claim_outbox("probe", 0, 5, 10)]
    store.retire_owner("probe")
    sender = OutboxSender(
        store,
        owner="sender",
        connect=lambda: SqsEndpoint(ScriptedClient(refused={str(seqs[0])}, failed={str(seqs[1])})),
        clock=time.time,
        lease_seconds=5,
    )
    store.heartbeat("sender", time.time())
    with pytest.raises(DeliveryError, match="1 record"):
        sender.send_once()
    assert store.outbox_size() == 1  # the failed one, to be sent again
    assert harness.records(DEST, 1) == [{"i": 0}]  # the refused one, kept locally
