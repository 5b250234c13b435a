"""Invocation records and Lambda error objects: exact shapes, built without I/O."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api import json_codec
from local_async import records

ARN = "arn:aws:lambda:us-east-1:123456789012:function:app-dev-fn:$LATEST"
EVENT = {"number": "0.1", "api_request_id": "api-1"}


def test_timestamps_are_iso_8601_utc_with_milliseconds_and_z() -> None:
    assert records.format_timestamp(1573755365.568) == "2019-11-14T18:16:05.568Z"
    assert records.format_timestamp(0) == "1970-01-01T00:00:00.000Z"


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_every_timestamp_has_the_same_shape(epoch: float) -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", records.format_timestamp(epoch))


def test_a_success_record_is_aws_s_record_field_for_field() -> None:
    record = records.success_record(
        timestamp=1573755365.568,
        request_id="req-1",
        function_arn=ARN,
        invoke_count=1,
        event=EVENT,
        result={"square_of_your_number_is": Decimal("0.01")},
    )
    assert list(record) == [
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    ]
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {
            "requestId": "req-1",
            "functionArn": ARN,
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": EVENT,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"square_of_your_number_is": Decimal("0.01")},
    }
    # Exact decimals, as the Lambda runtime writes them.
    assert '"square_of_your_number_is": 0.01}' in json_codec.dumps(record)


def test_a_retries_exhausted_record_carries_the_error_and_unhandled() -> None:
    error = {"errorMessage": "boom", "errorType": "RuntimeError", "requestId": "req-1"}
    record = records.failure_record(
        timestamp=0,
        request_id="req-1",
        function_arn=ARN,
        condition=records.RETRIES_EXHAUSTED,
        invoke_count=3,
        event=EVENT,
        error=error,
    )
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"] == error


def test_an_event_that_aged_out_before_any_attempt_has_no_response() -> None:
    record = records.failure_record(
        timestamp=0,
        request_id="req-1",
        function_arn=ARN,
        condition=records.EVENT_AGE_EXCEEDED,
        invoke_count=0,
        event=EVENT,
        error=None,
    )
    assert list(record) == ["version", "timestamp", "requestContext", "requestPayload"]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0


def test_success_is_not_a_failure_condition() -> None:
    with pytest.raises(ValueError, match="not a failure condition"):
        records.failure_record(
            timestamp=0,
            request_id="r",
            function_arn=ARN,
            condition=records.SUCCESS,
            invoke_count=1,
            event=EVENT,
            error=None,
        )


def _raise_value_error() -> None:
    raise ValueError("bad value")


def test_an_exception_becomes_lambda_s_error_object() -> None:
    try:
        _raise_value_error()
    except ValueError as failure:
        error = records.exception_error(failure, "req-1")
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorMessage"] == "bad value"
    assert error["errorType"] == "ValueError"
    assert error["requestId"] == "req-1"
    assert all(isinstance(line, str) for line in error["stackTrace"])
    assert 'in _raise_value_error\n    raise ValueError("bad value")' in error["stackTrace"][-1]
    assert all("local_async" not in line for line in error["stackTrace"])
    json.dumps(error)


def test_a_timeout_reads_like_lambda_s() -> None:
    assert records.timeout_error("req-1", 3) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: req-1 Error: Task timed out after 3.00 seconds",
    }


def test_an_unserialisable_result_is_a_marshal_error() -> None:
    error = records.marshal_error("req-1", TypeError("Object of type set is not JSON serializable"))
    assert error == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": "req-1",
        "stackTrace": [],
    }
