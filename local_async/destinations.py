"""Sending records from the store's outbox to an SQS endpoint (``AWS_ENDPOINT_URL_SQS``).

A record leaves the store only once the endpoint has acknowledged it; while
the endpoint is unreachable, records stay in the store and the sender retries
with capped exponential backoff. A record the endpoint refuses for good (too
large, say) is kept in the embedded store instead, never dropped. If the
process dies between the endpoint's acknowledgement and the deletion from the
store, the record is sent again after the restart: delivery is at least once.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.async_api import logs
from local_async.store import OutgoingMessage, Store

#: SendMessageBatch takes at most 10 entries.
BATCH_SIZE = 10
INITIAL_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
#: Dummy credentials for local SQS servers, which accept any.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
#: Opt-in: sign requests to the SQS endpoint with the configured AWS credentials.
AWS_CREDENTIALS_VARIABLE = "ASYNC_SQS_AWS_CREDENTIALS"
_YES, _NO = ("1", "true", "yes"), ("", "0", "false", "no")
_MISSING_QUEUE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


class DeliveryError(RuntimeError):
    """The endpoint did not take a record that it may take later."""


class EndpointRefused(ValueError):
    """``AWS_ENDPOINT_URL_SQS`` or ``ASYNC_SQS_AWS_CREDENTIALS`` holds what the engine refuses."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a URL's host name) is this machine: ``localhost``, 127/8, ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint_url: str) -> None:
    """Refuse an SQS endpoint URL that is not https, or http to a loopback address.

    Raises :class:`EndpointRefused` saying what is accepted.
    """
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and is_loopback(host):
        return
    raise EndpointRefused(
        f"AWS_ENDPOINT_URL_SQS={endpoint_url!r}: expected an https:// URL, or http:// to "
        "this machine (localhost, 127.0.0.1, [::1]): plain http elsewhere would carry the "
        "records, and any credentials, in clear"
    )


def uses_aws_credentials(env: Mapping[str, str]) -> bool:
    """Whether the user opted in to signing with the configured AWS credentials.

    Raises :class:`EndpointRefused` for a value that is neither yes nor no.
    """
    raw = env.get(AWS_CREDENTIALS_VARIABLE, "").strip().lower()
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise EndpointRefused(
        f"{AWS_CREDENTIALS_VARIABLE}={raw!r}: expected true (sign with the configured AWS "
        "credentials) or false (the default: dummy credentials)"
    )


@dataclass(frozen=True)
class BatchOutcome:
    """What an endpoint did with one batch, by outbox sequence number."""

    sent: list[int]
    #: Records refused for good, with the endpoint's reason.
    refused: list[tuple[int, str]]
    #: Records refused for now (the endpoint's fault): to be sent again.
    failed: list[int]


def backoff_seconds(failures: int, initial: float, cap: float) -> float:
    """The wait after ``failures`` consecutive failures: doubling from ``initial``, capped."""
    if failures < 1:
        raise ValueError(f"failures start at 1, got {failures}")
    return float(min(cap, initial * 2 ** min(failures - 1, 32)))


def sqs_client(endpoint_url: str, region: str, *, aws_credentials: bool = False) -> Any:
    """A boto3 SQS client for ``endpoint_url`` (checked by :func:`check_endpoint`).

    With dummy credentials, unless ``aws_credentials``: then with the configured
    ones (environment, shared files, SSO), never the instance metadata service.
    """
    import boto3
    import botocore.config
    import botocore.session

    check_endpoint(endpoint_url)
    core = botocore.session.get_session()
    # A laptop has no instance metadata service; probing it for credentials
    # costs seconds and finds nothing.
    core.get_component("credential_provider").remove("iam-role")
    session = boto3.session.Session(botocore_session=core, region_name=region)
    credentials = {} if aws_credentials else _LOCAL_CREDENTIALS
    config = botocore.config.Config(
        connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 1}
    )
    return session.client("sqs", endpoint_url=endpoint_url, config=config, **credentials)


