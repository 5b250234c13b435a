"""Sending records from the store's outbox to an SQS endpoint (``AWS_ENDPOINT_URL_SQS``).

A record leaves the outbox only once the endpoint has acknowledged it, or once
the endpoint has refused it for good; then it is kept in the embedded store
(read it with ``python -m local_async.receive --queue-name <queue>``), with one
log line saying why. Nothing is dropped.

Records never wait behind one another. Each queue is sent on its own (one
queue's outage or backoff does not hold the others), and within a queue:

- batches are sized by bytes as well as by count, against SQS's limits
  (``SendMessageBatch``: at most 10 entries, and at most 1 MiB, 1,048,576
  bytes, for the sum of the bodies) and the queue's own ``MaximumMessageSize``
  (read with ``GetQueueAttributes``); a record larger than that is kept locally
  without being sent;
- each entry's answer is handled on its own: one refused entry does not stop
  the others, and a batch refused as a whole for a reason that is not the
  endpoint's (too long, invalid) is sent again one record at a time, so only
  the records at fault are kept locally.

:func:`is_retryable` sorts failures: throttling, 5xx, no answer at all
(connection refused or reset, timeouts) and entries failed without the
sender's fault are retried with capped exponential backoff, for as long as it
takes; every other failure (too large, invalid, access denied, the queue
deleted after it was created or found) is the record's, which is kept locally.
If the process dies between the endpoint's acknowledgement and the deletion
from the store, the record is sent again after the restart: delivery is at
least once.

Sources: SQS's API model in botocore (``SendMessageBatch``: the 10 entries and
1 MiB; ``BatchResultErrorEntry.SenderFault``; ``MaximumMessageSize``: 1,024 to
1,048,576 bytes, default 1,048,576), botocore's standard retry mode
(``botocore/retries/standard.py``: the throttling codes and transient statuses).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from chalicelib.async_api import logs
from local_async.settings import SQS_ENDPOINT_VARIABLE, region
from local_async.store import OutgoingMessage, Store

#: SendMessageBatch takes at most 10 entries...
MAX_BATCH_ENTRIES = 10
#: ... whose bodies add up to at most 1 MiB.
MAX_BATCH_BYTES = 1_048_576
#: SQS's largest (and default) ``MaximumMessageSize``.
MAX_MESSAGE_BYTES = 1_048_576
#: How many records of one queue one round looks at.
ROUND_RECORDS = 100
INITIAL_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
#: Dummy credentials for local SQS servers, which accept any.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
#: The codes of ``QueueDoesNotExist`` (JSON protocol, and the query protocol's).
_QUEUE_GONE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
#: Throttling codes, from botocore's standard retry mode, with SQS's and KMS's own.
THROTTLING_CODES = frozenset(
    {
        "RequestThrottled",
        "KmsThrottled",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
#: Transient codes, from botocore's standard retry mode, and AWS's 5xx codes.
TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)
#: Opt-in: sign requests to the SQS endpoint with the configured AWS credentials.
AWS_CREDENTIALS_VARIABLE = "ASYNC_SQS_AWS_CREDENTIALS"
_YES, _NO = ("1", "true", "yes"), ("", "0", "false", "no")


class Failure(NamedTuple):
    """Why an SQS call, or one entry of a batch, failed."""

    #: The error code; empty when no answer came (no connection, a timeout).
    code: str
    #: The HTTP status of a failed call; None for an entry, or when no answer came.
    status: int | None = None
    #: An entry's ``SenderFault``; None for a whole call.
    sender_fault: bool | None = None
    message: str = ""

    def __str__(self) -> str:
        """``Code: message``, as a log line quotes it."""
        return f"{self.code or 'no answer'}: {self.message}"


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


def is_retryable(failure: Failure) -> bool:
    """Whether sending again later may succeed: the endpoint's fault, not the record's.

    Throttling and transient codes, HTTP 429 and 5xx, no answer at all, and
    entries failed without the sender's fault are retryable. Every other
    failure (a 4xx, an entry failed by the sender's fault) is not.
    """
    if failure.code in THROTTLING_CODES or failure.code in TRANSIENT_CODES:
        return True
    if failure.status is not None:
        return failure.status == 429 or failure.status >= 500
    if failure.sender_fault is not None:
        return not failure.sender_fault
    return failure.code == ""


def is_queue_gone(failure: Failure) -> bool:
    """Whether the failure says the queue does not exist (any more)."""
    return failure.code in _QUEUE_GONE


class Plan(NamedTuple):
    """How to send a queue's records: batches of sequence numbers, and the ones too large."""

    batches: list[list[int]]
    too_large: list[int]


def plan_batches(
    sizes: Sequence[tuple[int, int]],
    *,
    max_message_bytes: int,
    max_batch_bytes: int = MAX_BATCH_BYTES,
    max_entries: int = MAX_BATCH_ENTRIES,
) -> Plan:
    """Group records, given as ``(seq, body size in bytes)`` in sending order, into batches.

    Each batch keeps the order, has at most ``max_entries`` records and at most
    ``max_batch_bytes`` of bodies; a record over ``max_message_bytes`` (or
    over ``max_batch_bytes``) goes to ``too_large`` instead of any batch.
    """
    limit = min(max_message_bytes, max_batch_bytes)
    batches: list[list[int]] = []
    too_large: list[int] = []
    current: list[int] = []
    current_bytes = 0
    for seq, size in sizes:
        if size > limit:
            too_large.append(seq)
            continue
        if current and (len(current) == max_entries or current_bytes + size > max_batch_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(seq)
        current_bytes += size
    if current:
        batches.append(current)
    return Plan(batches=batches, too_large=too_large)


def backoff_seconds(failures: int, initial: float, cap: float) -> float:
    """The wait after ``failures`` consecutive failures: doubling from ``initial``, capped."""
    if failures < 1:
        raise ValueError(f"failures start at 1, got {failures}")
    return float(min(cap, initial * 2 ** min(failures - 1, 32)))


def endpoint_client(env: Mapping[str, str]) -> Any:
    """The SQS client of ``AWS_ENDPOINT_URL_SQS`` in ``env``, signed as ``env`` says.

    Raises :class:`EndpointRefused` for an endpoint or credentials choice the engine
    refuses, and ``KeyError`` when the variable is not set.
    """
    return sqs_client(
        env[SQS_ENDPOINT_VARIABLE], region(env), aws_credentials=uses_aws_credentials(env)
    )


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


class QueueTarget(NamedTuple):
    """A queue of the endpoint, as the sender sends to it."""

    url: str
    max_message_bytes: int


class EntryFailure(NamedTuple):
    """One entry of a batch that the endpoint did not take."""

    seq: int
    failure: Failure


class BatchOutcome(NamedTuple):
    """What the endpoint did with each entry of a batch, by outbox sequence number."""

    sent: list[int]
    failed: list[EntryFailure]


class SqsEndpoint:
    """The SQS calls the sender makes, on one endpoint; failures raise the client's errors."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def look_up(self, queue: str) -> QueueTarget:
        """Find ``queue`` (creating it if it does not exist) and its ``MaximumMessageSize``."""
        try:
            url = self._client.get_queue_url(QueueName=queue)["QueueUrl"]
        except Exception as problem:
            known = failure_of(problem)
            if known is None or not is_queue_gone(known):
                raise
            url = self._client.create_queue(QueueName=queue)["QueueUrl"]
        attributes = self._client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["MaximumMessageSize"]
        ).get("Attributes", {})
        return QueueTarget(url, int(attributes.get("MaximumMessageSize", MAX_MESSAGE_BYTES)))

    def send_batch(self, url: str, messages: Sequence[OutgoingMessage]) -> BatchOutcome:
        """Send ``messages`` in one ``SendMessageBatch``; the caller keeps it within the limits."""
        answer = self._client.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(m.seq), "MessageBody": m.body} for m in messages],
        )
        return BatchOutcome(
            sent=[int(entry["Id"]) for entry in answer.get("Successful", [])],
            failed=[
                EntryFailure(
                    int(entry["Id"]),
                    Failure(
                        code=str(entry.get("Code", "")),
                        sender_fault=bool(entry.get("SenderFault")),
                        message=str(entry.get("Message", "")),
                    ),
                )
                for entry in answer.get("Failed", [])
            ],
        )


def failure_of(problem: BaseException) -> Failure | None:
    """The failure an exception from an SQS call stands for, or None for any other exception.

    A ``ClientError`` is the endpoint's answer; botocore's connection and HTTP
    client errors (refused, reset, timed out) are calls that got no answer.
    Anything else is a bug, left to propagate.
    """
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(problem, ClientError):
        error = problem.response.get("Error", {})
        status = problem.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return Failure(
            code=str(error.get("Code", "")),
            status=int(status) if status is not None else None,
            message=str(error.get("Message", "")),
        )
    if isinstance(problem, ConnectionError | HTTPClientError):
        return Failure(code="", message=str(problem))
    return None


class _Unavailable(Exception):
    """The endpoint failed in a way that may pass: the queue's records wait and are sent again."""


@dataclass
class _QueueState:
    """What the sender knows of one queue."""

    target: QueueTarget | None = None
    #: Deleted after it was created or found: its records are kept locally.
    gone: bool = False
    #: Consecutive rounds that failed for the endpoint's reasons.
    failures: int = 0
    #: When (monotonic) to try again after a failure.
    retry_at: float = 0.0


class OutboxSender:
    """Drains the outbox to an SQS endpoint, on a thread the engine runs."""

    def __init__(
        self,
        store: Store,
        *,
        owner: str,
        connect: Callable[[], SqsEndpoint],
        monotonic: Callable[[], float],
        idle_poll_seconds: float = 1.0,
        initial_backoff_seconds: float = INITIAL_BACKOFF_SECONDS,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        """Send ``store``'s outbox through the endpoint that ``connect`` builds (lazily)."""
        self._store = store
        self._owner = owner
        self._connect = connect
        self._monotonic = monotonic
        self._idle_poll = idle_poll_seconds
        self._initial_backoff = initial_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._endpoint: SqsEndpoint | None = None
        self._queues: dict[str, _QueueState] = {}
        #: Records that left the outbox (sent, or kept locally) since this sender began.
        self._moved = 0
        self._wake = threading.Event()

    def wake(self) -> None:
        """Look at the outbox now: a record was just added (or the engine stops)."""
        self._wake.set()

    def run(self, stopping: threading.Event) -> None:
        """Send until ``stopping`` is set; each queue backs off on its own while it fails."""
        failures = 0
        while not stopping.is_set():
            self._wake.clear()
            try:
                moved = self.send_once()
            except Exception as problem:  # the store or the client itself: try again later
                failures += 1
                logs.log("async.delivery.error", "", logging.ERROR, error=repr(problem))
                stopping.wait(backoff_seconds(failures, self._initial_backoff, self._max_backoff))
                continue
            failures = 0
            if moved == 0:
                self._wake.wait(self._idle_wait())

    def send_once(self) -> int:
        """One round over every queue not backing off; return how many records left the outbox.

        Those sent and those kept locally count; records that wait for the
        endpoint do not.
        """
        if self._endpoint is None:
            self._endpoint = self._connect()
        endpoint = self._endpoint
        moved_before = self._moved
        for queue in self._store.outbox_queues(self._owner):
            state = self._queues.setdefault(queue, _QueueState())
            if self._monotonic() < state.retry_at:
                continue
            records = self._store.claim_outbox(self._owner, queue, ROUND_RECORDS)
            try:
                self._deliver(endpoint, queue, state, records)
            except _Unavailable as problem:
                state.failures += 1
                state.retry_at = self._monotonic() + backoff_seconds(
                    state.failures, self._initial_backoff, self._max_backoff
                )
                if state.failures == 1:
                    logs.log(
                        "async.delivery.unavailable",
                        "",
                        logging.WARNING,
                        queue=queue,
                        error=str(problem),
                        retrying="with backoff; records are kept until delivered",
                    )
                continue
            if state.failures:
                logs.log("async.delivery.resumed", "", queue=queue, failed_tries=state.failures)
                state.failures, state.retry_at = 0, 0.0
        return self._moved - moved_before

    def _idle_wait(self) -> float:
        now = self._monotonic()
        waits = [state.retry_at - now for state in self._queues.values() if state.failures]
        return max(0.0, min([self._idle_poll, *waits]))

    def _deliver(
        self,
        endpoint: SqsEndpoint,
        queue: str,
        state: _QueueState,
        records: list[OutgoingMessage],
    ) -> None:
        """Send ``records`` of ``queue``, or keep them locally; raise :class:`_Unavailable`."""
        if state.gone:
            self._keep(queue, records, _gone_reason(queue))
            return
        if state.target is None:
            try:
                state.target = endpoint.look_up(queue)
            except Exception as problem:
                failure = _failure_or_raise(problem)
                self._keep(
                    queue, records, f"the endpoint refused to find or create the queue: {failure}"
                )
                return
        target = state.target
        plan = plan_batches(
            [(record.seq, _size(record)) for record in records],
            max_message_bytes=target.max_message_bytes,
        )
        by_seq = {record.seq: record for record in records}
        for seq in plan.too_large:
            self._keep(
                queue,
                [by_seq[seq]],
                f"the record is {_size(by_seq[seq])} bytes, more than the queue's "
                f"MaximumMessageSize of {target.max_message_bytes} bytes",
            )
        for batch in plan.batches:
            self._send(endpoint, queue, state, [by_seq[seq] for seq in batch])

    def _send(
        self,
        endpoint: SqsEndpoint,
        queue: str,
        state: _QueueState,
        batch: list[OutgoingMessage],
    ) -> None:
        """Send one batch; records at fault are kept locally, the rest are sent or wait."""
        if state.gone or state.target is None:
            self._keep(queue, batch, _gone_reason(queue))
            return
        try:
            outcome = endpoint.send_batch(state.target.url, batch)
        except Exception as problem:
            failure = _failure_or_raise(problem)
            if is_queue_gone(failure):
                state.gone = True
                self._keep(queue, batch, _gone_reason(queue))
            elif len(batch) > 1:  # refused as a whole: find the records at fault
                for record in batch:
                    self._send(endpoint, queue, state, [record])
            else:
                self._keep(queue, batch, f"the endpoint refused it: {failure}")
            return
        self._store.delete_messages(outcome.sent)
        self._moved += len(outcome.sent)
        by_seq = {record.seq: record for record in batch}
        waiting = []
        for entry in outcome.failed:
            if is_retryable(entry.failure):
                waiting.append(entry)
            else:
                self._keep(queue, [by_seq[entry.seq]], f"the endpoint refused it: {entry.failure}")
        if waiting:
            raise _Unavailable(
                f"the endpoint failed {len(waiting)} record(s) for now: {waiting[0].failure}"
            )

    def _keep(self, queue: str, records: list[OutgoingMessage], reason: str) -> None:
        """Keep ``records`` in the embedded store, one log line each saying why and where."""
        self._moved += self._store.keep_locally([record.seq for record in records])
        for record in records:
            api_request_id, lambda_request_id = _request_ids(record.body)
            logs.log(
                "async.delivery.kept_locally",
                api_request_id,
                logging.ERROR,
                queue=queue,
                lambda_request_id=lambda_request_id,
                message_id=record.message_id,
                reason=reason,
                read_it_with=f"python -m local_async.receive --queue-name {queue}",
            )


def _failure_or_raise(problem: Exception) -> Failure:
    """The endpoint's failure, if it is not one to retry; otherwise raise :class:`_Unavailable`."""
    failure = failure_of(problem)
    if failure is None:
        raise problem
    if is_retryable(failure):
        raise _Unavailable(f"{type(problem).__name__}: {problem}") from problem
    return failure


def _gone_reason(queue: str) -> str:
    return (
        f"the queue {queue} was deleted while the server ran; records for it are kept "
        "here until the server restarts and creates it again"
    )


def _request_ids(body: str) -> tuple[str, str]:
    """The API request id and Lambda request id of an invocation record, as logs name them."""
    try:
        record = json.loads(body)
        return (
            str(record["requestPayload"].get("api_request_id", "")),
            str(record["requestContext"].get("requestId", "")),
        )
    except (ValueError, TypeError, KeyError, AttributeError):  # not a record: no ids
        return "", ""


def _size(record: OutgoingMessage) -> int:
    """The body's size as SQS counts it: bytes of UTF-8."""
    return len(record.body.encode("utf-8"))
