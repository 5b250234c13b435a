"""Parity: API Gateway's mapping templates answer exactly what the Chalice route answers.

For each request, the route answers through ``chalice.test.Client`` while a probe
records the event it builds. The same request then goes through the deployed
path, offline: the stack's request template for the route (taken from the
synthesized template) renders the event Lambda would receive, the override it
sets picks the invocation type, the function runs on the rendered event as
Lambda would run it, the integration response is selected as API Gateway
selects it, and the response template renders the status and body. The
route's fresh request id, stage and source ip are injected as ``$context`` so
both sides can be compared key for key.

The example's route is checked against this project's stack; both routes of
the fixture project (the example and a second function with two parameters)
against the fixture's stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from chalice.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

import app as app_module
from chalicelib.async_api import AsyncFunction, contract, json_codec
from chalicelib.async_api import api as api_module
from chalicelib.async_api.processor import process
from tests.infra.conftest import Synthesized
from tests.infra.vtl import RequestContext, render_request, render_response
from tests.support.declared import SQUARE

JSON = "application/json"
LAMBDA_REQUEST_ID = "5f1f5e1e-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Call:
    """One client request: the text of each path parameter, headers, query string.

    Each value is the text the client means, percent-encoded into the path; with
    ``encoded`` it is the path segment exactly as the client sends it.
    """

    segments: Mapping[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""
    encoded: bool = False
    function: AsyncFunction = SQUARE

    @classmethod
    def square(cls, number: str, headers: dict[str, str] | None = None, **options: Any) -> Call:
        return cls({"number": number}, headers or {}, **options)

    @property
    def raw(self) -> dict[str, str]:
        """Each path segment as sent: what API Gateway passes on, still encoded."""
        return {
            name: value if self.encoded else quote(value, safe="")
            for name, value in self.segments.items()
        }

    @property
    def path(self) -> str:
        path = self.function.route
        for name, segment in self.raw.items():
            path = path.replace("{" + name + "}", segment)
        return path + (f"?{self.query}" if self.query else "")

    @property
    def user_agent(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "user-agent"), None)


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    #: Whether API Gateway's response template parsed the payload ($input.path).
    parsed_body: bool = False

    def json(self) -> Any:
        return json.loads(self.text, object_pairs_hook=list)


class RouteProbe:
    """Records each event the route hands to a function, run now or accepted for later."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def process(self, *arguments: Any) -> contract.Body:
        *_, event, _context = arguments
        self.events.append(dict(event))
        return process(*arguments)

    def submit(self, function_name: str, event: Mapping[str, Any]) -> None:
        self.events.append(dict(event))

    def start(self) -> None:
        """Nothing to resume."""


@dataclass
class Target:
    """An app and its synthesized stack: what parity compares."""

    module: ModuleType
    client: Client
    synthesized: Synthesized


@pytest.fixture(scope="module")
def square_target(synthesized: Synthesized) -> Iterator[Target]:
    with Client(app_module.app) as client:
        yield Target(app_module, client, synthesized)


@pytest.fixture(scope="module")
def fixture_target(fixture_synthesized: Synthesized, fixture_app: ModuleType) -> Iterator[Target]:
    with Client(fixture_app.app) as client:
        yield Target(fixture_app, client, fixture_synthesized)


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[RouteProbe]:
    recorder = RouteProbe()
    # A spy on the processor: every event a function runs on, whatever the answer.
    monkeypatch.setattr(api_module, "process", recorder.process)
    yield recorder


def route(target: Target, probe: RouteProbe, call: Call) -> tuple[Answer, dict[str, Any]]:
    """The Chalice route's answer and the event it built."""
    with target.module.api.invoker_replaced_by(probe):
        response = target.client.http.get(call.path, headers=call.headers)
    assert response.headers["Content-Type"] == JSON
    (event,) = probe.events
    probe.events.clear()
    return Answer(response.status_code, response.body.decode("utf-8")), event


