"""API Gateway's mapping-template variables, for rendering the stack's .vtl files.

airspeed (airspeed-ext, the Velocity engine LocalStack uses for API Gateway)
evaluates the templates; this module supplies ``$input``, ``$context`` and
``$util`` for the subset the templates use, with the Java semantics API Gateway
has: strings with ``toLowerCase``/``trim``/``replaceAll``/``startsWith``/
``substring``, maps with
``containsKey``/``keySet``, ``$util.escapeJavaScript`` as Apache Commons Lang's
``StringEscapeUtils.escapeJavaScript``, and the request/response overrides
``$context.requestOverride``/``$context.responseOverride``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import airspeed


def _trim(text: str) -> str:
    """``String.trim()``: removes the characters up to U+0020 at both ends."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _replace_all(text: str, regex: str, replacement: str) -> str:
    """``String.replaceAll`` for the plain patterns the templates use."""
    if "$" in replacement or "\\" in replacement:
        raise NotImplementedError("Java replacement groups are not emulated")
    return re.sub(regex, lambda _match: replacement, text)


def _substring(text: str, begin: int, end: int | None = None) -> str:
    """``String.substring``, which throws on an index out of range."""
    stop = len(text) if end is None else end
    if not 0 <= begin <= stop <= len(text):
        raise IndexError(f"substring({begin}, {stop}) of a string of length {len(text)}")
    return text[begin:stop]


def _put(mapping: dict[str, Any], key: str, value: Any) -> Any:
    previous = mapping.get(key)
    mapping[key] = value
    return previous


# Java's String and Map methods, for the strings and maps templates handle. airspeed
# looks methods up by exact type in this table (LocalStack extends it the same way).
_JAVA_METHODS: dict[type, dict[str, Any]] = {
    str: {
        "toLowerCase": str.lower,
        "trim": _trim,
        "replaceAll": _replace_all,
        "isEmpty": lambda text: text == "",
        "equals": lambda text, other: text == other,
        "startsWith": lambda text, prefix: text.startswith(prefix),
        "substring": _substring,
    },
    dict: {
        "get": lambda mapping, key: mapping.get(key),
        "keySet": lambda mapping: list(mapping),
        "containsKey": lambda mapping, key: key in mapping,
        "put": _put,
        "isEmpty": lambda mapping: not mapping,
    },
}
for _type, _methods in _JAVA_METHODS.items():
    airspeed.operators.__additional_methods__.setdefault(_type, {}).update(_methods)


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


class Input:
    """``$input`` of a template: the body and, for requests, the parameters."""

    def __init__(self, body: str, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = body
        #: Whether the template parsed the body (``$input.path``).
        self.parsed = False
        self._params = {
            kind: dict(params.get(kind, {})) for kind in ("path", "querystring", "header")
        }

    def params(self, name: str | None = None) -> Any:
        """All parameters, or one searched in path, query string, then headers."""
        if name is None:
            return self._params
        for kind in ("path", "querystring", "header"):
            if name in self._params[kind]:
                return self._params[kind][name]
        return ""

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
    #: Whether the template parsed the body with ``$input.path``.
    parsed_body: bool = False

    def json(self) -> Any:
        """The text as JSON, keys in order (raises if it is not valid JSON)."""
        return json.loads(self.text, object_pairs_hook=list)


def _context(values: RequestContext) -> dict[str, Any]:
    return {
        "stage": values.stage,
        "requestId": values.request_id,
        "resourcePath": values.resource_path,
        "httpMethod": values.http_method,
        "identity": {"sourceIp": values.source_ip, "userAgent": values.user_agent},
        "requestOverride": {"header": {}, "path": {}, "querystring": {}},
        "responseOverride": {"header": {}, "status": None},
    }


def _render(
    template_text: str,
    context: dict[str, Any],
    body: str,
    params: Mapping[str, Mapping[str, str]],
) -> tuple[str, Input]:
    template_input = Input(body, params)
    namespace = {"input": template_input, "context": context, "util": Util()}
    text: str = airspeed.Template(template_text).merge(namespace)
    return text, template_input


def render_request(
    template_text: str,
    values: RequestContext,
    *,
    path: Mapping[str, str],
    headers: Mapping[str, str],
    querystring: Mapping[str, str] | None = None,
) -> Rendered:
    """Render a request template for a request with these parameters."""
    context = _context(values)
    params = {"path": path, "header": headers, "querystring": querystring or {}}
    text, _ = _render(template_text, context, "", params)
    return Rendered(text=text, request_headers=dict(context["requestOverride"]["header"]))


def render_response(template_text: str, values: RequestContext, integration_body: str) -> Rendered:
    """Render a response template for what Lambda answered."""
    context = _context(values)
    text, template_input = _render(template_text, context, integration_body, {})
    status = context["responseOverride"]["status"]
    return Rendered(
        text=text,
        status=None if status is None else int(status),
        parsed_body=template_input.parsed,
    )
