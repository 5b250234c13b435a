"""One queue's replay with a fake queue and a fake invoker: ``local_async.replay.run``."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from local_async.replay.failed_records import Filters, Row
from local_async.replay.run import (
    RECEIVE_LIMIT,
    QueueReport,
    Received,
    Selection,
    Target,
    invoke_then_delete,
    replay_queue,
)
from tests.support.replay import LOCAL_ARN, failure_body, square_event

DEPLOYED = "serverless-async-lambda-api-dev-get_square_fn"
TARGETS = {DEPLOYED: Target(declared="get_square_fn", invoke_as="get_square_fn")}
EVERYTHING = Selection(filters=Filters(), targets=TARGETS, targets_are="declared")


class FakeQueue:
    """An SQS queue in memory: receipt handles, hiding on receive, showing on release."""

    name = "async_get_square_fn_dlq"

    def __init__(self, bodies: Sequence[str], *, delete_fails: bool = False) -> None:
        self.bodies = {f"m{number}": body for number, body in enumerate(bodies)}
        self.hidden: set[str] = set()
        self.handles: dict[str, str] = {}
        self.delete_fails = delete_fails
        self.receives = 0
        self._counter = itertools.count()

    def receive(self, limit: int) -> list[Received]:
        assert 1 <= limit <= RECEIVE_LIMIT, limit
        self.receives += 1
        visible = [m for m in self.bodies if m not in self.hidden][:limit]
        for message_id in visible:
            self.hidden.add(message_id)
            self.handles[message_id] = f"h{next(self._counter)}"
        return [Received(m, self.handles[m], self.bodies[m]) for m in visible]

    def delete(self, receipt_handle: str) -> str | None:
        if self.delete_fails:
            return "ServiceUnavailable: try again"
        for message_id, handle in self.handles.items():
            if handle == receipt_handle and message_id in self.bodies:
                del self.bodies[message_id]
                return None
        return "ReceiptHandleIsInvalid"

    def release(self, receipt_handles: Sequence[str]) -> str | None:
        for message_id, handle in self.handles.items():
            if handle in receipt_handles:
                self.hidden.discard(message_id)
        return None

    def visible(self) -> set[str]:
        return {self.bodies[m] for m in self.bodies if m not in self.hidden}


class FakeInvoker:
    """Accepts the events ``accept`` says yes to; raises what ``crash`` says when asked to."""

    def __init__(
        self,
        accept: Callable[[str], bool] = lambda _: True,
        crash: Callable[[int], BaseException | None] = lambda _: None,
    ) -> None:
        self.accept = accept
        self.crash = crash
        self.calls: list[tuple[str, str]] = []
        self.accepted: list[str] = []

    def invoke(self, function: str, payload: str) -> str | None:
        self.calls.append((function, payload))
        crash = self.crash(len(self.calls))
        if crash is not None:
            raise crash
        if not self.accept(payload):
            return "TooManyRequestsException: Rate exceeded"
        self.accepted.append(payload)
        return None


def bodies(count: int) -> list[str]:
    return [failure_body(square_event(f"id-{n}", str(n))) for n in range(count)]


def run(
    queue: FakeQueue, invoker: FakeInvoker, selection: Selection = EVERYTHING
) -> tuple[list[Row], QueueReport]:
    rows: list[Row] = []
    report = replay_queue(queue, invoke_then_delete(queue, invoker), selection, rows.append)
    return rows, report


def test_each_record_is_invoked_to_its_function_then_deleted() -> None:
    queue, invoker = FakeQueue(bodies(25)), FakeInvoker()
    rows, report = run(queue, invoker)
    assert [row.api_request_id for row in rows] == [f"id-{n}" for n in range(25)]
    assert {str(row.outcome) for row in rows} == {"replayed"}
    assert {function for function, _ in invoker.calls} == {"get_square_fn"}
    assert queue.bodies == {}
    assert report == QueueReport(unmatched=0, not_released=None, outlasted_visibility=False)


def test_a_record_whose_invocation_is_refused_stays_and_is_visible_again() -> None:
    queue = FakeQueue(bodies(4))
    invoker = FakeInvoker(accept=lambda payload: '"id-2"' not in payload)
    rows, _ = run(queue, invoker)
    outcomes = {row.api_request_id: str(row.outcome) for row in rows}
    assert outcomes["id-2"] == "left: not accepted: TooManyRequestsException: Rate exceeded"
    assert [o for i, o in outcomes.items() if i != "id-2"] == ["replayed"] * 3
    assert queue.visible() == {failure_body(square_event("id-2", "2"))}


def test_a_record_accepted_but_not_deleted_stays_to_be_replayed_again() -> None:
    queue, invoker = FakeQueue(bodies(2), delete_fails=True), FakeInvoker()
    rows, _ = run(queue, invoker)
    assert len(invoker.accepted) == 2
    assert {str(row.outcome) for row in rows} == {
        "left: accepted, not deleted (ServiceUnavailable: try again): a next run replays it again"
    }
    assert len(queue.visible()) == 2


def test_a_dry_run_invokes_and_deletes_nothing() -> None:
    queue, invoker = FakeQueue(bodies(12)), FakeInvoker()
    rows, _ = run(queue, invoker, EVERYTHING._replace(dry_run=True))
    assert {str(row.outcome) for row in rows} == {"would replay"}
    assert len(rows) == 12
    assert invoker.calls == []
    assert len(queue.visible()) == 12


def test_filters_leave_the_other_records_as_they_were() -> None:
    records = [
        *bodies(3),
        failure_body(square_event("aged", "7"), condition="EventAgeExceeded", error_type=None),
        failure_body(square_event("timed-out", "8"), error_type="Sandbox.Timedout"),
    ]
    queue, invoker = FakeQueue(records), FakeInvoker()
    selection = EVERYTHING._replace(
        filters=Filters(conditions=frozenset({"RetriesExhausted"}), error_types=frozenset({"X"}))
    )
    rows, report = run(queue, invoker, selection)
    assert rows == [] and report.unmatched == 5
    only = Filters(error_types=frozenset({"Sandbox.Timedout"}), api_request_ids=frozenset())
    rows, report = run(queue, invoker, EVERYTHING._replace(filters=only))
    assert [row.api_request_id for row in rows] == ["timed-out"]
    assert report.unmatched == 4
    assert len(queue.visible()) == 4


def test_at_most_the_maximum_is_picked_and_no_more_received() -> None:
    queue, invoker = FakeQueue(bodies(30)), FakeInvoker()
    rows, _ = run(queue, invoker, EVERYTHING._replace(max_records=13))
    assert len(rows) == 13 == len(invoker.calls)
    assert queue.receives == 2, "10, then the 3 still wanted"
    assert len(queue.visible()) == 17


def test_a_record_naming_a_function_not_declared_is_left() -> None:
    other = LOCAL_ARN.replace("get_square_fn", "gone_fn")
    queue, invoker = FakeQueue([failure_body(square_event("x"), function_arn=other)]), FakeInvoker()
    rows, _ = run(queue, invoker)
    gone = "serverless-async-lambda-api-dev-gone_fn"
    assert [(row.function, str(row.outcome)) for row in rows] == [
        (gone, f"left: names {gone}, not declared")
    ]
    assert invoker.calls == [] and len(queue.visible()) == 1


def test_an_unreadable_message_is_left_and_said() -> None:
    queue, invoker = FakeQueue(["{oops", *bodies(1)]), FakeInvoker()
    rows, _ = run(queue, invoker)
    assert [str(row.outcome)[:22] for row in rows] == ["left: unreadable: not ", "replayed"]
    assert queue.visible() == {"{oops"}


def test_messages_coming_back_before_the_run_ends_stop_it() -> None:
    class Forgetful(FakeQueue):
        """A queue whose visibility timeout runs out at once."""

        def receive(self, limit: int) -> list[Received]:
            received = super().receive(limit)
            self.hidden.clear()
            return received

    queue, invoker = Forgetful(bodies(3)), FakeInvoker(accept=lambda _: False)
    rows, report = run(queue, invoker)
    assert len(rows) == 3 and len(invoker.calls) == 3, "each record is handled once"
    assert report.outlasted_visibility


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(0, 25),
    refused=st.sets(st.integers(0, 24)),
    crash_at=st.none() | st.integers(1, 25),
    crash_after_accepting=st.booleans(),
)
def test_an_interrupted_run_loses_nothing(
    count: int, refused: set[int], crash_at: int | None, crash_after_accepting: bool
) -> None:
    """Whatever is refused and wherever the run stops, each record is accepted or still queued."""
    records = bodies(count)
    queue = FakeQueue(records)
    accepted: list[str] = []

    def invoke(payload: str) -> bool:
        number = next(n for n in range(count) if f'"id-{n}"' in payload)
        if number in refused:
            return False
        accepted.append(payload)
        if crash_after_accepting and len(accepted) == crash_at:
            raise KeyboardInterrupt  # between the acceptance and the deletion
        return True

    invoker = FakeInvoker(
        accept=invoke,
        crash=lambda call: (
            KeyboardInterrupt() if not crash_after_accepting and call == crash_at else None
        ),
    )
    with contextlib.suppress(KeyboardInterrupt):
        run(queue, invoker)
    replayed = {payload_id(p) for p in accepted}
    still_queued = {payload_id_of_body(b) for b in queue.bodies.values()}
    assert replayed | still_queued == {f"id-{n}" for n in range(count)}, "nothing lost"
    assert queue.visible() == set(queue.bodies.values()), "what stays is visible again"
    deleted = {f"id-{n}" for n in range(count)} - still_queued
    assert deleted <= replayed, "a record is deleted only once accepted"


def payload_id(payload: str) -> str:
    return str(json.loads(payload)["api_request_id"])


def payload_id_of_body(body: str) -> str:
    return str(json.loads(body)["requestPayload"]["api_request_id"])