def lambda_answer(
    target: Target, function: AsyncFunction, event: dict[str, Any], invocation_type: str
) -> tuple[str, str | None]:
    """What Lambda gives API Gateway: the payload text, and the errorMessage if any."""
    if invocation_type == "Event":
        return "", None  # 202, no payload: the function runs later
    handler = next(f for f in target.module.api.functions if f.name == function.name)
    try:
        result = handler.lambda_handler(event, None)
    except Exception as failure:  # as the Python runtime reports an unhandled error
        payload = {
            "errorMessage": str(failure),
            "errorType": type(failure).__name__,
            "requestId": LAMBDA_REQUEST_ID,
            "stackTrace": ['  File "/var/task/app.py", line 1, in handler\n'],
        }
        return json.dumps(payload), str(failure)
    return json_codec.dumps(result), None


def integration_response(integration: dict[str, Any], error_message: str | None) -> dict[str, Any]:
    """The integration response API Gateway selects: for Lambda, by errorMessage."""
    responses: dict[str, dict[str, Any]] = integration["responses"]
    if error_message is not None:
        for pattern, response in responses.items():
            if pattern != "default" and re.fullmatch(pattern, error_message):
                return response
    return responses["default"]


def api_gateway(
    target: Target, call: Call, context: RequestContext
) -> tuple[Answer, list[tuple[str, Any]], str]:
    """The deployed path, offline: its answer, the event, the invocation type."""
    integration = target.synthesized.operation(call.function.route)[
        "x-amazon-apigateway-integration"
    ]
    request = render_request(
        integration["requestTemplates"][JSON],
        context,
        path=call.raw,
        headers=call.headers,
        querystring=dict(parse_qsl(call.query)),
    )
    event_pairs = request.json()
    invocation_type = request.request_headers["X-Amz-Invocation-Type"]
    payload, error_message = lambda_answer(
        target, call.function, dict(event_pairs), invocation_type
    )
    response = integration_response(integration, error_message)
    rendered = render_response(response["responseTemplates"][JSON], context, payload)
    status = rendered.status if rendered.status is not None else int(response["statusCode"])
    answer = Answer(status, rendered.text.strip(), rendered.parsed_body)
    return answer, event_pairs, invocation_type


def assert_parity(target: Target, probe: RouteProbe, call: Call) -> tuple[Answer, dict[str, Any]]:
    expected, route_event = route(target, probe, call)
    context = RequestContext(
        stage=route_event["api_stage"],
        request_id=route_event["api_request_id"],
        source_ip=route_event["source_ip"],
        user_agent=call.user_agent,
        resource_path=call.function.route,
    )
    answer, event_pairs, invocation_type = api_gateway(target, call, context)
    assert event_pairs == list(route_event.items()), "the template builds the route's event"
    for name, segment in call.raw.items():
        assert dict(event_pairs)[name] == segment, f"path parameter {name} is passed raw"
    is_event = route_event["invocation_type"] == contract.EVENT
    assert invocation_type == ("Event" if is_event else "RequestResponse")
    assert answer.status == expected.status, (answer, expected)
    assert answer.json() == expected.json(), (answer, expected)
    if expected.status in (200, 400):
        assert answer.text == expected.text, "the function's body passes through unchanged"
    # Only Lambda's function-error payload is parsed: big results never go through JSONPath.
    assert answer.parsed_body == (expected.status == 502), answer
    return expected, route_event


SYNC_NUMBERS = [
    "2",
    "-3",
    "0.1",
    "+12.50",
    "-0.000",
    "99999999999999999999",
    "9" * 1000,  # a 2,000-digit square
    "0.000001",  # 1e-12, the smallest square a decimal can have
]
HOSTILE_NUMBERS = [
    '"',
    "\\",
    '1"2',
    "1\\2",
    "'",
    "1'2",
    "</script>",
    "1/2",
    "1\n2",
    "\t",
    "\r\n",
    "\x00",
    "\x1f",
    "\x7f",
    "\u0663",
    "\u00b2",
    "\U0001f600",
    "\u2028",
    "\ufeff1",
    " 2",
    "2 ",
    "1e5",
    "NaN",
    "0x10",
    "1_000",
    "$context.requestId",
    "#set($x = 1)",
    "${input.body}",
    "$util.escapeJavaScript('x')",
    '{"number": "2"}',
    "%",
    "%25",
    "a" * 1001,
    "0." + "0" * 997 + "1",  # a decimal of 999 digits: refused, not rounded
    "\u00e9" * 600,
]


