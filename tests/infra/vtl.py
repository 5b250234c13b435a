"""The stack's mapping templates rendered two ways: as AWS documents them, and by LocalStack.

:data:`AWS_MODEL` evaluates a template with airspeed (airspeed-ext, the Velocity
engine LocalStack builds on) and supplies ``$input``, ``$context`` and ``$util``
with AWS's documented semantics: ``$input.params().header`` a map keyed by the
names as sent, holding one value per name (the last of a repeated header, as in
AWS's proxy event example), ``$util.escapeJavaScript`` as Apache Commons Lang's
``StringEscapeUtils.escapeJavaScript``, and the request/response overrides.
Methods on strings and maps are airspeed-ext's own, a subset of Java's: a
template that reaches past it renders empty here, as in LocalStack, and its
parity tests fail.

:data:`LOCALSTACK` renders with LocalStack's own engine
(``localstack-core``'s ``ApiGatewayVtlTemplate``, the class its API Gateway
provider renders with), its variables shaped as its provider shapes them: the
headers a werkzeug ``Headers`` (case-insensitive ``get``, first value of a
repeated header, no ``keySet``), every string of ``$context`` and of the
parameters its ``ExtendedString``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import airspeed
from localstack.services.apigateway.next_gen.execute_api.template_mapping import (
    ApiGatewayVtlTemplate,
)
from werkzeug.datastructures import Headers


def escape_javascript(text: str) -> str:
    """Apache Commons Lang 2.6 ``StringEscapeUtils.escapeJavaScript``.

    Works on UTF-16 code units as Java does: characters above U+FFFF become
    two ``\\uXXXX`` surrogate escapes; ``'`` becomes ``\\'`` (which JSON does not
    allow: the templates turn it back) and ``/`` becomes ``\\/``.
    """
    out: list[str] = []
    units = text.encode("utf-16-le", "surrogatepass")
    for index in range(0, len(units), 2):
        unit = int.from_bytes(units[index : index + 2], "little")
        char = chr(unit)
        if unit > 0x7F:
            out.append(f"\\u{unit:04X}")
        elif unit < 32:
            named = {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}
            out.append(named.get(unit, f"\\u{unit:04X}"))
        elif char in "'\"\\/":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


class Util:
    """``$util``: the functions the templates call."""

    def escapeJavaScript(self, value: Any) -> str | None:
        """``$util.escapeJavaScript``: null stays null."""
        if value is None:
            return None
        return escape_javascript(str(value))


@dataclass(frozen=True)
class MethodRequest:
    """What the client sent, as API Gateway's method request holds it.

    ``path``: each path parameter as sent (still percent-encoded); ``headers``:
    every header line, repeated names included, in order.
    """

    path: Mapping[str, str]
    headers: Sequence[tuple[str, str]] = ()
    querystring: Mapping[str, str] = field(default_factory=dict)


def single_value_headers(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """One value per header name (ignoring case): the last, keyed by the name first sent."""
    names: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, value in headers:
        names.setdefault(name.lower(), name)
        values[names[name.lower()]] = value
    return values


class Input:
    """``$input`` of a template: the body and the method request's parameters."""

    def __init__(self, body: str, request: MethodRequest) -> None:
        self.body = body
        #: Whether the template parsed the body (``$input.path``).
        self.parsed = False
        self._params = {
            "path": dict(request.path),
            "querystring": dict(request.querystring),
            "header": single_value_headers(request.headers),
        }

    def params(self) -> dict[str, dict[str, str]]:
        """All parameters, by kind."""
        return self._params

    def path(self, expression: str) -> Any:
        """``$input.path``: JSONPath ``$`` or ``$.key`` on the body."""
        self.parsed = True
        document = json.loads(self.body) if self.body.strip() else None
        if expression == "$":
            return document
        if expression.startswith("$.") and isinstance(document, dict):
            return document.get(expression[2:])
        raise NotImplementedError(f"JSONPath {expression!r} is not emulated")


