"""The contract's pure pieces: invocation types, the event, and the bodies."""

from __future__ import annotations

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


def test_error_body_is_recognised_and_keeps_the_request_id() -> None:
    body = contract.error_body(EVENT, "InvalidMonth", "bad", "YYYY-MM")
    assert contract.is_error(body)
    assert body["api_request_id"] == "req-1"
    assert not contract.is_error(contract.sync_body(EVENT, {"lines": 3}))


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