def short_id(number: str) -> str:
    return number if len(number) <= 20 else f"{number[:4]}...{number[-2:]}({len(number)})"


@pytest.mark.parametrize("number", SYNC_NUMBERS, ids=short_id)
def test_sync_squares_match(square_target: Target, probe: RouteProbe, number: str) -> None:
    expected, _ = assert_parity(square_target, probe, Call.square(number))
    assert expected.status == 200


@pytest.mark.parametrize(
    ("segment", "square"),
    [
        ("%2D3", 9),
        ("%2B12.50", "156.25"),
        ("1%2e5", "2.25"),
        ("%2d3", 9),
        ("%FF", None),  # not UTF-8
        ("%25", None),  # "%"
        ("%252B12", None),  # "%2B12": decoded once, not twice
        ("%E2%80%A8", None),  # U+2028
    ],
)
@pytest.mark.parametrize("headers", [{}, {"InvocationType": "Event"}], ids=repr)
def test_percent_encoded_numbers_match(
    square_target: Target,
    probe: RouteProbe,
    segment: str,
    square: object,
    headers: dict[str, str],
) -> None:
    expected, route_event = assert_parity(
        square_target, probe, Call.square(segment, headers, encoded=True)
    )
    assert route_event["number"] == segment
    if headers:
        assert expected.status == 202
    elif square is None:
        assert expected.status == 400
        assert dict(expected.json())["error"] == "InvalidNumber"
    else:
        assert expected.status == 200
        assert json.loads(expected.text, parse_float=str)["square_of_your_number_is"] == square


@pytest.mark.parametrize("number", HOSTILE_NUMBERS, ids=ascii)
def test_bad_numbers_match_with_a_400(
    square_target: Target, probe: RouteProbe, number: str
) -> None:
    expected, _ = assert_parity(square_target, probe, Call.square(number))
    assert expected.status == 400
    assert dict(expected.json())["error"] == "InvalidNumber"


@pytest.mark.parametrize(
    "number", ["2", "0.1", '1"2', "\\", "1\n2", "abc", "\U0001f600"], ids=ascii
)
@pytest.mark.parametrize("name", ["InvocationType", "invocationtype", "INVOCATIONTYPE"])
def test_async_answers_match_with_a_202(
    square_target: Target, probe: RouteProbe, number: str, name: str
) -> None:
    expected, _ = assert_parity(square_target, probe, Call.square(number, {name: "Event"}))
    assert expected.status == 202
    assert [key for key, _ in expected.json()] == [
        *contract.CONTEXT_KEYS,
        "asynchronous_invocation",
        "message",
    ]


def test_async_bad_number_is_accepted_and_its_record_carries_the_400_body(
    square_target: Target, probe: RouteProbe
) -> None:
    expected, route_event = assert_parity(
        square_target, probe, Call.square("abc", {"InvocationType": "Event"})
    )
    assert expected.status == 202
    # What lands in the success destination's responsePayload, in the cloud and locally.
    result = SQUARE.lambda_handler(route_event, None)
    assert result["error"] == "InvalidNumber"
    assert result["api_request_id"] == route_event["api_request_id"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"InvocationType": "RequestResponse"},
        {"invocationtype": "RequestResponse"},
        {"INVOCATIONTYPE": "RequestResponse"},
    ],
    ids=repr,
)
def test_request_response_header_variants_match(
    square_target: Target, probe: RouteProbe, headers: dict[str, str]
) -> None:
    expected, _ = assert_parity(square_target, probe, Call.square("12", headers))
    assert expected.status == 200


