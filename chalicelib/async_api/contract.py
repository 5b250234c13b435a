"""The API's contract, the same for every declared function: invocation types, events, bodies.

Pure data shaping. The same event is built by the Chalice route (``chalice
local``, plain ``chalice deploy``) and by API Gateway's request template in
the CDK stack, and the bodies are the ones the response templates produce, so
the three runtimes answer alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote

INVOCATION_TYPE_HEADER = "InvocationType"
REQUEST_RESPONSE = "RequestResponse"
EVENT = "Event"
#: Lambda's own spellings, in the order a client would try them.
ACCEPTED_INVOCATION_TYPES = (REQUEST_RESPONSE, EVENT)
ACCEPTED_MESSAGE = "Event received. Check queue/logs for status"
#: What the 502 and 503 answers accept: the same request, later.
RETRY_ACCEPTED = "a retry of the same request"
#: The 502's error and fixed message: what the function raised stays in its logs
#: (an exception's text can hold settings, paths or data), only its type is answered.
FUNCTION_ERROR = "FunctionError"
FUNCTION_ERROR_MESSAGE = "the function failed; its logs say why, under this api_request_id"
#: The event's key for the invocation type, after the path parameters.
INVOCATION_TYPE_KEY = "invocation_type"
SYNC_FLAG = "synchronous_invocation"
ASYNC_FLAG = "asynchronous_invocation"

#: The six request-context keys every body starts with, in order.
CONTEXT_KEYS = (
    "api_stage",
    "api_request_id",
    "api_resource_path",
    "http_method",
    "source_ip",
    "user-agent",
)
#: Keys of events and bodies that path parameters and results may not use.
RESERVED_KEYS = frozenset(
    {INVOCATION_TYPE_KEY, *CONTEXT_KEYS, SYNC_FLAG, ASYNC_FLAG, "message", "error", "accepted"}
)

#: What a function receives: the path parameters (raw text), the invocation type,
#: the six context keys, in that order.
Event = dict[str, Any]
Body = dict[str, Any]

_SHOWN_CHARS = 40


class InvalidInvocationType(ValueError):
    """The ``InvocationType`` header holds a value this API does not accept."""


class InvalidPathParameter(ValueError):
    """A path parameter's text cannot be decoded; ``str()`` says why."""


def invocation_type_from_header(value: str | None) -> str:
    """The invocation type a request asks for: the header value, or the default.

    ``None`` (header absent) means ``RequestResponse``, as on Lambda. Values are
    Lambda's own and case-sensitive, because API Gateway hands them to Lambda
    unchanged; anything else raises :class:`InvalidInvocationType`.
    """
    if value is None:
        return REQUEST_RESPONSE
    if value in ACCEPTED_INVOCATION_TYPES:
        return value
    raise InvalidInvocationType(
        f"the {INVOCATION_TYPE_HEADER} header value {quoted(value)} is not accepted"
    )


def decode_path_parameter(raw: str) -> str:
    """The text a client sent, from the path segment as it arrived.

    API Gateway REST APIs (proxy and non-proxy alike) and ``chalice local`` pass
    path parameters still percent-encoded, so ``/reports/%41cme`` carries
    ``%41cme``; the event keeps that raw text and this is the one place that
    decodes it. Invalid UTF-8 raises :class:`InvalidPathParameter` quoting the raw text.
    """
    try:
        return unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InvalidPathParameter(
            f"{quoted(raw)} is not accepted: its percent-encoding is not UTF-8"
        ) from None


def build_event(
    *,
    path_parameters: Mapping[str, str],
    invocation_type: str,
    stage: str,
    request_id: str,
    resource_path: str,
    http_method: str,
    source_ip: str,
    user_agent: str | None,
) -> Event:
    """The event a function receives for one API request.

    ``path_parameters`` are the raw segments, in route order.
    """
    return {
        **path_parameters,
        INVOCATION_TYPE_KEY: invocation_type,
        "api_stage": stage,
        "api_request_id": request_id,
        "api_resource_path": resource_path,
        "http_method": http_method,
        "source_ip": source_ip,
        "user-agent": user_agent or "",
    }


def context_of(event: Mapping[str, Any]) -> Body:
    """The six request-context keys of an event, in contract order."""
    return {key: event.get(key, "") for key in CONTEXT_KEYS}


def sync_body(event: Mapping[str, Any], result: Mapping[str, Any]) -> Body:
    """The 200 body of a synchronous call: the context, the flag, the result's keys."""
    return {**context_of(event), SYNC_FLAG: "true", **result}


def async_result(event: Mapping[str, Any], result: Mapping[str, Any]) -> Body:
    """What an asynchronous run returns: the ``responsePayload`` of its record."""
    return {**context_of(event), ASYNC_FLAG: "true", **result}


