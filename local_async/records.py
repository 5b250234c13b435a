"""AWS's invocation records and Lambda's error objects, built as plain dicts.

Pure code: the timestamp, ids and ARN are passed in. The shapes follow what
Lambda sends to an asynchronous invocation's destinations (key order
included) and what its Python runtime reports for a failed invocation.
Serialise the results with :func:`chalicelib.async_api.json_codec.dumps` only, so exact
decimals in a function's result are written as the runtime writes them.
"""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.async_api import logs

SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"
RECORD_VERSION = "1.0"
EXECUTED_VERSION = "$LATEST"

Record = dict[str, Any]
LambdaError = dict[str, Any]

# The runner's own frames are left out of stack traces, as the Lambda runtime
# leaves out its bootstrap: the trace starts where the function's code does.
_ENGINE_DIR = str(Path(__file__).resolve().parent) + os.sep


def format_timestamp(epoch_seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, as in Lambda's records."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def success_record(
    *,
    timestamp: float,
    request_id: str,
    function_arn: str,
    invoke_count: int,
    event: Any,
    result: Any,
) -> Record:
    """The on-success record: condition ``Success``, the function's result."""
    return {
        "version": RECORD_VERSION,
        "timestamp": format_timestamp(timestamp),
        "requestContext": _request_context(request_id, function_arn, SUCCESS, invoke_count),
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": EXECUTED_VERSION},
        "responsePayload": result,
    }


def failure_record(
    *,
    timestamp: float,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    event: Any,
    error: LambdaError | None,
) -> Record:
    """The on-failure record, with the last attempt's error when there was one.

    ``error`` is ``None`` only for an event that aged out before any attempt:
    nothing ran, so the record has no response.
    """
    if condition not in (RETRIES_EXHAUSTED, EVENT_AGE_EXCEEDED):
        raise ValueError(f"{condition!r} is not a failure condition")
    record: Record = {
        "version": RECORD_VERSION,
        "timestamp": format_timestamp(timestamp),
        "requestContext": _request_context(request_id, function_arn, condition, invoke_count),
        "requestPayload": event,
    }
    if error is not None:
        record["responseContext"] = {
            "statusCode": 200,
            "executedVersion": EXECUTED_VERSION,
            "functionError": "Unhandled",
        }
        record["responsePayload"] = error
    return record


def exception_error(failure: BaseException, request_id: str) -> LambdaError:
    """Lambda's error object for an exception the function raised."""
    frames = [
        frame
        for frame in traceback.extract_tb(failure.__traceback__)
        if not frame.filename.startswith(_ENGINE_DIR)
    ]
    return {
        "errorMessage": logs.message_of(failure),
        "errorType": type(failure).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def timeout_error(request_id: str, timeout_seconds: float) -> LambdaError:
    """Lambda's error object for a function that ran past its timeout."""
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": (
            f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds"
        ),
    }


def marshal_error(request_id: str, problem: Exception) -> LambdaError:
    """Lambda's error object for a result that cannot be written as JSON."""
    return {
        "errorMessage": f"Unable to marshal response: {problem}",
        "errorType": "Runtime.MarshalError",
        "requestId": request_id,
        "stackTrace": [],
    }


def _request_context(
    request_id: str, function_arn: str, condition: str, invoke_count: int
) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "functionArn": function_arn,
        "condition": condition,
        "approximateInvokeCount": invoke_count,
    }
