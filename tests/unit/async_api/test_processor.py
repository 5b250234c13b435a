"""The generic Lambda handler: what any domain handler's function answers for any event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api import AsyncRequest, InvalidInput, Parameter, contract
from chalicelib.async_api.processor import process
from tests.support.events import api_event

NAMES = ("account", "month")
PARAMETERS = {"month": Parameter(accepted="a month as YYYY-MM")}


class Recorder:
    """A domain handler that records its requests and answers a fixed result."""

    def __init__(self, result: Any = None, failure: Exception | None = None) -> None:
        self.requests: list[AsyncRequest] = []
        self.result = {"lines": 3} if result is None else result
        self.failure = failure

    def __call__(self, request: AsyncRequest) -> Mapping[str, Any]:
        self.requests.append(request)
        if self.failure is not None:
            raise self.failure
        return self.result


def event(invocation_type: str = "RequestResponse", **path: Any) -> dict[str, Any]:
    built = api_event(
        {"account": "acme", "month": "2026-11"},
        resource_path="/reports/{account}/{month}",
        invocation_type=invocation_type,
        request_id="req-9",
    )
    return {**built, **path}


def run(handler: Recorder, payload: Any) -> dict[str, Any]:
    return process(handler, PARAMETERS, NAMES, payload, "the-context")


def test_a_sync_event_gets_the_sync_body_with_the_result() -> None:
    handler = Recorder()
    body = run(handler, event())
    assert body == contract.sync_body(event(), {"lines": 3})
    [request] = handler.requests
    assert request.path == {"account": "acme", "month": "2026-11"}
    assert request.invocation_type == "RequestResponse"
    assert request.context == "the-context"


def test_an_async_event_gets_the_async_result() -> None:
    body = run(Recorder(), event("Event"))
    assert body == contract.async_result(event("Event"), {"lines": 3})


def test_path_parameters_are_decoded_once_before_the_handler_sees_them() -> None:
    handler = Recorder()
    run(handler, event(account="a%2Fb%2525"))
    assert handler.requests[0].path["account"] == "a/b%25"


def test_invalid_input_is_a_400_body_not_an_exception() -> None:
    body = run(Recorder(failure=InvalidInput("InvalidMonth", "13 is no month", "1-12")), event())
    assert body == contract.error_body(event(), "InvalidMonth", "13 is no month", "1-12")


@pytest.mark.parametrize("value", ["DryRun", "event", "", 7])
def test_a_bad_invocation_type_is_a_400_before_the_handler(value: Any) -> None:
    handler = Recorder()
    body = run(handler, event(value))
    assert (
        body["error"] == "InvalidInvocationType" and body["accepted"] == "RequestResponse or Event"
    )
    assert handler.requests == []


@pytest.mark.parametrize(
    ("path", "error", "accepted"),
    [
        ({"month": "%FF"}, "InvalidMonth", "a month as YYYY-MM"),
        ({"month": 7}, "InvalidMonth", "a month as YYYY-MM"),
        ({"account": None}, "InvalidAccount", "the path segment as percent-encoded UTF-8 text"),
    ],
)
def test_undecodable_path_parameters_are_a_400_naming_the_parameter(
    path: dict[str, Any], error: str, accepted: str
) -> None:
    handler = Recorder()
    body = run(handler, event(**path))
    assert (body["error"], body["accepted"]) == (error, accepted)
    assert body["api_request_id"] == "req-9"
    assert handler.requests == []


def test_a_missing_path_parameter_is_a_400() -> None:
    payload = event()
    del payload["month"]
    assert run(Recorder(), payload)["error"] == "InvalidMonth"


@pytest.mark.parametrize("payload", [None, [], "text", 3])
def test_an_event_that_is_not_an_object_is_a_400(payload: Any) -> None:
    assert run(Recorder(), payload)["error"] == "InvalidEvent"


def test_other_failures_propagate_for_lambda_to_report() -> None:
    with pytest.raises(ZeroDivisionError):
        run(Recorder(failure=ZeroDivisionError("boom")), event())


@pytest.mark.parametrize("result", [[1, 2], "text", {"message": "mine"}, {"api_stage": "x"}])
def test_a_result_that_is_not_new_keys_is_the_functions_bug(result: Any) -> None:
    with pytest.raises(TypeError):
        run(Recorder(result=result), event())


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=6))
def test_any_event_gets_a_body_or_a_400_never_an_exception(extra: dict[str, str]) -> None:
    body = run(Recorder(), {**event(), **extra})
    assert "error" in body or body["synchronous_invocation"] == "true"
