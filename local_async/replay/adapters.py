"""The I/O of a replay: where records are read, where events go again, the stack's outputs.

Queues (:class:`~local_async.replay.run.RecordQueue`):

- :class:`StoreQueue`: an on-failure queue of the embedded store, read with
  the store's receipt handles (``Store.receive``, ``delete``,
  ``change_visibility``); its :meth:`StoreQueue.hand_over` replaces a record
  by a new event of the local engine in one SQLite transaction;
- :class:`SqsQueue`: an SQS queue, on any endpoint or on AWS
  (``ReceiveMessage``, ``DeleteMessage``, ``ChangeMessageVisibility``).

Invokers (:class:`~local_async.replay.run.Invoker`):

- :class:`StoreInvoker`: adds the event to the local engine's store, as the
  route does with an ``Event`` call; the engine of the server that runs (or
  of the next one to start) runs it;
- :class:`LambdaInvoker`: Lambda's ``Invoke`` with ``InvocationType=Event``,
  accepted when Lambda answers 202 (Invoke API reference: "For the Event
  invocation type, this status code is 202").

And :func:`stack_outputs`, CloudFormation's ``DescribeStacks``.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local_async.replay.failed_records import REPLAYED, FailedEvent, Outcome, left
from local_async.replay.run import Received, Target
from local_async.store import Store

#: The IAM actions each adapter calls on AWS: what whoever runs ``--from aws`` needs
#: (``ChangeMessageVisibility`` shows again the records a run does not replay).
CLOUDFORMATION_ACTIONS = ("cloudformation:DescribeStacks",)
SQS_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")
LAMBDA_ACTIONS = ("lambda:InvokeFunction",)
#: Long polling, however short, asks every SQS server for messages; a short poll
#: asks some and may answer empty while messages wait (SQS developer guide, "Amazon
#: SQS short and long polling"). 1 second is the shortest long poll.
SQS_WAIT_SECONDS = 1
#: An error answer (ClientError) or none at all (BotoCoreError: no connection, a timeout...).
AWS_ERRORS = (ClientError, BotoCoreError)
#: What the store's receipt handle no longer matching means.
_HANDLE_GONE = "received again by another reader, or deleted, since"


class ReplayError(RuntimeError):
    """A queue or the stack could not be read; the message says what and where."""


class StoreQueue:
    """An on-failure queue of the embedded store."""

    def __init__(
        self, store: Store, queue: str, *, visibility_timeout: float, clock: Callable[[], float]
    ) -> None:
        self.name = queue
        self._store = store
        self._visibility_timeout = visibility_timeout
        self._clock = clock

    def receive(self, limit: int) -> list[Received]:
        """Up to ``limit`` visible records, hidden for the visibility timeout."""
        return [
            Received(message.message_id, message.receipt_handle, message.body)
            for message in self._store.receive(
                self.name,
                limit=limit,
                now=self._clock(),
                visibility_timeout=self._visibility_timeout,
            )
        ]

    def delete(self, receipt_handle: str) -> str | None:
        """Delete the record last received with ``receipt_handle``; None, or why not."""
        return _HANDLE_GONE if self._store.delete(self.name, [receipt_handle]) else None

    def release(self, receipt_handles: Sequence[str]) -> str | None:
        """Show these records again at once."""
        self._store.change_visibility(
            self.name, receipt_handles, now=self._clock(), visibility_timeout=0
        )
        return None

    def hand_over(self, message: Received, event: FailedEvent, target: Target) -> Outcome:
        """Replace the record by a new event for ``target``, in one transaction: both or neither."""
        try:
            replaced = self._store.replace_by_event(
                self.name,
                message.receipt_handle,
                function=target.invoke_as,
                request_id=str(uuid.uuid4()),
                payload=event.payload,
                accepted_at=self._clock(),
            )
        except sqlite3.Error as problem:
            return left(f"not accepted: the store refused it ({problem})")
        return REPLAYED if replaced else left(f"not replayed: {_HANDLE_GONE}")


class StoreInvoker:
    """Adds events to the local engine's store: ``Engine.submit`` without an engine."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    def invoke(self, function: str, payload: str) -> str | None:
        """Add ``payload`` as an event of the declared ``function``, due at once."""
        try:
            self._store.add_event(function, str(uuid.uuid4()), payload, self._clock())
        except sqlite3.Error as problem:
            return f"the store refused it ({problem})"
        return None


class SqsQueue:
    """An SQS queue, through a boto3 SQS client (any endpoint, or AWS)."""

    def __init__(self, client: Any, url: str, *, name: str, visibility_timeout: int) -> None:
        self.name = name
        self._client = client
        self._url = url
        self._visibility_timeout = visibility_timeout

    def receive(self, limit: int) -> list[Received]:
        """``ReceiveMessage``: up to ``limit`` messages, hidden for the visibility timeout.

        Raises :class:`ReplayError` when the queue cannot be read.
        """
        try:
            answer = self._client.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=limit,
                VisibilityTimeout=self._visibility_timeout,
                WaitTimeSeconds=SQS_WAIT_SECONDS,
            )
        except AWS_ERRORS as problem:
            raise ReplayError(f"cannot read {self._url}: {describe(problem)}") from None
        return [
            Received(message["MessageId"], message["ReceiptHandle"], message["Body"])
            for message in answer.get("Messages", [])
        ]

    def delete(self, receipt_handle: str) -> str | None:
        """``DeleteMessage``; None, or why it failed."""
        try:
            self._client.delete_message(QueueUrl=self._url, ReceiptHandle=receipt_handle)
        except AWS_ERRORS as problem:
            return describe(problem)
        return None

    def release(self, receipt_handles: Sequence[str]) -> str | None:
        """``ChangeMessageVisibility`` to 0, each: visible again now; None, or what failed."""
        problems: list[str] = []
        for handle in receipt_handles:
            try:
                self._client.change_message_visibility(
                    QueueUrl=self._url, ReceiptHandle=handle, VisibilityTimeout=0
                )
            except AWS_ERRORS as problem:
                problems.append(describe(problem))
        return "; ".join(sorted(set(problems))) or None


class LambdaInvoker:
    """Lambda's asynchronous invocation, through a boto3 Lambda client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def invoke(self, function: str, payload: str) -> str | None:
        """``Invoke`` with ``InvocationType=Event``; None when Lambda answered 202, or why not."""
        try:
            answer = self._client.invoke(
                FunctionName=function, InvocationType="Event", Payload=payload.encode("utf-8")
            )
        except AWS_ERRORS as problem:
            return describe(problem)
        status = answer.get("StatusCode")
        return None if status == 202 else f"Lambda answered {status}, not 202"


def stack_outputs(client: Any, stack_name: str) -> dict[str, str]:
    """``DescribeStacks``: the stack's outputs by key. Raises :class:`ReplayError`."""
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except AWS_ERRORS as problem:
        raise ReplayError(f"cannot describe the stack {stack_name}: {describe(problem)}") from None
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def describe(problem: Exception) -> str:
    """``Code: message`` of an AWS error answer, else the exception's own text."""
    response = getattr(problem, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        error = response["Error"]
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
    return str(problem) or type(problem).__name__
