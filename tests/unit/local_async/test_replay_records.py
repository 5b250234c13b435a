"""Failed events' records read, picked and reported: ``local_async.replay.failed_records``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api import json_codec
from local_async import records
from local_async.replay.failed_records import (
    COLUMNS,
    FAILURE_CONDITIONS,
    MAX_CELL,
    MAX_OUTCOME,
    REPLAYED,
    WOULD_REPLAY,
    FailedEvent,
    Filters,
    Row,
    UnreadableRecord,
    anything_left,
    format_table,
    function_of,
    invocation_name,
    left,
    read_record,
    summary,
)
from tests.support.replay import LOCAL_ARN, failure_body, square_event

FUNCTION_NAMES = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
    min_size=1,
    max_size=64,
)
QUALIFIERS = st.one_of(
    st.none(), st.just("$LATEST"), st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
)
#: Any JSON value an event can be, with exact decimals (no floats: the record is read
#: with decimals, which keep every digit).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def arn(name: str, qualifier: str | None) -> str:
    suffix = "" if qualifier is None else f":{qualifier}"
    return f"arn:aws:lambda:eu-west-1:123456789012:function:{name}{suffix}"


@given(
    event=JSON_VALUES,
    name=FUNCTION_NAMES,
    qualifier=QUALIFIERS,
    condition=st.sampled_from(FAILURE_CONDITIONS),
    error_type=st.none() | st.text(min_size=1, max_size=30),
)
def test_a_failure_record_reads_back_what_it_was_built_from(
    event: Any, name: str, qualifier: str | None, condition: str, error_type: str | None
) -> None:
    body = failure_body(
        event, function_arn=arn(name, qualifier), condition=condition, error_type=error_type
    )
    read = read_record(body)
    assert read.function_name == name
    assert read.qualifier == qualifier
    assert read.condition == condition
    assert read.error_type == error_type
    assert read.payload == json_codec.dumps(event), "the event comes back digit for digit"
    expected_id = event.get("api_request_id") if isinstance(event, dict) else None
    assert read.api_request_id == (expected_id if isinstance(expected_id, str) else None)


def test_the_engine_s_records_give_their_caller_s_id_and_the_error_type() -> None:
    try:
        raise TimeoutError("the database did not answer")
    except TimeoutError as failure:
        error = records.exception_error(failure, "lambda-request-id")
    body = json_codec.dumps(
        records.failure_record(
            timestamp=0.0,
            request_id="lambda-request-id",
            function_arn=LOCAL_ARN,
            condition=records.RETRIES_EXHAUSTED,
            invoke_count=3,
            event=square_event("the-202-s-id", "12.50"),
            error=error,
        )
    )
    assert read_record(body) == FailedEvent(
        api_request_id="the-202-s-id",
        function_name="serverless-async-lambda-api-dev-get_square_fn",
        qualifier="$LATEST",
        condition="RetriesExhausted",
        error_type="TimeoutError",
        payload=json_codec.dumps(square_event("the-202-s-id", "12.50")),
    )


def test_an_event_aged_out_before_any_attempt_has_no_error_type() -> None:
    body = failure_body(square_event("x"), condition="EventAgeExceeded", error_type=None)
    assert "responsePayload" not in json.loads(body)
    assert read_record(body).error_type is None


def test_numbers_keep_their_text() -> None:
    payload = '{"amount": 12.500, "tiny": 1E-8, "zero": -0, "big": ' + "7" * 5000 + "}"
    body = failure_body({"placeholder": 0}).replace('{"placeholder": 0}', payload)
    assert read_record(body).payload == payload


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"requestPayload": {}}', "no requestContext"),
        (failure_body({}).replace("RetriesExhausted", "Success"), '"Success" is not'),
        (failure_body({}).replace(LOCAL_ARN, "my-function"), '"my-function" is not a Lambda'),
        (failure_body({}).replace('"requestPayload"', '"request"'), "no requestPayload"),
        (failure_body({}).replace('"requestPayload": {}', '"requestPayload": NaN'), "NaN"),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
    ],
)
def test_what_is_not_a_failed_event_s_record_is_refused_saying_why(body: str, says: str) -> None:
    with pytest.raises(UnreadableRecord, match=says.replace("(", r"\(")):
        read_record(body)


@given(st.one_of(st.text(), JSON_VALUES.map(json_codec.dumps), st.binary().map(repr)))
def test_any_text_is_read_or_refused_as_unreadable(body: str) -> None:
    try:
        read_record(body)
    except UnreadableRecord as problem:
        assert str(problem)


@given(name=FUNCTION_NAMES, qualifier=QUALIFIERS)
def test_a_function_arn_gives_its_name_and_qualifier(name: str, qualifier: str | None) -> None:
    assert function_of(arn(name, qualifier)) == (name, qualifier)
    assert function_of(arn(name, qualifier).replace(":aws:", ":aws-cn:")) == (name, qualifier)


@pytest.mark.parametrize(
    "not_an_arn",
    [
        None,
        42,
        "",
        "get_square_fn",
        "arn:aws:sqs:us-east-1:123456789012:queue",
        "arn:aws:lambda:us-east-1:123456789012:function:",
        "arn:aws:lambda:us-east-1:1234:function:fn",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST:extra",
        "arn:aws:lambda:us-east-1:123456789012:function:" + "f" * 65,
        "arn:aws:lambda:us-east-1:123456789012:function:fn/../other",
    ],
)
def test_anything_else_is_not_a_function_arn(not_an_arn: object) -> None:
    with pytest.raises(UnreadableRecord, match="is not a Lambda function's ARN"):
        function_of(not_an_arn)


@given(name=FUNCTION_NAMES, qualifier=QUALIFIERS)
def test_latest_is_invoked_unqualified_and_a_version_or_alias_as_it_is(
    name: str, qualifier: str | None
) -> None:
    invoked = invocation_name(name, qualifier)
    if qualifier in (None, "$LATEST"):
        assert invoked == name
    else:
        assert invoked == f"{name}:{qualifier}"


EVENTS = st.builds(
    FailedEvent,
    api_request_id=st.none() | st.sampled_from(["a", "b", "c"]),
    function_name=st.just("fn"),
    qualifier=st.just("$LATEST"),
    condition=st.sampled_from(FAILURE_CONDITIONS),
    error_type=st.none() | st.sampled_from(["ValueError", "Sandbox.Timedout"]),
    payload=st.just("{}"),
)
CHOICES = st.frozensets(st.sampled_from(["a", "b", "c", "ValueError", "Sandbox.Timedout"]))


@given(
    event=EVENTS,
    ids=CHOICES,
    conditions=st.frozensets(st.sampled_from(FAILURE_CONDITIONS)),
    error_types=CHOICES,
)
def test_filters_pick_a_record_when_every_field_given_holds_its_value(
    event: FailedEvent,
    ids: frozenset[str],
    conditions: frozenset[str],
    error_types: frozenset[str],
) -> None:
    picked = Filters(ids, conditions, error_types).matches(event)
    assert picked == (
        (not ids or event.api_request_id in ids)
        and (not conditions or event.condition in conditions)
        and (not error_types or event.error_type in error_types)
    )
    assert Filters().matches(event), "no filter picks every record"


CELLS = st.text(max_size=120)
ROWS = st.builds(
    Row,
    api_request_id=CELLS,
    function=CELLS,
    condition=CELLS,
    error_type=CELLS,
    outcome=st.one_of(st.just(REPLAYED), st.just(WOULD_REPLAY), st.text(max_size=300).map(left)),
)


@given(st.lists(ROWS, min_size=1, max_size=6))
def test_the_table_is_a_line_a_row_under_its_header_columns_aligned(rows: list[Row]) -> None:
    lines = format_table(rows).split("\n")
    assert len(lines) == 1 + len(rows)
    header = lines[0]
    assert header.split() == ["api_request_id", "function", "condition", "error", "type", "outcome"]
    outcome_at = header.index("outcome")
    for line, each in zip(lines[1:], rows, strict=True):
        assert line.isprintable(), line
        assert len(line) <= outcome_at + MAX_OUTCOME
        cells = line[: outcome_at - 2].split("  ")
        assert len(cells[0].rstrip()) <= MAX_CELL
        assert line[outcome_at - 2 : outcome_at] == "  "
        outcome = str(each.outcome)
        if outcome.isprintable() and len(outcome) <= MAX_OUTCOME:
            assert line[outcome_at:] == outcome.rstrip()


def test_the_table_of_no_row_is_empty_and_the_summary_says_so() -> None:
    assert format_table([]) == ""
    assert summary([], dry_run=False) == "no failed event to replay"
    assert not anything_left([])


def row_of(outcome: Any) -> Row:
    return Row("id", "fn", "RetriesExhausted", "ValueError", outcome)


def test_the_summary_counts_what_was_replayed_and_what_was_left() -> None:
    rows = [row_of(REPLAYED), row_of(REPLAYED), row_of(left("not accepted: 500"))]
    assert summary(rows, dry_run=False) == "3 records: 2 replayed, 1 left behind"
    assert anything_left(rows)
    assert not anything_left(rows[:2])


def test_a_dry_run_is_no_failure_unless_a_record_could_not_be_replayed() -> None:
    rows = [row_of(WOULD_REPLAY)]
    assert summary(rows, dry_run=True) == (
        "dry run: 1 record, 1 would be replayed, 0 could not be; nothing was invoked or deleted"
    )
    assert not anything_left(rows)
    assert anything_left([*rows, row_of(left("unreadable: not JSON"))])


def test_the_outcome_reads_as_its_status_and_reason() -> None:
    assert str(REPLAYED) == "replayed"
    assert str(left("not accepted: TooManyRequestsException")) == (
        "left: not accepted: TooManyRequestsException"
    )
    assert COLUMNS[-1] == "outcome"