@pytest.mark.parametrize(
    "value",
    ["event", "EVENT", "requestresponse", "DryRun", "Foo", "", 'Ev"ent', "Event\\", "x" * 100],
    ids=ascii,
)
@pytest.mark.parametrize("name", ["InvocationType", "invocationtype"])
def test_unknown_invocation_types_match_with_a_400(
    square_target: Target, probe: RouteProbe, value: str, name: str
) -> None:
    expected, route_event = assert_parity(square_target, probe, Call.square("7", {name: value}))
    assert expected.status == 400
    assert dict(expected.json())["error"] == "InvalidInvocationType"
    assert route_event["invocation_type"] == value


def test_a_query_parameter_is_not_the_header(square_target: Target, probe: RouteProbe) -> None:
    expected, _ = assert_parity(
        square_target, probe, Call.square("5", query="InvocationType=Event")
    )
    assert expected.status == 200


@pytest.mark.parametrize(
    "user_agent", ["curl/8.4.0", 'Mozilla/5.0 "quoted" \\ and \u00e9', "", None], ids=repr
)
@pytest.mark.parametrize("invocation", [None, "Event"])
def test_user_agent_variants_match(
    square_target: Target,
    probe: RouteProbe,
    user_agent: str | None,
    invocation: str | None,
) -> None:
    headers = {} if user_agent is None else {"User-Agent": user_agent}
    if invocation is not None:
        headers["InvocationType"] = invocation
    assert_parity(square_target, probe, Call.square("3", headers))


@pytest.mark.parametrize("headers", [{}, {"InvocationType": "Event"}], ids=repr)
def test_function_errors_match(
    square_target: Target,
    probe: RouteProbe,
    monkeypatch: pytest.MonkeyPatch,
    headers: dict[str, str],
) -> None:
    monkeypatch.setenv("SQUARE_FAULT_RATE", "1")
    expected, _ = assert_parity(square_target, probe, Call.square("4", headers))
    if headers:
        assert expected.status == 202  # accepted: Lambda retries, then the DLQ
    else:
        assert expected.status == 502
        assert dict(expected.json())["error"] == "FunctionError"


# -- a second function of another shape: the fixture project -------------------

REPORT_ROUTE = "/reports/{account}/{month}"


def report_call(fixture_app: ModuleType, account: str, month: str, **options: Any) -> Call:
    (report,) = (f for f in fixture_app.api.functions if f.route == REPORT_ROUTE)
    return Call({"account": account, "month": month}, function=report, **options)


@pytest.mark.parametrize(
    ("account", "month", "headers", "status", "error"),
    [
        ("acme", "2026-02", {}, 200, None),
        ("acme", "2024-02", {"invocationtype": "RequestResponse"}, 200, None),
        ("acme", "2026-11", {"InvocationType": "Event"}, 202, None),
        ("ACME", "2026-11", {}, 400, "InvalidAccount"),
        ("acme", "2026-13", {}, 400, "InvalidMonth"),
        ("acme", "%FF", {}, 400, "InvalidMonth"),
        ("ac me", "2026-11", {}, 400, "InvalidAccount"),
        ('a"c\\', "2026-11", {"InvocationType": "Event"}, 202, None),
        ("acme", "2026-11", {"InvocationType": "DryRun"}, 400, "InvalidInvocationType"),
    ],
)
def test_a_second_function_with_two_parameters_matches(
    fixture_target: Target,
    probe: RouteProbe,
    account: str,
    month: str,
    headers: dict[str, str],
    status: int,
    error: str | None,
) -> None:
    call = report_call(fixture_target.module, account, month, headers=headers)
    expected, _ = assert_parity(fixture_target, probe, call)
    assert expected.status == status, expected
    body = dict(expected.json())
    assert body.get("error") == error
    if status == 200:
        assert body["days"] == {"2026-02": 28, "2024-02": 29}[month]


@pytest.mark.parametrize("number", ["2", "0.1", "abc"])
@pytest.mark.parametrize("headers", [{}, {"InvocationType": "Event"}], ids=repr)
def test_the_example_matches_in_the_fixture_s_stack_too(
    fixture_target: Target, probe: RouteProbe, number: str, headers: dict[str, str]
) -> None:
    square = next(f for f in fixture_target.module.api.functions if f.route == SQUARE.route)
    assert_parity(fixture_target, probe, Call({"number": number}, headers, function=square))


# -- the templates alone, on inputs the route cannot send ------------------------


