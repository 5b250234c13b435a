"""One on-failure queue's replay: receive, pick, hand over, and delete only what was accepted.

The queue and the hand-over are passed in (:mod:`local_async.replay.adapters`
has the real ones, the tests fakes), so this is the whole policy:

- records are received as from SQS, each hidden for the queue's visibility
  timeout while the run works, so a second reader does not replay it too;
- a record that is not picked (the filters, the maximum, a dry run), or whose
  new invocation was not accepted, is made visible again when the run ends,
  or the visibility timeout after the command died;
- a record is deleted only after its new invocation was accepted (or, in the
  embedded store, in the same transaction that adds the event). If the
  process dies between the two, the record stays and the next run replays it
  again: at-least-once, as Lambda's own asynchronous invocation is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, Protocol

from local_async.replay.failed_records import (
    REPLAYED,
    WOULD_REPLAY,
    FailedEvent,
    Filters,
    Outcome,
    Row,
    UnreadableRecord,
    invocation_name,
    left,
    read_record,
    row,
    unreadable_row,
)

#: SQS's ReceiveMessage returns at most 10 messages.
RECEIVE_LIMIT = 10


class Received(NamedTuple):
    """A message received from an on-failure queue."""

    message_id: str
    #: This receive's handle: what deletes the message, or shows it again.
    receipt_handle: str
    body: str


class RecordQueue(Protocol):
    """An on-failure queue, read as SQS's API reads one."""

    @property
    def name(self) -> str:
        """The queue's name, for messages."""

    def receive(self, limit: int) -> list[Received]:
        """Up to ``limit`` visible messages, each hidden for the queue's visibility timeout."""

    def delete(self, receipt_handle: str) -> str | None:
        """Delete the message received with ``receipt_handle``; None, or why it was not."""

    def release(self, receipt_handles: Sequence[str]) -> str | None:
        """Make these messages visible again now; None, or why some may stay hidden."""


class Invoker(Protocol):
    """Where a failed event goes again: a new asynchronous invocation."""

    def invoke(self, function: str, payload: str) -> str | None:
        """Submit ``payload`` (JSON text) to ``function``; None once accepted, or why not."""


class Target(NamedTuple):
    """A function records may be replayed to."""

    #: Its name in app.py's declarations.
    declared: str
    #: What the invoker invokes: the declared name (local engine) or the deployed name (Lambda).
    invoke_as: str


#: Submits a received record's event to its function and deletes the record: the
#: outcome says whether both happened.
HandOver = Callable[[Received, FailedEvent, Target], Outcome]


def invoke_then_delete(queue: RecordQueue, invoker: Invoker) -> HandOver:
    """Invoke, and delete the record only once the invocation was accepted."""

    def hand_over(message: Received, event: FailedEvent, target: Target) -> Outcome:
        refused = invoker.invoke(invocation_name(target.invoke_as, event.qualifier), event.payload)
        if refused is not None:
            return left(f"not accepted: {refused}")
        not_deleted = queue.delete(message.receipt_handle)
        if not_deleted is not None:
            return left(f"accepted, not deleted ({not_deleted}): a next run replays it again")
        return REPLAYED

    return hand_over


class Selection(NamedTuple):
    """What a run replays, and to which functions."""

    filters: Filters
    #: The functions records may name, by the name in their ARN.
    targets: Mapping[str, Target]
    #: Where those functions are, for the message about a record naming another one.
    targets_are: str
    #: At most this many records are picked (replayed or left); None: every one.
    max_records: int | None = None
    dry_run: bool = False


class QueueReport(NamedTuple):
    """What a run of one queue did besides its rows."""

    #: Records that did not match the filters: left as they were.
    unmatched: int
    #: Why the records the run kept may stay hidden until their visibility timeout; None.
    not_released: str | None
    #: Whether records seen earlier in the run came back (the run outlasted the
    #: visibility timeout) and it stopped early.
    outlasted_visibility: bool


def replay_queue(
    queue: RecordQueue,
    hand_over: HandOver,
    selection: Selection,
    report_row: Callable[[Row], None],
) -> QueueReport:
    """Replay the records of ``queue`` that ``selection`` picks; each row to ``report_row``.

    Exceptions of the queue's receive (and ``KeyboardInterrupt``) propagate
    after every record the run kept is made visible again.
    """
    picked = 0
    unmatched = 0
    outlasted = False
    # Messages received in this run, and the latest handle of those still on the queue.
    seen: set[str] = set()
    kept: dict[str, str] = {}
    try:
        while selection.max_records is None or picked < selection.max_records:
            wanted = RECEIVE_LIMIT
            if selection.max_records is not None:
                wanted = min(wanted, selection.max_records - picked)
            batch = queue.receive(wanted)
            fresh = [message for message in batch if message.message_id not in seen]
            for message in batch:
                # Until replayed, each is shown again at the end, with its latest handle.
                if message.message_id in kept or message.message_id not in seen:
                    kept[message.message_id] = message.receipt_handle
            seen.update(message.message_id for message in fresh)
            if not fresh:
                outlasted = bool(batch)
                break
            for message in fresh:
                outcome = _one(message, hand_over, selection, report_row)
                if outcome is None:
                    unmatched += 1
                    continue
                picked += 1
                if outcome.status == "replayed":
                    del kept[message.message_id]
    finally:
        not_released = queue.release(list(kept.values())) if kept else None
    return QueueReport(unmatched, not_released, outlasted)


def _one(
    message: Received,
    hand_over: HandOver,
    selection: Selection,
    report_row: Callable[[Row], None],
) -> Outcome | None:
    """Replay one message if the selection picks it: its outcome, None if not picked."""
    try:
        event = read_record(message.body)
    except UnreadableRecord as problem:
        unreadable = unreadable_row(problem)
        report_row(unreadable)
        return unreadable.outcome
    if not selection.filters.matches(event):
        return None
    target = selection.targets.get(event.function_name)
    if target is None:
        outcome = left(f"names {event.function_name}, not {selection.targets_are}")
        report_row(row(event, event.function_name, outcome))
        return outcome
    outcome = WOULD_REPLAY if selection.dry_run else hand_over(message, event, target)
    report_row(row(event, target.declared, outcome))
    return outcome
