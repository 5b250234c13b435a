"""Every contract row of the README through Chalice's own test client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.async_api import contract
from chalicelib.square import arithmetic
from tests.support.events import api_event

CONTEXT_KEYS = list(contract.CONTEXT_KEYS)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def get(client: Client, path: str, **headers: str) -> tuple[int, dict[str, Any]]:
    response = client.http.get(path, headers=headers)
    assert response.headers["Content-Type"] == "application/json", response.headers
    body = json.loads(response.body, parse_float=Decimal)
    return response.status_code, body


@pytest.mark.parametrize(
    ("number", "square"),
    [
        ("2", 4),
        ("-3", 9),
        ("0.1", Decimal("0.01")),
        ("%2D3", 9),
        ("99999999999999999999", 10**40 - 2 * 10**20 + 1),
    ],
)
def test_sync_call_answers_200_with_the_square(client: Client, number: str, square: object) -> None:
    status, body = get(client, f"/square/{number}", **{"User-Agent": "pytest-agent"})
    assert status == 200, body
    assert list(body) == [*CONTEXT_KEYS, "synchronous_invocation", "square_of_your_number_is"]
    assert body["square_of_your_number_is"] == square
    assert body["synchronous_invocation"] == "true"
    assert body["api_stage"] == "dev"
    assert body["api_resource_path"] == "/square/{number}"
    assert body["http_method"] == "GET"
    assert body["source_ip"] == "127.0.0.1"
    assert body["user-agent"] == "pytest-agent"
    uuid.UUID(body["api_request_id"])


def test_exact_decimal_text_is_on_the_wire(client: Client) -> None:
    response = client.http.get("/square/0.1")
    assert b'"square_of_your_number_is": 0.01}' in response.body, response.body


@pytest.mark.parametrize("header", ["RequestResponse"])
@pytest.mark.parametrize("name", ["InvocationType", "invocationtype", "INVOCATIONTYPE"])
def test_request_response_header_is_sync_whatever_the_name_case(
    client: Client, name: str, header: str
) -> None:
    status, body = get(client, "/square/5", **{name: header})
    assert status == 200 and body["square_of_your_number_is"] == 25


@pytest.mark.parametrize("name", ["InvocationType", "invocationtype", "InvocationTYPE"])
def test_event_header_answers_202_at_once(client: Client, name: str) -> None:
    status, body = get(client, "/square/5", **{name: "Event"})
    assert status == 202, body
    assert list(body) == [*CONTEXT_KEYS, "asynchronous_invocation", "message"]
    assert body["asynchronous_invocation"] == "true"
    assert body["message"] == "Event received. Check queue/logs for status"


def test_every_request_gets_its_own_request_id(client: Client) -> None:
    ids = {get(client, "/square/1")[1]["api_request_id"] for _ in range(20)}
    ids |= {get(client, "/square/1", InvocationType="Event")[1]["api_request_id"] for _ in range(5)}
    assert len(ids) == 25


@pytest.mark.parametrize("value", ["Foo", "event", "EVENT", "DryRun", "", " Event", "Event, Event"])
def test_unknown_invocation_type_is_a_400_listing_the_accepted_values(
    client: Client, value: str
) -> None:
    status, body = get(client, "/square/5", InvocationType=value)
    assert status == 400, body
    assert body["error"] == "InvalidInvocationType"
    assert body["accepted"] == "RequestResponse or Event"
    assert "InvocationType" in body["message"]


@pytest.mark.parametrize(
    "number",
    [
        "abc",
        "%20",
        "%202",
        "2%20",
        "1e5",
        "NaN",
        "Infinity",
        "-inf",
        "0x10",
        "1_0",
        ".5",
        "5.",
        "%D9%A3",
        "%EF%BC%91",
        "%00",
        "%FF",
        "%",
        "%25",
        "1" * (arithmetic.MAX_NUMBER_LENGTH + 1),
        "%22%5C",
        "1.2.3",
        "--1",
        "+-1",
    ],
)
def test_bad_numbers_are_a_400_that_says_what_is_accepted(client: Client, number: str) -> None:
    status, body = get(client, f"/square/{number}")
    assert status == 400, body
    assert body["error"] == "InvalidNumber"
    assert body["accepted"] == arithmetic.ACCEPTED_NUMBERS
    assert body["message"]


def test_async_call_with_a_bad_number_is_still_accepted(client: Client) -> None:
    # As in the deployed stack: API Gateway cannot validate before invoking,
    # so the 400 body lands in the destination record instead.
    status, body = get(client, "/square/abc", InvocationType="Event")
    assert status == 202, body


def test_the_pure_function_answers_direct_invocations(client: Client) -> None:
    event = api_event(
        {"number": "12"},
        resource_path="/square/{number}",
        request_id="direct-1",
        source_ip="10.0.0.1",
        user_agent="lambda-invoke",
    )
    payload = client.lambda_.invoke("get_square_fn", dict(event)).payload
    assert payload == contract.sync_body(event, {"square_of_your_number_is": 144})


@pytest.mark.parametrize(
    "payload", [{}, {"number": 7}, {"number": "x"}, {"invocation_type": "Event"}]
)
def test_the_pure_function_answers_malformed_events_with_400_bodies(
    client: Client, payload: dict[str, Any]
) -> None:
    result = client.lambda_.invoke("get_square_fn", payload).payload
    assert next(iter(result)) == "error", result


def test_a_failing_function_is_a_502_not_a_500(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQUARE_FAULT_RATE", "1")
    status, body = get(client, "/square/3")
    assert status == 502, body
    assert body == contract.function_error_body(
        {"api_request_id": body["api_request_id"]}, "SimulatedFailure"
    )
    assert "SQUARE_FAULT_RATE" not in json.dumps(body), "what the function raised stays in its logs"


def test_a_502_never_reveals_what_the_function_raised(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A setting the function refuses at run time: its message names the variable and value.
    monkeypatch.setenv("SQUARE_WORK_SECONDS", "secret-value")
    status, body = get(client, "/square/3")
    assert status == 502, body
    assert body["error_type"] == "ValueError"
    assert "secret-value" not in json.dumps(body)
