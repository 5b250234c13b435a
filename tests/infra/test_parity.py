"""Parity: the stack answers every catalogue case as ``chalice local`` does, on AWS and LocalStack.

For each case of the contract catalogue (``tests/support/catalogue.py``), the
local side answers in-process exactly as ``chalice local`` does
(``local_async.dev_server.Edge``: API Gateway's edge in front of the Chalice
route), while a probe records the event the route builds. The deployed side,
offline: a method and path the stack does not declare, or a Content-Type
without a template, gets the stack's gateway response; otherwise the route's
request template (from the synthesized template) renders the event Lambda would
receive and the override that picks the invocation type, the function runs on
that event as Lambda runs it (its result written by the Lambda runtime's own
marshaller, ``awslambdaric``, for the template's runtime), the integration
response is selected as API Gateway selects it, and the response template
renders the status and body. Both sides must give the catalogue's status and
the same JSON body; the route's request id, stage and source ip are injected
as ``$context`` so bodies compare key for key.

The templates are rendered twice: with the model of AWS's documented semantics
and with LocalStack's own engine (``tests/infra/vtl.py``). The example's route
is checked against this project's stack; the fixture project's two routes
against the fixture's stack.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller
from chalice.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

import app as app_module
from chalicelib.async_api import AsyncFunction, contract
from chalicelib.async_api import api as api_module
from chalicelib.async_api.processor import process
from local_async import gateway
from local_async.dev_server import Edge
from tests.infra.conftest import Synthesized
from tests.infra.vtl import (
    AWS_MODEL,
    LOCALSTACK,
    RENDERERS,
    MethodRequest,
    Renderer,
    RequestContext,
    single_value_headers,
)
from tests.support.catalogue import CASES, REPORT_CASES, Case
from tests.support.declared import SQUARE

JSON = "application/json"
LAMBDA_REQUEST_ID = "5f1f5e1e-0000-4000-8000-000000000000"
#: Refused by API Gateway's front end before any template: no template to render.
FRONT_END_STATUSES = (414, 431)


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    #: Whether API Gateway's response template parsed the payload ($input.path).
    parsed_body: bool = False

    def json(self) -> Any:
        return json.loads(self.text, object_pairs_hook=list) if self.text else None


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
    """An app, its local edge and its synthesized stack: what parity compares."""

    module: ModuleType
    edge: Edge
    synthesized: Synthesized


def lambda_runtime(synthesized: Synthesized) -> str:
    """The ``AWS_EXECUTION_ENV`` Lambda sets for the stack's functions (one runtime for all)."""
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in synthesized.template["Resources"].values()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
        and "Runtime" in resource.get("Properties", {})
    }
    (runtime,) = runtimes
    return f"AWS_Lambda_{runtime}"


def target_for(module: ModuleType, synthesized: Synthesized) -> Target:
    return Target(module, Edge(module.app, Config.create(chalice_app=module.app)), synthesized)


@pytest.fixture(scope="module")
def square_target(synthesized: Synthesized) -> Target:
    return target_for(app_module, synthesized)


@pytest.fixture(scope="module")
def fixture_target(fixture_synthesized: Synthesized, fixture_app: ModuleType) -> Target:
    return target_for(fixture_app, fixture_synthesized)


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[RouteProbe]:
    recorder = RouteProbe()
    # A spy on the processor: every event a function runs on, whatever the answer.
    monkeypatch.setattr(api_module, "process", recorder.process)
    yield recorder


def route(target: Target, probe: RouteProbe, case: Case) -> tuple[Answer, dict[str, Any] | None]:
    """``chalice local``'s answer, and the event its route built (None: no route ran)."""
    with target.module.api.invoker_replaced_by(probe):
        answer = target.edge.answer(case.method, "/" + case.target, list(case.headers), None)
    assert answer.headers.get("Content-Type", JSON) == JSON, answer.headers
    events = list(probe.events)
    probe.events.clear()
    return Answer(answer.status, answer.body.decode("utf-8")), (events[0] if events else None)


def lambda_payload(result: Any) -> str:
    """A function's result as the Lambda Python runtime writes it."""
    text, _ = LambdaMarshaller().marshal_response(result)
    assert isinstance(text, str)
    return text


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
        return lambda_payload(payload), str(failure)
    return lambda_payload(result), None


