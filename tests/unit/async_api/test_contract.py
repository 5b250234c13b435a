"""The contract's pure pieces: invocation types, the event, and the bodies."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api import contract
from tests.support.events import api_event

EVENT = api_event(
    {"account": "acme", "month": "2026-11"},
    resource_path="/reports/{account}/{month}",
    invocation_type="Event",
    user_agent=None,
)


def test_absent_header_means_request_response() -> None:
    assert contract.invocation_type_from_header(None) == "RequestResponse"


@pytest.mark.parametrize("value", ["RequestResponse", "Event"])
def test_lambda_spellings_are_accepted(value: str) -> None:
    assert contract.invocation_type_from_header(value) == value


@given(st.text(max_size=80).filter(lambda v: v not in contract.ACCEPTED_INVOCATION_TYPES))
def test_every_other_value_is_refused_with_a_short_message(value: str) -> None:
    with pytest.raises(contract.InvalidInvocationType) as refusal:
        contract.invocation_type_from_header(value)
    assert "InvocationType" in str(refusal.value)
    assert len(str(refusal.value)) < 120, "the message must not echo a huge header"


@pytest.mark.parametrize("value", ["event", "EVENT", "requestresponse", "DryRun", "", " Event"])
def test_values_are_case_sensitive_as_on_lambda(value: str) -> None:
    with pytest.raises(contract.InvalidInvocationType):
        contract.invocation_type_from_header(value)


def test_event_has_the_path_parameters_in_order_then_the_type_and_the_context() -> None:
    assert list(EVENT) == ["account", "month", "invocation_type", *contract.CONTEXT_KEYS]
    assert EVENT["api_resource_path"] == "/reports/{account}/{month}"
    assert EVENT["user-agent"] == "", "a missing user agent is an empty string, never null"


def test_sync_body_is_the_context_the_flag_and_the_result_in_order() -> None:
    body = contract.sync_body(EVENT, {"lines": 3, "total": 4})
    assert list(body) == [*contract.CONTEXT_KEYS, "synchronous_invocation", "lines", "total"]
    assert body["synchronous_invocation"] == "true"


def test_async_result_is_the_context_the_flag_and_the_result_in_order() -> None:
    body = contract.async_result(EVENT, {"lines": 3})
    assert list(body) == [*contract.CONTEXT_KEYS, "asynchronous_invocation", "lines"]


def test_accepted_body_matches_the_contract_in_order() -> None:
    body = contract.accepted_body(EVENT)
    assert list(body) == [*contract.CONTEXT_KEYS, "asynchronous_invocation", "message"]
    assert body["message"] == "Event received. Check queue/logs for status"


def test_error_body_keeps_the_request_id() -> None:
    body = contract.error_body(EVENT, "InvalidMonth", "bad", "YYYY-MM")
    assert list(body) == ["error", "message", "accepted", "api_request_id"]
    assert body["api_request_id"] == "req-1"


def lambda_text(value: object) -> str:
    """A payload as the Lambda Python runtime writes it (json.dumps' separators)."""
    return json.dumps(value)


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        (lambda_text(contract.sync_body(EVENT, {"lines": 3})), (200, None)),
        (lambda_text(contract.error_body(EVENT, "InvalidMonth", "bad", "YYYY-MM")), (400, None)),
        ('{"api_stage": "api", "n": ' + "9" * 5000 + "}", (200, None)),
        ('\n\t {\r "api_stage": "x"}', (200, None)),
        (
            lambda_text({"errorMessage": "2026-11-30 timed out", "errorType": "Sandbox.Timedout"}),
            (502, "Sandbox.Timedout"),
        ),
        (
            lambda_text({"errorMessage": "x", "errorType": "Runtime.MarshalError"}),
            (502, "Runtime.MarshalError"),
        ),
        ('{"errorMessage": "no type"}', (502, "")),
        ('{"errorType": 7}', (502, "")),
        ("", (502, "")),
        ("{}", (502, "")),
        ("null", (502, "")),
        ('{"errorType": "X", "n": ' + "9" * 5000 + "}", (502, "")),
    ],
)
def test_a_payload_is_told_apart_as_the_stack_s_response_template_does(
    payload: str, answer: tuple[int, str | None]
) -> None:
    assert contract.sync_answer(payload) == answer


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4))
def test_every_result_body_is_a_200_and_every_error_body_a_400(result: dict[str, object]) -> None:
    assert contract.sync_answer(lambda_text(contract.sync_body(EVENT, result))).status == 200
    error = contract.error_body(EVENT, "Bad", "bad", "good")
    assert contract.sync_answer(lambda_text(error)).status == 400


@given(st.text(max_size=40))
def test_a_function_error_is_a_502_with_its_error_type(error_type: str) -> None:
    payload = lambda_text({"errorMessage": "m", "errorType": error_type, "stackTrace": []})
    assert contract.sync_answer(payload) == (502, error_type)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("2", "2"),
        ("%2D3", "-3"),
        ("%2B12.50", "+12.50"),
        ("1%2e5", "1.5"),
        ("%25", "%"),
        ("+1", "+1"),
    ],
)
def test_a_path_segment_is_percent_decoded_once(raw: str, text: str) -> None:
    assert contract.decode_path_parameter(raw) == text


def test_invalid_utf8_is_refused_quoting_what_the_client_sent() -> None:
    with pytest.raises(contract.InvalidPathParameter, match=r"'%FF'.*not UTF-8"):
        contract.decode_path_parameter("%FF")


@given(st.text())
def test_quoted_text_is_ascii_and_short(text: str) -> None:
    shown = contract.quoted(text)
    assert shown.isascii() and len(shown) <= 43


def template_rule(payload: str) -> tuple[int, str | None]:
    """response.vtl's rule read literally: strip Java's \\s, then the brace, then \\s again."""
    text = re.sub(r"^[ \t\n\x0b\f\r]+", "", payload)
    first_key = re.sub(r"^[ \t\n\x0b\f\r]+", "", text[1:]) if text.startswith("{") else ""
    if first_key.startswith('"api_stage"'):
        return 200, None
    if first_key.startswith('"error"'):
        return 400, None
    error_type = ""
    if text and not first_key.startswith("}"):
        try:
            error = json.loads(text)
        except ValueError:
            error = None
        if isinstance(error, dict) and isinstance(error.get("errorType"), str):
            error_type = error["errorType"]
    return 502, error_type


PIECES = [" ", "\t", "\n", "\x0b", "\f", "\r", "{", "}", '"api_stage"', '"error"', '"errorType"']
PIECES += [": ", ", ", '"X"', "1", '"errorMessage"']


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_the_payload_is_read_where_its_first_key_stands_as_the_template_reads_it(
    payload: str,
) -> None:
    assert contract.sync_answer(payload) == template_rule(payload)
