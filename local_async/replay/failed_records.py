"""Failed events' invocation records: what one says, which ones a run picks, the table it prints.

Pure code, no I/O. A message on an on-failure queue is the invocation record
Lambda sends to an asynchronous invocation's on-failure destination (the shape
``local_async.records`` builds, and AWS documents in "Capturing records of
Lambda asynchronous invocations",
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):

- ``requestContext.functionArn``: the function that failed,
  ``arn:<partition>:lambda:<region>:<account>:function:<name>:$LATEST``;
- ``requestContext.condition``: why it was given up, ``RetriesExhausted`` or
  ``EventAgeExceeded``;
- ``requestPayload``: the event, as the function received it;
- ``responsePayload``: the last attempt's error object (``errorType``,
  ``errorMessage``...), absent when the event aged out before any attempt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from chalicelib.async_api import json_codec
from local_async.records import EVENT_AGE_EXCEEDED, EXECUTED_VERSION, RETRIES_EXHAUSTED

#: The conditions of the records an on-failure destination receives.
FAILURE_CONDITIONS = (RETRIES_EXHAUSTED, EVENT_AGE_EXCEEDED)
#: A Lambda function ARN, qualified or not. Names are 1-64 letters, digits, - and _;
#: a qualifier is $LATEST, a version or an alias (Lambda's ``CreateFunction`` and
#: ``Invoke`` API references).
_FUNCTION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:"
    r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
#: The widest a cell of the table gets: a record's text is the sender's, of any length.
MAX_CELL = 64
#: The widest an outcome gets: its reason may quote an error message.
MAX_OUTCOME = 200
#: The table's columns, in order.
COLUMNS = ("api_request_id", "function", "condition", "error type", "outcome")
#: What the table shows for a value the record does not have.
NONE = "-"

Status = Literal["replayed", "would replay", "left"]


class UnreadableRecord(ValueError):
    """A message that is not a failed event's invocation record; the message says why."""


class FailedEvent(NamedTuple):
    """What a run needs of one failed event's invocation record."""

    #: The caller's id, from the event (``requestPayload.api_request_id``); None if absent.
    api_request_id: str | None
    #: The function's name, from ``requestContext.functionArn``.
    function_name: str
    #: The ARN's version or alias (``$LATEST`` in records of this project); None if unqualified.
    qualifier: str | None
    #: ``RetriesExhausted`` or ``EventAgeExceeded``.
    condition: str
    #: The last attempt's ``errorType``; None when no attempt ran or it named none.
    error_type: str | None
    #: The event as JSON text: the same value as ``requestPayload``, numbers digit for digit.
    payload: str


def read_record(body: str) -> FailedEvent:
    """Read a message body as a failed event's invocation record.

    Raises :class:`UnreadableRecord` saying what is wrong: not a JSON object,
    no function ARN, a condition that is not a failure, no event, an event
    holding ``NaN`` or ``Infinity`` (not JSON, so no invocation could carry it).
    """
    try:
        # Decimals keep every number's text: -0, 1.50, and integers past the
        # 4,300 digits CPython's int() accepts from text.
        record = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError) as problem:
        raise UnreadableRecord(f"not JSON ({problem})") from None
    if not isinstance(record, dict):
        raise UnreadableRecord("not a JSON object")
    context = record.get("requestContext")
    if not isinstance(context, dict):
        raise UnreadableRecord("no requestContext object")
    condition = context.get("condition")
    if condition not in FAILURE_CONDITIONS:
        raise UnreadableRecord(
            f"condition {_quoted(condition)} is not {' or '.join(FAILURE_CONDITIONS)}"
        )
    name, qualifier = function_of(context.get("functionArn"))
    if "requestPayload" not in record:
        raise UnreadableRecord("no requestPayload")
    event = record["requestPayload"]
    try:
        payload = json_codec.dumps(event)
    except (ValueError, RecursionError):
        raise UnreadableRecord("requestPayload holds NaN or Infinity, which JSON has not") from None
    response = record.get("responsePayload")
    return FailedEvent(
        api_request_id=_text(event.get("api_request_id")) if isinstance(event, dict) else None,
        function_name=name,
        qualifier=qualifier,
        condition=condition,
        error_type=_text(response.get("errorType")) if isinstance(response, dict) else None,
        payload=payload,
    )


def function_of(arn: object) -> tuple[str, str | None]:
    """The function name and qualifier (None if unqualified) of a Lambda function ARN.

    Raises :class:`UnreadableRecord` for anything else.
    """
    matched = _FUNCTION_ARN.fullmatch(arn) if isinstance(arn, str) else None
    if matched is None:
        raise UnreadableRecord(f"functionArn {_quoted(arn)} is not a Lambda function's ARN")
    return matched["name"], matched["qualifier"]