@dataclass(frozen=True)
class RequestContext:
    """The ``$context`` values API Gateway sets for one request."""

    stage: str
    request_id: str
    source_ip: str
    user_agent: str | None
    http_method: str = "GET"
    resource_path: str = "/square/{number}"


@dataclass
class Rendered:
    """A rendered template and the overrides it set."""

    text: str
    request_headers: dict[str, Any] = field(default_factory=dict)
    status: int | None = None
    #: Whether the template parsed the body with ``$input.path`` (AWS model only).
    parsed_body: bool = False

    def json(self) -> Any:
        """The text as JSON, keys in order (raises if it is not valid JSON)."""
        return json.loads(self.text, object_pairs_hook=list)


class Renderer(Protocol):
    """Renders the stack's request and response templates for one method request."""

    name: str

    def request(self, template: str, values: RequestContext, request: MethodRequest) -> Rendered:
        """The integration request: the event text, and the header overrides."""

    def response(
        self, template: str, values: RequestContext, request: MethodRequest, body: str
    ) -> Rendered:
        """The method response for what the integration (Lambda) answered."""


def _context(values: RequestContext) -> dict[str, Any]:
    return {
        "stage": values.stage,
        "requestId": values.request_id,
        "resourcePath": values.resource_path,
        "httpMethod": values.http_method,
        "identity": {"sourceIp": values.source_ip, "userAgent": values.user_agent},
    }


def _overrides() -> dict[str, Any]:
    return {
        "requestOverride": {"header": {}, "path": {}, "querystring": {}},
        "responseOverride": {"header": {}, "status": 0},
    }


class AwsModel:
    """AWS's documented semantics, evaluated by airspeed."""

    name = "aws-model"

    def _render(
        self, template: str, values: RequestContext, request: MethodRequest, body: str
    ) -> tuple[str, Input, dict[str, Any]]:
        template_input = Input(body, request)
        context = {**_context(values), **_overrides()}
        namespace = {"input": template_input, "context": context, "util": Util()}
        text: str = airspeed.Template(template).merge(namespace)
        return text, template_input, context

    def request(self, template: str, values: RequestContext, request: MethodRequest) -> Rendered:
        text, _, context = self._render(template, values, request, "")
        return Rendered(text=text, request_headers=dict(context["requestOverride"]["header"]))

    def response(
        self, template: str, values: RequestContext, request: MethodRequest, body: str
    ) -> Rendered:
        text, template_input, context = self._render(template, values, request, body)
        status = context["responseOverride"]["status"]
        return Rendered(text=text, status=int(status) or None, parsed_body=template_input.parsed)


class LocalStack:
    """LocalStack's ``ApiGatewayVtlTemplate``, with variables as its provider passes them."""

    name = "localstack"

    def __init__(self) -> None:
        self._engine = ApiGatewayVtlTemplate()

    def _variables(self, values: RequestContext, request: MethodRequest, body: str) -> Any:
        return {
            "context": _context(values),
            "stageVariables": {},
            "input": {
                "body": body,
                "params": {
                    "path": dict(request.path),
                    "querystring": dict(request.querystring),
                    "header": Headers(list(request.headers)),
                },
            },
        }

    def request(self, template: str, values: RequestContext, request: MethodRequest) -> Rendered:
        text, overrides = self._engine.render_request(
            template, self._variables(values, request, ""), cast(Any, _overrides())
        )
        return Rendered(text=text, request_headers=dict(overrides["requestOverride"]["header"]))

    def response(
        self, template: str, values: RequestContext, request: MethodRequest, body: str
    ) -> Rendered:
        text, override = self._engine.render_response(
            template, self._variables(values, request, body), cast(Any, _overrides())
        )
        # What LocalStack's integration response handler keeps: an int in 100-599.
        status = override["status"]
        valid = isinstance(status, int) and 100 <= status < 600
        return Rendered(text=text, status=status if valid else None)


AWS_MODEL = AwsModel()
LOCALSTACK = LocalStack()
RENDERERS: tuple[Renderer, ...] = (AWS_MODEL, LOCALSTACK)
