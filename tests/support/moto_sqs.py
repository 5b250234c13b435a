"""moto's SQS server on a free loopback port, for tests that need a real SQS endpoint."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import requests
from moto.server import ThreadedMotoServer

from tests.support.chalice_local import free_port


class MotoSqs:
    """moto's SQS server on 127.0.0.1, which can be taken down and brought back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def up(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def down(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str = "sqs") -> Any:
        """A client of ``service`` on this server (moto's server serves every service it has)."""
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def bodies(self, queue: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Receive (and delete) ``count`` messages from ``queue``; fail on timeout."""
        client = self.client()
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            try:
                url = client.get_queue_url(QueueName=queue)["QueueUrl"]
            except client.exceptions.QueueDoesNotExist:
                time.sleep(0.05)  # the engine creates it with its first record
                continue
            answer = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            for message in answer.get("Messages", []):
                found.append(json.loads(message["Body"]))
                client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert len(found) == count, f"{len(found)} of {count} messages on {queue}"
        return found

    def reset(self) -> None:
        """Forget every queue, message and stack."""
        requests.post(f"{self.url}/moto-api/reset", timeout=5).raise_for_status()

    def visible_bodies(self, url: str) -> list[str]:
        """The bodies of the messages visible on the queue at ``url``, left visible."""
        client = self.client()
        received: list[dict[str, Any]] = []
        while messages := client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", []):
            received += messages
        for message in received:
            client.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [message["Body"] for message in received]

    def __enter__(self) -> MotoSqs:
        """Start with empty state (moto's backends are shared by the whole process)."""
        self.up()
        self.reset()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()