def integration_response(integration: dict[str, Any], error_message: str | None) -> dict[str, Any]:
    """The integration response API Gateway selects: for Lambda, by errorMessage."""
    responses: dict[str, dict[str, Any]] = integration["responses"]
    if error_message is not None:
        for pattern, response in responses.items():
            if pattern != "default" and re.fullmatch(pattern, error_message):
                return response
    return responses["default"]


def gateway_response(target: Target, response_type: str, request_id: str) -> Answer:
    """A gateway response of the stack, rendered (simple ``$context`` substitution)."""
    _, api = target.synthesized.resource("AWS::Serverless::Api")
    response = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"][
        response_type
    ]
    body = response["responseTemplates"][JSON].replace("$context.requestId", request_id)
    return Answer(int(response["statusCode"]), body)


def declared_function(target: Target, route_path: str) -> AsyncFunction:
    function: AsyncFunction = next(f for f in target.module.api.functions if f.route == route_path)
    return function


def api_gateway(
    target: Target, case: Case, renderer: Renderer, context: RequestContext
) -> tuple[Answer, list[tuple[str, Any]] | None, str | None]:
    """The deployed path, offline: its answer, the event, the invocation type."""
    paths = target.synthesized.template_paths()
    matched = gateway.Routes(paths).match("/" + case.target)
    if matched is None or case.method.lower() not in paths[matched.route]:
        answer = gateway_response(target, "MISSING_AUTHENTICATION_TOKEN", context.request_id)
        return answer, None, None
    content_type = single_value_headers(case.headers).get("Content-Type")
    integration = paths[matched.route][case.method.lower()]["x-amazon-apigateway-integration"]
    if (
        content_type is not None
        and content_type.split(";")[0].strip() not in (integration["requestTemplates"])
    ):
        return gateway_response(target, "UNSUPPORTED_MEDIA_TYPE", context.request_id), None, None
    request = MethodRequest(
        path=matched.parameters,
        headers=header_lines(case),
        querystring=dict(parse_qsl(urlsplit("/" + case.target).query)),
    )
    rendered = renderer.request(integration["requestTemplates"][JSON], context, request)
    event_pairs = rendered.json()
    invocation_type = rendered.request_headers["X-Amz-Invocation-Type"]
    function = declared_function(target, matched.route)
    payload, error_message = lambda_answer(target, function, dict(event_pairs), invocation_type)
    response = integration_response(integration, error_message)
    answered = renderer.response(response["responseTemplates"][JSON], context, request, payload)
    status = answered.status if answered.status is not None else int(response["statusCode"])
    answer = Answer(status, answered.text.strip(), answered.parsed_body)
    return answer, event_pairs, invocation_type


def header_lines(case: Case) -> tuple[tuple[str, str], ...]:
    """The case's header lines as HTTP parsing hands them on: without optional whitespace."""
    return tuple((name, value.strip(" \t")) for name, value in case.headers)


def context_of(case: Case, event: Mapping[str, Any] | None, request_id: str) -> RequestContext:
    """``$context`` for a case: the route's stage, request id and source ip when it ran."""
    return RequestContext(
        stage=event["api_stage"] if event else "api",
        request_id=request_id,
        source_ip=event["source_ip"] if event else "127.0.0.1",
        user_agent=single_value_headers(header_lines(case)).get("User-Agent"),
        resource_path=event["api_resource_path"] if event else "",
    )


def assert_parity(
    target: Target, probe: RouteProbe, case: Case, renderer: Renderer = AWS_MODEL
) -> tuple[Answer, dict[str, Any] | None]:
    expected, route_event = route(target, probe, case)
    request_id = dict(expected.json() or [])["api_request_id"]
    context = context_of(case, route_event, request_id)
    answer, event_pairs, invocation_type = api_gateway(target, case, renderer, context)
    assert answer.status == expected.status, (answer, expected)
    assert answer.json() == expected.json(), (answer, expected)
    if route_event is None:
        assert event_pairs is None, "the route ran no function: the stack invokes none either"
        return expected, None
    assert event_pairs == list(route_event.items()), "the template builds the route's event"
    is_event = route_event["invocation_type"] == contract.EVENT
    assert invocation_type == ("Event" if is_event else "RequestResponse")
    if renderer is AWS_MODEL:
        # Only Lambda's function-error payload is parsed: big results never go through JSONPath.
        assert answer.parsed_body == (expected.status == 502), answer
    return expected, route_event


def runs_through_templates(case: Case) -> bool:
    return case.status not in FRONT_END_STATUSES


def repeated_invocation_type(case: Case) -> bool:
    return sum(1 for name, _ in case.headers if name.lower() == "invocationtype") > 1