def accepted_body(event: Mapping[str, Any]) -> Body:
    """The 202 body of an asynchronous call, sent before any work is done."""
    return {**context_of(event), ASYNC_FLAG: "true", "message": ACCEPTED_MESSAGE}


def error_body(event: Mapping[str, Any], error: str, message: str, accepted: str) -> Body:
    """The 400 body: what was wrong (``error``, ``message``) and what is ``accepted``.

    The request id is kept so that an asynchronous call with bad input can
    still be matched to its record.
    """
    return {
        "error": error,
        "message": message,
        "accepted": accepted,
        "api_request_id": event.get("api_request_id", ""),
    }


def function_error_body(event: Mapping[str, Any], error_type: str) -> Body:
    """The 502 body of a synchronous call whose function failed: a fixed message and the type.

    ``error_type`` is Lambda's ``errorType`` (the exception's class name, or
    ``Sandbox.Timedout`` and the like); the exception's message is not answered.
    """
    return {
        "error": FUNCTION_ERROR,
        "message": FUNCTION_ERROR_MESSAGE,
        "error_type": error_type,
        "accepted": RETRY_ACCEPTED,
        "api_request_id": event.get("api_request_id", ""),
    }


class GatewayError(NamedTuple):
    """An answer API Gateway gives itself, before any function runs (a gateway response)."""

    status: int
    error: str
    message: str


#: Any method and path no route declares: API Gateway's MISSING_AUTHENTICATION_TOKEN
#: (403 by default), answered 404 by the stack's gateway response and by ``chalice local``.
NO_ROUTE = GatewayError(404, "NotFound", "no route of this API answers this method and path")
#: A Content-Type other than JSON: API Gateway's UNSUPPORTED_MEDIA_TYPE (the stack's
#: integrations have a JSON template only, and never pass a request through untransformed).
UNSUPPORTED_MEDIA_TYPE = GatewayError(
    415, "UnsupportedMediaType", "the request's Content-Type is not application/json"
)

#: A REST API's largest payload, "10 MB" in API Gateway's quotas, in bytes.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
#: A body over it: API Gateway's REQUEST_TOO_LARGE (413), with the stack's body.
PAYLOAD_TOO_LARGE = GatewayError(
    413, "RequestTooLarge", "the body is larger than API Gateway's 10 MB (10485760 bytes)"
)


def accepted_requests(routes: Sequence[str]) -> str:
    """What an API of these routes accepts, for the ``accepted`` of the gateway's answers."""
    return (
        f"GET {' or '.join(routes)}, no body or a JSON one, with an optional "
        f"{INVOCATION_TYPE_HEADER} header: {' or '.join(ACCEPTED_INVOCATION_TYPES)}"
    )


def gateway_error_body(error: GatewayError, accepted: str, request_id: str) -> Body:
    """The body of a gateway answer, in the shape of every other error body."""
    return {
        "error": error.error,
        "message": error.message,
        "accepted": accepted,
        "api_request_id": request_id,
    }


class SyncAnswer(NamedTuple):
    """What a synchronous call answers for a function's payload: its status, and
    Lambda's ``errorType`` when the payload is a function error (a 502)."""

    status: int
    error_type: str | None


#: Java's ``\s``, which the stack's response template strips with ``replaceAll``.
_JAVA_SPACE = re.compile(r"[ \t\n\x0b\f\r]*")


def sync_answer(payload: str) -> SyncAnswer:
    """Tell a function's payload text apart as the stack's response template does.

    ``infrastructure/templates/response.vtl`` reads the first key, never the
    whole payload (a 2,000-digit number is passed through, not parsed): a body
    starting ``{"api_stage"`` is the 200, ``{"error"`` the 400, and anything
    else Lambda's error object, a 502 with its ``errorType`` ("" when it has
    none). Pure; ``payload`` is JSON text as Lambda returns it, up to 6 MB: it is
    read where its first key stands, not copied.
    """
    start = _JAVA_SPACE.match(payload).end()  # type: ignore[union-attr]  # "*" always matches
    key = -1
    if payload.startswith("{", start):
        key = _JAVA_SPACE.match(payload, start + 1).end()  # type: ignore[union-attr]
    if key >= 0 and payload.startswith('"api_stage"', key):
        return SyncAnswer(200, None)
    if key >= 0 and payload.startswith('"error"', key):
        return SyncAnswer(400, None)
    error_type = ""
    if start < len(payload) and not (key >= 0 and payload.startswith("}", key)):
        try:
            error = json.loads(payload[start:])
        except ValueError:
            error = None
        if isinstance(error, dict) and isinstance(error.get("errorType"), str):
            error_type = error["errorType"]
    return SyncAnswer(502, error_type)


def quoted(text: str) -> str:
    """Client text quoted for an error message: ASCII-escaped, at most about 40 characters."""
    escaped = ascii(text)
    return escaped if len(escaped) <= _SHOWN_CHARS else escaped[:_SHOWN_CHARS] + "..."