class SqsEndpoint:
    """Sends bodies to queues by name on one endpoint, creating missing queues."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._queue_urls: dict[str, str] = {}

    def send_batch(self, queue: str, messages: Sequence[OutgoingMessage]) -> BatchOutcome:
        """Send up to :data:`BATCH_SIZE` records to ``queue``; raise if the call fails."""
        from botocore.exceptions import ClientError

        url = self._queue_url(queue)
        try:
            answer = self._client.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(m.seq), "MessageBody": m.body} for m in messages],
            )
        except ClientError as problem:
            if problem.response.get("Error", {}).get("Code") in _MISSING_QUEUE_CODES:
                # Deleted behind our back: create it again on the next try.
                self._queue_urls.pop(queue, None)
            raise
        failed = answer.get("Failed", [])
        return BatchOutcome(
            sent=[int(entry["Id"]) for entry in answer.get("Successful", [])],
            refused=[
                (int(entry["Id"]), f"{entry.get('Code')}: {entry.get('Message', '')}")
                for entry in failed
                if entry.get("SenderFault")
            ],
            failed=[int(entry["Id"]) for entry in failed if not entry.get("SenderFault")],
        )

    def _queue_url(self, queue: str) -> str:
        if queue not in self._queue_urls:
            # CreateQueue returns the existing queue's URL when it exists.
            self._queue_urls[queue] = self._client.create_queue(QueueName=queue)["QueueUrl"]
        return self._queue_urls[queue]


class OutboxSender:
    """Drains the outbox to an SQS endpoint, on a thread the engine runs."""

    def __init__(
        self,
        store: Store,
        *,
        owner: str,
        connect: Callable[[], SqsEndpoint],
        clock: Callable[[], float],
        lease_seconds: float,
        idle_poll_seconds: float = 1.0,
        initial_backoff_seconds: float = INITIAL_BACKOFF_SECONDS,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        """Send ``store``'s outbox through the endpoint that ``connect`` builds (lazily)."""
        self._store = store
        self._owner = owner
        self._connect = connect
        self._clock = clock
        self._lease_seconds = lease_seconds
        self._idle_poll = idle_poll_seconds
        self._initial_backoff = initial_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._endpoint: SqsEndpoint | None = None
        self._wake = threading.Event()

    def wake(self) -> None:
        """Look at the outbox now: a record was just added (or the engine stops)."""
        self._wake.set()

    def run(self, stopping: threading.Event) -> None:
        """Send until ``stopping`` is set, backing off while the endpoint fails."""
        failures = 0
        while not stopping.is_set():
            self._wake.clear()
            try:
                handled = self.send_once()
            except Exception as problem:  # any failure: the records stay, try again later
                failures += 1
                if failures == 1:
                    logs.log(
                        "async.delivery.unavailable",
                        "",
                        logging.WARNING,
                        error=f"{type(problem).__name__}: {problem}",
                        retrying="with backoff; records are kept until delivered",
                    )
                stopping.wait(backoff_seconds(failures, self._initial_backoff, self._max_backoff))
                continue
            if failures:
                logs.log("async.delivery.resumed", "", failed_tries=failures)
                failures = 0
            if handled == 0:
                self._wake.wait(self._idle_poll)

    def send_once(self) -> int:
        """Send one batch; return how many records left the outbox (0: it is empty).

        Raises when the endpoint cannot be reached or fails some records; those
        stay in the outbox.
        """
        batch = self._store.claim_outbox(
            self._owner, self._clock(), self._lease_seconds, BATCH_SIZE
        )
        if not batch:
            return 0
        if self._endpoint is None:
            self._endpoint = self._connect()
        outcome = self._endpoint.send_batch(batch[0].queue, batch)
        self._store.delete_messages(outcome.sent)
        if outcome.refused:
            self._store.keep_locally([seq for seq, _ in outcome.refused])
            for seq, reason in outcome.refused:
                logs.log(
                    "async.delivery.refused",
                    "",
                    logging.ERROR,
                    queue=batch[0].queue,
                    seq=seq,
                    reason=reason,
                    kept="in the embedded store: python -m local_async.receive",
                )
        if outcome.failed:
            raise DeliveryError(f"the endpoint failed {len(outcome.failed)} record(s) for now")
        return len(outcome.sent) + len(outcome.refused)