def context_values(user_agent: str | None = "agent") -> RequestContext:
    return RequestContext(
        stage="api",
        request_id="6d7c1c36-0000-4000-8000-000000000000",
        source_ip="192.0.2.1",
        user_agent=user_agent,
    )


@settings(max_examples=150, deadline=None)
@given(
    number=st.text(),
    encode=st.booleans(),
    header=st.none() | st.text(),
    user_agent=st.none() | st.text(),
)
def test_any_request_renders_valid_json_with_the_exact_values(
    synthesized: Synthesized,
    number: str,
    encode: bool,
    header: str | None,
    user_agent: str | None,
) -> None:
    # The path parameter as API Gateway passes it: the client's percent-encoding of
    # the number, or (clients that do not encode everything) any text at all.
    segment = quote(number, safe="") if encode else number
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    headers = {} if header is None else {"InvocationType": header}
    rendered = render_request(
        integration["requestTemplates"][JSON],
        context_values(user_agent),
        path={"number": segment},
        headers=headers,
    )
    event = json.loads(rendered.text)
    assert event["number"] == segment, "passed raw, never decoded by the template"
    if encode:
        assert contract.decode_path_parameter(event["number"]) == number, "decoded once"
    assert event["invocation_type"] == ("RequestResponse" if header is None else header)
    assert event["user-agent"] == (user_agent or "")
    expected = "Event" if header == "Event" else "RequestResponse"
    assert rendered.request_headers == {"X-Amz-Invocation-Type": expected}


@pytest.mark.parametrize(
    "payload",
    [
        {"errorMessage": 'it\'s "quoted"\nand\ttabbed \u00e9 \\', "errorType": "E"},
        {"errorMessage": "", "errorType": "RuntimeError"},
        {"errorMessage": "2024-01-01T00:00:00Z abc Task timed out after 60.00 seconds"},
        {"errorType": "Runtime.ExitError"},
        {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 60.00 seconds"},
    ],
    ids=["quoted", "empty-message", "timeout", "no-message", "error-type-first"],
)
def test_every_lambda_error_payload_becomes_the_502_body(
    synthesized: Synthesized, payload: dict[str, str]
) -> None:
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    message = payload.get("errorMessage")
    response = integration_response(integration, message)
    values = context_values()
    rendered = render_response(response["responseTemplates"][JSON], values, json.dumps(payload))
    assert rendered.status == 502
    assert rendered.parsed_body, "the function-error payload is the one payload parsed"
    assert json.loads(rendered.text) == contract.error_body(
        {"api_request_id": values.request_id},
        "FunctionError",
        message or "",
        "a retry of the same request",
    )


BIG_SQUARE = "9" * 999 + "8" + "0" * 999 + "1"  # (10**1000 - 1) ** 2: 2,000 digits


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"api_stage": "api", "square_of_your_number_is": ' + BIG_SQUARE + "}", 200),
        ('{"api_stage": "api", "square_of_your_number_is": 1E-1996}', 200),
        ('{ "api_stage" : "api", "square_of_your_number_is": 4}', 200),
        ('\n{\n  "api_stage": "api", "square_of_your_number_is": 4\n}\n', 200),
        ('{"error": "InvalidNumber", "message": "m", "accepted": "a", "api_request_id": ""}', 400),
        ('{\t"error": "InvalidInvocationType", "message": "m"}', 400),
        # Not JSON the emulator could parse: proves these bodies are never parsed.
        ('{"api_stage": "api", "square_of_your_number_is": 1E-1996', 200),
        ('{"error": "InvalidNumber", ', 400),
    ],
    ids=["2000-digits", "1E-1996", "spaces", "newlines", "400", "tab", "cut-200", "cut-400"],
)
def test_the_functions_bodies_pass_through_unparsed(
    synthesized: Synthesized, body: str, status: int
) -> None:
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    template = integration_response(integration, None)["responseTemplates"][JSON]
    rendered = render_response(template, context_values(), body)
    assert not rendered.parsed_body
    assert (rendered.status or 200) == status
    assert rendered.text.strip() == body.strip()
