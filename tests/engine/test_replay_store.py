"""``python -m local_async.replay`` on the embedded store: records become events in one step.

Each record is replaced by its event in one SQLite transaction: neither lost nor run twice.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pytest

from chalicelib.async_api import AsyncApi
from chalicelib.async_api.declaration import AsyncFunction
from local_async.replay import cli
from local_async.replay.adapters import StoreQueue
from local_async.replay.failed_records import read_record
from local_async.replay.run import Target
from local_async.store import Store
from tests.engine.helpers import DEST, DLQ, SQUARE, put_record
from tests.support.events import api_event
from tests.support.replay import LOCAL_ARN, failure_body, square_event, table_rows

NOW = 1_700_000_000.0


def failures(store: Store, count: int, **options: Any) -> list[str]:
    """``count`` failure records on the DLQ; their api_request_ids."""
    ids = [f"id-{n}" for n in range(count)]
    for number, api_request_id in enumerate(ids):
        body = failure_body(square_event(api_request_id, str(number)), **options)
        put_record(store, DLQ, body, now=NOW)
    return ids


def replay(
    store: Store, *args: str, functions: Sequence[AsyncFunction] = (SQUARE,)
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(
        list(args),
        env={"ASYNC_STATE_DIR": str(store.path.parent)},
        out=out,
        err=err,
        clock=lambda: NOW + 1,
        functions=functions,
    )
    return status, out.getvalue(), err.getvalue()


def events(store: Store) -> dict[str, Any]:
    """The pending events, by api_request_id (leased, so read once)."""
    found: dict[str, Any] = {}
    while (
        claim := store.claim_event("test", f"t{len(found)}", NOW + 2, [SQUARE.name])
    ) is not None:
        found[json.loads(claim.payload)["api_request_id"]] = json.loads(claim.payload)
    return found


def on_queue(store: Store, queue: str) -> list[str]:
    return [m.body for m in store.receive(queue, limit=10, now=NOW + 10_000, visibility_timeout=0)]


def test_each_record_becomes_an_event_of_its_function_and_leaves_the_queue(store: Store) -> None:
    ids = failures(store, 3)
    put_record(store, DEST, '{"a success": "stays"}', now=NOW)
    status, out, err = replay(store)
    assert status == 0, err
    rows = table_rows(out)
    assert list(rows) == ids
    assert {tuple(row[1:]) for row in rows.values()} == {
        ("get_square_fn", "RetriesExhausted", "SimulatedFailure", "replayed")
    }
    assert out.splitlines()[-1] == "3 records: 3 replayed, 0 left behind"
    assert "run in the server `make run` started, or in the next one" in err
    assert events(store) == {i: square_event(i, str(n)) for n, i in enumerate(ids)}
    assert on_queue(store, DLQ) == []
    assert on_queue(store, DEST) == ['{"a success": "stays"}']


def test_each_declared_function_s_records_go_back_to_that_function(
    store: Store, fixture_app: ModuleType
) -> None:
    functions = AsyncApi.of(fixture_app.app).functions
    (reports,) = (function for function in functions if function.name == "build_report_fn")
    report = api_event(
        {"account": "acme", "month": "2026-10"},
        resource_path=reports.route,
        invocation_type="Event",
        request_id="the-report",
    )
    arn = LOCAL_ARN.replace(SQUARE.name, reports.name)
    put_record(store, reports.on_failure_queue, failure_body(report, function_arn=arn), now=NOW)
    failures(store, 1)
    status, out, _ = replay(store, "--function", reports.name, functions=functions)
    assert (status, {i: row[1] for i, row in table_rows(out).items()}) == (
        0,
        {"the-report": reports.name},
    )
    status, out, _ = replay(store, functions=functions)
    assert (status, {i: row[1] for i, row in table_rows(out).items()}) == (0, {"id-0": SQUARE.name})
    assert store.pending_by_function() == {reports.name: 1, SQUARE.name: 1}


def test_a_dry_run_changes_nothing(store: Store) -> None:
    failures(store, 2)
    status, out, _ = replay(store, "--dry-run")
    assert status == 0
    assert {row[-1] for row in table_rows(out).values()} == {"would replay"}
    assert events(store) == {}
    assert len(on_queue(store, DLQ)) == 2, "visible again at once"


def test_filters_and_the_maximum_pick_the_records(store: Store) -> None:
    failures(store, 3)
    put_record(
        store,
        DLQ,
        failure_body(square_event("aged", "9"), condition="EventAgeExceeded", error_type=None),
        now=NOW,
    )
    status, out, err = replay(store, "--condition", "EventAgeExceeded")
    assert (status, list(table_rows(out))) == (0, ["aged"])
    assert "3 other record(s) of async_get_square_fn_dlq did not match the filters" in err
    status, out, _ = replay(store, "--api-request-id", "id-2", "--api-request-id", "id-0")
    assert (status, sorted(table_rows(out))) == (0, ["id-0", "id-2"])
    status, out, _ = replay(store, "--error-type", "SimulatedFailure", "--max-records", "5")
    assert (status, list(table_rows(out))) == (0, ["id-1"])
    assert set(events(store)) == {"aged", "id-0", "id-1", "id-2"}


def test_a_record_of_a_function_not_declared_here_stays_and_fails_the_run(store: Store) -> None:
    other_stage = LOCAL_ARN.replace("-dev-", "-prod-")
    put_record(store, DLQ, failure_body(square_event("x"), function_arn=other_stage), now=NOW)
    status, out, _ = replay(store)
    assert status == cli.EXIT_LEFT
    assert table_rows(out)["x"][-1] == (
        "left: names serverless-async-lambda-api-prod-get_square_fn, "
        "not a function app.py declares (stage dev)"
    )
    assert out.splitlines()[-1] == "1 record: 0 replayed, 1 left behind"
    assert events(store) == {} and len(on_queue(store, DLQ)) == 1


def test_an_empty_queue_has_nothing_to_replay(store: Store) -> None:
    assert replay(store) == (0, "no failed event to replay\n", "")


def test_the_record_and_the_event_change_in_one_transaction(store: Store) -> None:
    failures(store, 1)

    def replace(receipt_handle: str, request_id: str) -> bool:
        return store.replace_by_event(
            DLQ,
            receipt_handle,
            function=SQUARE.name,
            request_id=request_id,
            payload="{}",
            accepted_at=NOW,
        )

    [message] = store.receive(DLQ, limit=1, now=NOW, visibility_timeout=30)
    store.add_event(SQUARE.name, "taken", "{}", NOW)
    with pytest.raises(sqlite3.IntegrityError):  # the event cannot be added...
        replace(message.receipt_handle, "taken")
    [again] = store.receive(DLQ, limit=1, now=NOW + 31, visibility_timeout=30)
    assert again.message_id == message.message_id, "...so the record is not deleted either"
    assert replace(again.receipt_handle, "new")
    assert on_queue(store, DLQ) == []
    assert store.pending_events() == 2


def test_a_record_received_again_by_another_reader_is_not_replayed_twice(store: Store) -> None:
    failures(store, 1)
    queue = StoreQueue(store, DLQ, visibility_timeout=30, clock=lambda: NOW)
    [message] = queue.receive(1)
    # The visibility timeout ran out and another reader received it: a new handle.
    store.receive(DLQ, limit=1, now=NOW + 31, visibility_timeout=30)
    event = read_record(message.body)
    outcome = queue.hand_over(message, event, Target(SQUARE.name, SQUARE.name))
    assert str(outcome) == (
        "left: not replayed: received again by another reader, or deleted, since"
    )
    assert store.pending_events() == 0


def test_options_that_do_not_go_together_are_refused(store: Store) -> None:
    with pytest.raises(SystemExit) as refused:
        replay(store, "--stack-name", "mine")
    assert refused.value.code == cli.EXIT_USAGE
    status, _, err = replay(store, "--from", "sqs")
    assert status == cli.EXIT_USAGE
    assert err == "error: --from sqs reads the queues of AWS_ENDPOINT_URL_SQS: set it\n"
