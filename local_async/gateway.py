"""What API Gateway does with a request before it reaches a route, for ``chalice local``.

Pure code: the request's method, target and header lines in, a refusal or the
route's view of the request out. ``local_async.dev_server`` applies it to each
request, so that ``chalice local`` answers what the CDK stack's REST API
answers (README, "The truth about AWS"):

- Limits (REST API quotas, https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html):
  a Regional API's URL is at most 10240 characters, and the "total combined
  size of all header values" at most 10240 bytes. AWS does not document the
  status it answers past them; these refuse with 414 and 431, the HTTP statuses
  for exactly those cases (RFC 9110 15.5.15, RFC 6585 5): a deployed stack's
  answer is in the contract catalogue (``make smoke``).
- The path parameter is the whole segment as sent (``2;5`` stays ``2;5``:
  ``urlsplit``, not the ``urlparse`` that cuts ``;`` parameters off).
- Undeclared methods and paths get the gateway's answer
  (``MISSING_AUTHENTICATION_TOKEN``, which the stack answers 404), as does HEAD
  (API Gateway does not answer HEAD for a GET; a HEAD answer has no body).
- A Content-Type other than JSON gets 415 (``UNSUPPORTED_MEDIA_TYPE``: the
  stack's integrations have a JSON template only and pass nothing through).
- Each header has one value: optional whitespace around it is not part of it
  (RFC 9110 5.5), and of a repeated header the last value is kept, as AWS's
  example of the proxy event shows (``headers`` holds the last of
  ``multiValueHeaders``), https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from chalicelib.async_api import contract

#: A Regional REST API's longest URL, in characters.
MAX_URL_CHARACTERS = 10240
#: A REST API's "total combined size of all header values", in bytes.
MAX_HEADER_VALUE_BYTES = 10240

URI_TOO_LONG = contract.GatewayError(
    414, "UriTooLong", f"the URL is longer than API Gateway's {MAX_URL_CHARACTERS} characters"
)
HEADERS_TOO_LARGE = contract.GatewayError(
    431,
    "RequestHeaderFieldsTooLarge",
    f"the header values total more than API Gateway's {MAX_HEADER_VALUE_BYTES} bytes",
)

BAD_REQUEST = contract.GatewayError(
    400, "BadRequest", "the request is not well-formed HTTP/1.1 (request line, headers)"
)
BAD_CONTENT_LENGTH = contract.GatewayError(
    400, "BadRequest", "Content-Length must be one whole number of bytes"
)
HTTP_VERSION_NOT_SUPPORTED = contract.GatewayError(
    505, "HttpVersionNotSupported", "the request's HTTP version is not 1.0 or 1.1"
)
#: The standard library's refusals (``BaseHTTPRequestHandler.send_error``), by status.
_MALFORMED = {
    414: URI_TOO_LONG,
    431: HEADERS_TOO_LARGE,
    505: HTTP_VERSION_NOT_SUPPORTED,
}

_OPTIONAL_WHITESPACE = " \t"
_JSON = "application/json"


class Matched(NamedTuple):
    """A request a route answers: the route, its raw path parameters, the query string."""

    route: str
    parameters: dict[str, str]
    query: dict[str, list[str]]


def single_values(lines: Iterable[tuple[str, str]]) -> dict[str, str]:
    """One value per header name (names compared ignoring case): the last, without OWS.

    Keys are lower-case, as Chalice gives them to routes.
    """
    return {name.lower(): value.strip(_OPTIONAL_WHITESPACE) for name, value in lines}


def header_value_bytes(lines: Iterable[tuple[str, str]]) -> int:
    """The combined size of the header values, as the client sent them (ISO-8859-1 bytes)."""
    return sum(len(value.encode("latin-1", "replace")) for _, value in lines)


class Routes:
    """The API's resource paths and their methods, split once: matched and checked per request.

    ``methods`` maps each resource path (``/items/{id}``) to its declared
    methods. One instance serves every request of a server, from any thread.
    """

    def __init__(self, methods: Mapping[str, Iterable[str]]) -> None:
        self.methods = {route: frozenset(declared) for route, declared in methods.items()}
        # Sorted: a literal segment sorts before "{", so literal routes win.
        self._split = [(route, route.split("/")) for route in sorted(self.methods)]
        self._last = threading.local()

    def match(self, target: str) -> Matched | None:
        """The route whose resource path matches ``target``'s path, or None.

        Segments match literally or a ``{parameter}``, which takes the segment
        as sent, still percent-encoded; a trailing slash is ignored, except on
        ``/``. Literal routes win over routes with parameters. Each thread's
        last target is remembered with its answer: the edge and then Chalice's
        local gateway match the same target, one after the other.
        """
        last: tuple[str, Matched | None] | None = getattr(self._last, "matched", None)
        if last is not None and last[0] == target:
            return last[1]
        matched = self._match(target)
        self._last.matched = (target, matched)
        return matched

    def _match(self, target: str) -> Matched | None:
        parts = urlsplit(target)
        path = parts.path
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        segments = path.split("/")
        for route, route_segments in self._split:
            if len(route_segments) != len(segments):
                continue
            parameters: dict[str, str] = {}
            for sent, declared in zip(segments, route_segments, strict=True):
                if declared.startswith("{") and declared.endswith("}"):
                    if sent == "":
                        break
                    parameters[declared[1:-1]] = sent
                elif sent != declared:
                    break
            else:
                query = parse_qs(parts.query, keep_blank_values=True) if parts.query else {}
                return Matched(route, parameters, query)
        return None

    def screen(
        self, method: str, target: str, lines: Sequence[tuple[str, str]]
    ) -> contract.GatewayError | Matched:
        """The gateway's answer to a request no route may see, or the route that answers it."""
        if len(target) > MAX_URL_CHARACTERS:
            return URI_TOO_LONG
        if header_value_bytes(lines) > MAX_HEADER_VALUE_BYTES:
            return HEADERS_TOO_LARGE
        matched = self.match(target)
        if matched is None or method not in self.methods[matched.route]:
            return contract.NO_ROUTE
        for name, value in reversed(lines):  # the last value counts (single_values)
            if name.lower() == "content-type":
                if _media_type(value) != _JSON:
                    return contract.UNSUPPORTED_MEDIA_TYPE
                break
        return matched


def malformed(status: int) -> contract.GatewayError:
    """The gateway's answer to a request the HTTP parser refused with ``status``."""
    return _MALFORMED.get(status, BAD_REQUEST)


def body_length(values: Sequence[str]) -> int | contract.GatewayError:
    """The body's length from the ``Content-Length`` values sent (none: 0), or the refusal.

    One value (or repeats of one value, RFC 9110, 8.6) of ASCII digits; no more
    than :data:`contract.MAX_PAYLOAD_BYTES`.
    """
    distinct = {value.strip(_OPTIONAL_WHITESPACE) for value in values}
    if not distinct:
        return 0
    if len(distinct) > 1:
        return BAD_CONTENT_LENGTH
    (text,) = distinct
    if not (text.isascii() and text.isdigit()):
        return BAD_CONTENT_LENGTH
    digits = text.lstrip("0")
    if len(digits) > len(str(contract.MAX_PAYLOAD_BYTES)):  # int() refuses 4,300 digits
        return contract.PAYLOAD_TOO_LARGE
    length = int(digits or "0")
    return contract.PAYLOAD_TOO_LARGE if length > contract.MAX_PAYLOAD_BYTES else length


def _media_type(content_type: str) -> str:
    """The media type of a Content-Type value, without parameters, lower-case."""
    return content_type.split(";", 1)[0].strip(_OPTIONAL_WHITESPACE).lower()