def localstack_reading(case: Case) -> Case:
    """The case as LocalStack's engine reads it: the first value of a repeated header."""
    if not repeated_invocation_type(case):
        return case
    first = next(line for line in case.headers if line[0].lower() == "invocationtype")
    others = tuple(line for line in case.headers if line[0].lower() != "invocationtype")
    return dataclasses.replace(case, headers=(*others, first))


TEMPLATED = [case for case in CASES if runs_through_templates(case)]
REPORTS = [case for case in REPORT_CASES if runs_through_templates(case)]


@pytest.fixture
def lambda_environment(synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lambda's AWS_EXECUTION_ENV for the stack's runtime, which the marshaller reads."""
    monkeypatch.setenv("AWS_EXECUTION_ENV", lambda_runtime(synthesized))


@pytest.mark.usefixtures("lambda_environment")
@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
@pytest.mark.parametrize("case", TEMPLATED, ids=[case.name for case in TEMPLATED])
@pytest.mark.parametrize("stack", ["project", "fixture"])
def test_the_stack_answers_the_catalogue_as_chalice_local_does(
    square_target: Target,
    fixture_target: Target,
    probe: RouteProbe,
    case: Case,
    renderer: Renderer,
    stack: str,
) -> None:
    target = square_target if stack == "project" else fixture_target
    read_as_sent = renderer is AWS_MODEL or not repeated_invocation_type(case)
    # LocalStack keeps the first value of a repeated header: the route is asked the same.
    reading = case if renderer is AWS_MODEL else localstack_reading(case)
    expected, _ = assert_parity(target, probe, reading, renderer)
    if read_as_sent:
        assert expected.status == case.status, expected


@pytest.mark.usefixtures("lambda_environment")
@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
@pytest.mark.parametrize("case", REPORTS, ids=[case.name for case in REPORTS])
def test_a_second_function_with_two_parameters_matches(
    fixture_target: Target, probe: RouteProbe, case: Case, renderer: Renderer
) -> None:
    expected, _ = assert_parity(fixture_target, probe, case, renderer)
    assert expected.status == case.status, expected


@pytest.mark.parametrize(
    ("renderer", "read"),
    [(AWS_MODEL, "Event"), (LOCALSTACK, "RequestResponse")],
    ids=[AWS_MODEL.name, LOCALSTACK.name],
)
def test_of_a_repeated_header_aws_reads_the_last_value_and_localstack_the_first(
    synthesized: Synthesized, renderer: Renderer, read: str
) -> None:
    # The one known difference between the two engines (README): LocalStack's header
    # map is werkzeug's, whose get() gives the first value.
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    lines = (("InvocationType", "RequestResponse"), ("InvocationType", "Event"))
    rendered = renderer.request(
        integration["requestTemplates"][JSON],
        context_values(),
        MethodRequest(path={"number": "2"}, headers=lines),
    )
    assert rendered.request_headers == {"X-Amz-Invocation-Type": read}


def test_the_catalogue_s_front_end_cases_are_the_only_ones_not_rendered() -> None:
    assert {case.status for case in CASES if not runs_through_templates(case)} == {414, 431}


@pytest.mark.usefixtures("lambda_environment")
def test_a_bad_number_sent_as_event_is_accepted_and_its_record_carries_the_400(
    square_target: Target, probe: RouteProbe
) -> None:
    case = Case("abc, Event", "square/abc", 202, headers=(("InvocationType", "Event"),))
    expected, route_event = assert_parity(square_target, probe, case)
    assert expected.status == 202 and route_event is not None
    # What lands in the success destination's responsePayload, in the cloud and locally.
    result = SQUARE.lambda_handler(route_event, None)
    assert result["error"] == "InvalidNumber"
    assert result["api_request_id"] == route_event["api_request_id"]


@pytest.mark.usefixtures("lambda_environment")
@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
@pytest.mark.parametrize("invocation", [(), (("InvocationType", "Event"),)], ids=["sync", "event"])
def test_function_errors_match(
    square_target: Target,
    probe: RouteProbe,
    monkeypatch: pytest.MonkeyPatch,
    renderer: Renderer,
    invocation: tuple[tuple[str, str], ...],
) -> None:
    monkeypatch.setenv("SQUARE_FAULT_RATE", "1")
    expected, _ = assert_parity(
        square_target, probe, Case("fails", "square/4", 502, headers=invocation), renderer
    )
    if invocation:
        assert expected.status == 202  # accepted: Lambda retries, then the on-failure queue
    else:
        assert expected.status == 502
        assert dict(expected.json())["error_type"] == "SimulatedFailure"


@pytest.mark.usefixtures("lambda_environment")
@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
@pytest.mark.parametrize(
    "user_agent", ["curl/8.4.0", 'Mozilla/5.0 "quoted" \\ and \u00e9', ""], ids=repr
)
@pytest.mark.parametrize("invocation", [(), (("InvocationType", "Event"),)], ids=["sync", "event"])
def test_user_agent_variants_match(
    square_target: Target,
    probe: RouteProbe,
    renderer: Renderer,
    user_agent: str,
    invocation: tuple[tuple[str, str], ...],
) -> None:
    case = Case("agent", "square/3", 200, headers=(("User-Agent", user_agent), *invocation))
    assert_parity(square_target, probe, case, renderer)


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
    headers = () if header is None else (("InvocationType", header),)
    rendered = AWS_MODEL.request(
        integration["requestTemplates"][JSON],
        context_values(user_agent),
        MethodRequest(path={"number": segment}, headers=headers),
    )
    event = json.loads(rendered.text)
    assert event["number"] == segment, "passed raw, never decoded by the template"
    if encode:
        assert contract.decode_path_parameter(event["number"]) == number, "decoded once"
    assert event["invocation_type"] == ("RequestResponse" if header is None else header)
    assert event["user-agent"] == (user_agent or "")
    expected = "Event" if header == "Event" else "RequestResponse"
    assert rendered.request_headers == {"X-Amz-Invocation-Type": expected}


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
@pytest.mark.parametrize(
    "payload",
    [
        {"errorMessage": 'it\'s "quoted"\nand\ttabbed \u00e9 \\', "errorType": "E"},
        {"errorMessage": "", "errorType": "RuntimeError"},
        {"errorMessage": "2024-01-01T00:00:00Z abc Task timed out after 60.00 seconds"},
        {"errorType": "Runtime.ExitError"},
        {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 60.00 seconds"},
        {"errorMessage": "SQUARE_WORK_SECONDS='secret' is not a number", "errorType": "ValueError"},
    ],
    ids=["quoted", "empty-message", "timeout", "no-type", "error-type-first", "secret"],
)
def test_every_lambda_error_payload_becomes_the_fixed_502_body(
    synthesized: Synthesized, renderer: Renderer, payload: dict[str, str]
) -> None:
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    response = integration_response(integration, payload.get("errorMessage"))
    values = context_values()
    rendered = renderer.response(
        response["responseTemplates"][JSON],
        values,
        MethodRequest(path={"number": "4"}),
        json.dumps(payload),
    )
    assert rendered.status == 502
    assert json.loads(rendered.text) == contract.function_error_body(
        {"api_request_id": values.request_id}, payload.get("errorType", "")
    ), "a fixed message and the error type: what the function raised stays in its logs"


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
@pytest.mark.parametrize(
    "headers",
    [(), (("InvocationType", "DryRun"),), (("InvocationType", "RequestResponse"),)],
    ids=["none", "DryRun", "RequestResponse"],
)
@pytest.mark.parametrize("body", ["", "{}"], ids=["empty", "LocalStack-empty"])
def test_an_empty_answer_is_202_only_when_the_request_asked_for_event(
    synthesized: Synthesized, renderer: Renderer, headers: tuple[tuple[str, str], ...], body: str
) -> None:
    # Lambda answers DryRun with 204 and no payload: that is no accepted event.
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    template = integration_response(integration, None)["responseTemplates"][JSON]
    request = MethodRequest(path={"number": "4"}, headers=headers)
    rendered = renderer.response(template, context_values(), request, body)
    assert rendered.status == 502, rendered
    event = MethodRequest(path={"number": "4"}, headers=(("invocationtype", "Event"),))
    assert renderer.response(template, context_values(), event, body).status == 202


BIG_SQUARE = "9" * 999 + "8" + "0" * 999 + "1"  # (10**1000 - 1) ** 2: 2,000 digits


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda r: r.name)
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
    synthesized: Synthesized, renderer: Renderer, body: str, status: int
) -> None:
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    template = integration_response(integration, None)["responseTemplates"][JSON]
    rendered = renderer.response(template, context_values(), MethodRequest(path={}), body)
    assert not rendered.parsed_body
    assert (rendered.status or 200) == status
    assert rendered.text.strip() == body.strip()
