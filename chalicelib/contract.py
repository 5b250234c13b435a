"""The API's contract: invocation types, the event the function receives, bodies.

Everything here is pure data shaping. The same event is built by the Chalice
route (``chalice local``, plain ``chalice deploy``) and by API Gateway's request
template in the CDK stack, and the bodies are the ones the response templates
produce, so the three runtimes answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict
from urllib.parse import unquote

from chalicelib.arithmetic import InvalidNumber, quoted

RESOURCE_PATH = "/square/{number}"
INVOCATION_TYPE_HEADER = "InvocationType"
REQUEST_RESPONSE = "RequestResponse"
EVENT = "Event"
#: Lambda's own spellings, in the order a client would try them.
ACCEPTED_INVOCATION_TYPES = (REQUEST_RESPONSE, EVENT)
ACCEPTED_MESSAGE = "Event received. Check queue/logs for status"
#: What the 502 and 503 answers accept: the same request, later.
RETRY_ACCEPTED = "a retry of the same request"

#: The six request-context keys every body starts with, in order.
CONTEXT_KEYS = (
    "api_stage",
    "api_request_id",
    "api_resource_path",
    "http_method",
    "source_ip",
    "user-agent",
)

# TypedDict's functional form because "user-agent" is not an identifier.
SquareEvent = TypedDict(
    "SquareEvent",
    {
        "number": str,
        "invocation_type": str,
        "api_stage": str,
        "api_request_id": str,
        "api_resource_path": str,
        "http_method": str,
        "source_ip": str,
        "user-agent": str,
    },
)

Body = dict[str, Any]


class InvalidInvocationType(ValueError):
    """The ``InvocationType`` header holds a value this API does not accept."""


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


def number_from_path(raw: str) -> str:
    """The number text a client sent, from the path segment as it arrived.

    API Gateway REST APIs (proxy and non-proxy alike) and ``chalice local`` pass
    path parameters still percent-encoded, so ``/square/%2B12.50`` carries
    ``%2B12.50``; the event keeps that raw text and this is the one place that
    decodes it. Invalid UTF-8 raises :class:`InvalidNumber` quoting the raw text.
    """
    try:
        return unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InvalidNumber(
            f"{quoted(raw)} is not a plain number: its percent-encoding is not UTF-8"
        ) from None


def build_event(
    *,
    number: str,
    invocation_type: str,
    stage: str,
    request_id: str,
    http_method: str,
    source_ip: str,
    user_agent: str | None,
) -> SquareEvent:
    """The event ``get_square_fn`` receives for one API request."""
    return {
        "number": number,
        "invocation_type": invocation_type,
        "api_stage": stage,
        "api_request_id": request_id,
        "api_resource_path": RESOURCE_PATH,
        "http_method": http_method,
        "source_ip": source_ip,
        "user-agent": user_agent or "",
    }


def context_of(event: Mapping[str, Any]) -> Body:
    """The six request-context keys of an event, in contract order."""
    return {key: event.get(key, "") for key in CONTEXT_KEYS}


def sync_body(event: Mapping[str, Any], square: Any) -> Body:
    """The 200 body of a synchronous call."""
    return {
        **context_of(event),
        "synchronous_invocation": "true",
        "square_of_your_number_is": square,
    }


def async_result(event: Mapping[str, Any], square: Any) -> Body:
    """What an asynchronous run returns: the ``responsePayload`` of its record."""
    return {
        **context_of(event),
        "asynchronous_invocation": "true",
        "square_of_your_number_is": square,
    }


def accepted_body(event: Mapping[str, Any]) -> Body:
    """The 202 body of an asynchronous call, sent before any work is done."""
    return {
        **context_of(event),
        "asynchronous_invocation": "true",
        "message": ACCEPTED_MESSAGE,
    }


def error_body(event: Mapping[str, Any], error: str, message: str, accepted: str) -> Body:
    """The 400 body: what was wrong (``error``, ``message``) and what is ``accepted``.

    The request id is kept so that an asynchronous call with a bad number can
    still be matched to its record.
    """
    return {
        "error": error,
        "message": message,
        "accepted": accepted,
        "api_request_id": event.get("api_request_id", ""),
    }


def is_error(body: Mapping[str, Any]) -> bool:
    """Whether a body returned by ``get_square_fn`` is a 400 answer."""
    return "error" in body