def invocation_name(function_name: str, qualifier: str | None) -> str:
    """What Lambda's Invoke takes as ``FunctionName`` for ``function_name`` with ``qualifier``.

    ``$LATEST`` is left out: Lambda runs ``$LATEST`` for an unqualified name
    ("When you invoke a function using an unqualified ARN, Lambda implicitly
    invokes $LATEST", Lambda developer guide, function versions), and IAM
    policies name functions unqualified. A version or alias is kept.
    """
    if qualifier is None or qualifier == EXECUTED_VERSION:
        return function_name
    return f"{function_name}:{qualifier}"


class Filters(NamedTuple):
    """Which records a run picks; an empty set picks any value of its field."""

    api_request_ids: frozenset[str] = frozenset()
    conditions: frozenset[str] = frozenset()
    #: Records without an error type (aged out before any attempt) match no error type.
    error_types: frozenset[str] = frozenset()

    def matches(self, event: FailedEvent) -> bool:
        """Whether ``event`` is one of the records to replay."""
        return (
            _picks(self.api_request_ids, event.api_request_id)
            and _picks(self.conditions, event.condition)
            and _picks(self.error_types, event.error_type)
        )


class Outcome(NamedTuple):
    """What became of one record: replayed, would be (a dry run), or left on its queue."""

    status: Status
    #: Why a record was left, in a few words; empty otherwise.
    reason: str = ""

    def __str__(self) -> str:
        """``status`` and, when there is one, ``: reason``."""
        return f"{self.status}: {self.reason}" if self.reason else self.status


REPLAYED = Outcome("replayed")
WOULD_REPLAY = Outcome("would replay")


def left(reason: str) -> Outcome:
    """A record that stays on its queue, and why."""
    return Outcome("left", reason)


class Row(NamedTuple):
    """One line of the table: one record the run picked, or could not read."""

    api_request_id: str
    function: str
    condition: str
    error_type: str
    outcome: Outcome


def row(event: FailedEvent, function: str, outcome: Outcome) -> Row:
    """The line of a record read as ``event`` and replayed (or not) to ``function``."""
    return Row(
        api_request_id=event.api_request_id or NONE,
        function=function,
        condition=event.condition,
        error_type=event.error_type or NONE,
        outcome=outcome,
    )


def unreadable_row(problem: UnreadableRecord) -> Row:
    """The line of a message that is not a failed event's record: it stays where it is."""
    return Row(NONE, NONE, NONE, NONE, left(f"unreadable: {problem}"))


def format_table(rows: Sequence[Row]) -> str:
    """The rows under a header, one line each, columns aligned (two spaces apart).

    Cells are made printable and cut to :data:`MAX_CELL` characters (an
    outcome to :data:`MAX_OUTCOME`): what a record says is the sender's text.
    Empty when there is no row.
    """
    if not rows:
        return ""
    lines = [list(COLUMNS)] + [_cells(each) for each in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(line, widths, strict=False)), line[-1]]
        ).rstrip()
        for line in lines
    )


def summary(rows: Sequence[Row], *, dry_run: bool) -> str:
    """One sentence: how many records, how many replayed (or would be), how many left."""
    count = len(rows)
    if not count:
        return "no failed event to replay"
    if dry_run:
        would = sum(1 for each in rows if each.outcome.status == "would replay")
        return (
            f"dry run: {_records(count)}, {would} would be replayed, "
            f"{count - would} could not be; nothing was invoked or deleted"
        )
    replayed = sum(1 for each in rows if each.outcome.status == "replayed")
    return f"{_records(count)}: {replayed} replayed, {count - replayed} left behind"


def anything_left(rows: Sequence[Row]) -> bool:
    """Whether a picked record stays on its queue for a reason other than a dry run."""
    return any(each.outcome.status == "left" for each in rows)


def _picks(chosen: frozenset[str], value: str | None) -> bool:
    return not chosen or value in chosen


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _quoted(value: object) -> str:
    return _cell(json.dumps(value) if isinstance(value, str) else repr(value), MAX_CELL)


def _cells(each: Row) -> list[str]:
    record = (each.api_request_id, each.function, each.condition, each.error_type)
    return [*(_cell(text, MAX_CELL) for text in record), _cell(str(each.outcome), MAX_OUTCOME)]


def _cell(text: str, width: int) -> str:
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= width else text[: width - 3] + "..."


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"
