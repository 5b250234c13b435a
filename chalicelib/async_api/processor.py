"""The generic Lambda handler: one event in, the contract's body out, for any domain handler.

Every declared function runs through :func:`process`, in Lambda (the stack's
non-proxy integration, plain ``chalice deploy``'s asynchronous invoke), in the
local engine and in the route's synchronous call. It checks what the mechanism
owns (the invocation type, the path parameters' encoding), hands the domain
handler an :class:`AsyncRequest`, and wraps the result in the contract's body:
the domain code never builds a body and never sees a malformed event.

Bad input is an answer, not an exception: a 400 body, also for an asynchronous
call (its record lands on the on-success queue carrying that body, because
retrying cannot fix it). Any other exception is the function's failure: a 502
for a synchronous call, retries and then the on-failure destination for an
asynchronous one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from chalicelib.async_api import contract
from chalicelib.async_api.declaration import ANY_TEXT, Parameter, Result, error_name


class InvalidInput(ValueError):
    """Raised by a domain handler when the request cannot be served as sent: a 400 body.

    ``error`` names the problem (``InvalidNumber``), ``message`` says what was
    wrong, ``accepted`` what would be accepted. Never retried.
    """

    def __init__(self, error: str, message: str, accepted: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.accepted = accepted


class AsyncRequest(NamedTuple):
    """What a domain handler receives for one invocation."""

    #: The path parameters, percent-decoded once, by name.
    path: Mapping[str, str]
    #: ``RequestResponse`` or ``Event``.
    invocation_type: str
    #: The whole event, as API Gateway's request template or the route built it.
    event: Mapping[str, Any]
    #: The Lambda context (under ``chalice local``, the local invokers' stand-in).
    context: Any


DomainHandler = Callable[[AsyncRequest], Result]


def process(
    handler: DomainHandler,
    parameters: Mapping[str, Parameter],
    names: tuple[str, ...],
    event: Any,
    context: Any,
) -> contract.Body:
    """The body for ``event``: a 200 body, an asynchronous result, or a 400 body.

    ``names`` are the route's path parameters, ``parameters`` what each accepts.
    Raises whatever ``handler`` raises other than :class:`InvalidInput`, and
    ``TypeError`` when it returns something other than a mapping of new keys.
    """
    if not isinstance(event, Mapping):
        return contract.error_body(
            {},
            "InvalidEvent",
            f"the event must be a JSON object, got {type(event).__name__}",
            "the event API Gateway or the route builds",
        )
    try:
        invocation_type = contract.invocation_type_from_header(
            event.get(contract.INVOCATION_TYPE_KEY)
        )
    except contract.InvalidInvocationType as problem:
        return contract.error_body(
            event,
            "InvalidInvocationType",
            str(problem),
            " or ".join(contract.ACCEPTED_INVOCATION_TYPES),
        )
    path: dict[str, str] = {}
    for name in names:
        accepted = parameters.get(name, ANY_TEXT).accepted
        raw = event.get(name)
        if not isinstance(raw, str):
            return contract.error_body(
                event,
                error_name(name),
                f"the event's {name!r} must be the path segment's text, got {type(raw).__name__}",
                accepted,
            )
        try:
            path[name] = contract.decode_path_parameter(raw)
        except contract.InvalidPathParameter as problem:
            return contract.error_body(event, error_name(name), str(problem), accepted)
    try:
        result = handler(AsyncRequest(path, invocation_type, event, context))
    except InvalidInput as problem:
        return contract.error_body(event, problem.error, problem.message, problem.accepted)
    _check_result(result)
    if invocation_type == contract.EVENT:
        return contract.async_result(event, result)
    return contract.sync_body(event, result)


def _check_result(result: object) -> None:
    if not isinstance(result, Mapping):
        raise TypeError(f"a domain handler returns a mapping of result keys, not {result!r:.60}")
    clashes = contract.RESERVED_KEYS.intersection(result)
    if clashes:
        raise TypeError(f"result keys {sorted(clashes)} are the contract's own")
