"""The declaration of one async-capable function: its route, its Lambda function, its policy.

Pure data and its checks, no I/O. One :class:`AsyncFunction` per function is
all the mechanism needs: the route, the local engine, the record reader, the
CDK stack, the IAM policies of plain ``chalice deploy`` and the OpenAPI
document are derived from the declarations (``AsyncApi.functions``).

Named tuples rather than dataclasses: importing ``dataclasses`` (and the
``inspect`` it imports) would add about 5 ms to every Lambda cold start.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from chalicelib.async_api import contract

#: Lambda's ``MaximumRetryAttempts``: 0 to 2 retries after the first attempt (default 2).
RETRY_ATTEMPTS_RANGE = (0, 2)
#: Lambda's ``MaximumEventAgeInSeconds``: 60 s to 6 h (default 6 h).
EVENT_AGE_RANGE_SECONDS = (60, 21600)
#: Lambda's timeout: 1 s to 900 s.
TIMEOUT_RANGE_SECONDS = (1, 900)
#: Lambda's memory: 128 MB to 10,240 MB.
MEMORY_RANGE_MB = (128, 10240)
#: A function's reserved concurrency unless its declaration says otherwise: at most this
#: many instances run at once, so one caller cannot take the account's whole concurrency.
DEFAULT_RESERVED_CONCURRENCY = 10
#: SQS queue names: 1 to 80 characters, alphanumerics, hyphens and underscores.
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
#: Chalice function names become part of Lambda names (``<app>-<stage>-<name>``) and of
#: Python identifiers (the handler ``app.<name>``).
_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,47}")
_ROUTE_PARAMETER = re.compile(r"\{([^{}]*)\}")
_PARAMETER_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ROUTE_LITERAL = re.compile(r"[A-Za-z0-9._~-]+")

#: What a domain handler returns: the result's keys, added to the body after the context.
Result = Mapping[str, Any]


class DeclarationError(ValueError):
    """A declaration the mechanism cannot serve; refused when app.py is imported."""


class AsyncInvokeConfig(NamedTuple):
    """Lambda's asynchronous invocation settings for one function (its ``EventInvokeConfig``).

    Queue names left ``None`` follow the function's name, as in the article:
    ``async_<name>_dest_queue`` and ``async_<name>_dlq``.
    """

    #: Retries after a failed attempt: 0, 1 or 2. Lambda waits about 1 minute before
    #: the first retry and 2 minutes before the second.
    maximum_retry_attempts: int = 2
    #: Events older than this (seconds, 60-21600) go to the on-failure destination.
    maximum_event_age_seconds: int = 21600
    #: The on-success destination, an SQS queue name.
    on_success_queue: str | None = None
    #: The on-failure destination, an SQS queue name. It receives invocation records,
    #: unlike Lambda's legacy dead-letter queue (``DeadLetterConfig``), which receives
    #: only the original event.
    on_failure_queue: str | None = None


class Parameter(NamedTuple):
    """What one path parameter accepts: quoted in 400 answers and in the OpenAPI document."""

    #: A sentence for people: what is accepted, with examples.
    accepted: str
    #: An ECMAScript regular expression the decoded text matches (OpenAPI ``pattern``).
    pattern: str | None = None
    max_length: int | None = None
    #: A valid value, used in the OpenAPI document and the docs.
    example: str | None = None


#: The path parameter of a route that declares no :class:`Parameter` for it.
ANY_TEXT = Parameter(accepted="the path segment as percent-encoded UTF-8 text")


class AsyncFunction(NamedTuple):
    """One async-capable function: a Chalice pure Lambda function behind a GET route."""

    #: The Chalice function name: the Lambda function is ``<app>-<stage>-<name>``.
    name: str
    #: The API Gateway resource path, e.g. ``/reports/{account}/{month}``.
    route: str
    #: The Lambda handler Chalice registered, ``(event, context) -> body``.
    lambda_handler: Callable[[Any, Any], Any]
    config: AsyncInvokeConfig
    #: The function's timeout in seconds (Chalice's ``lambda_timeout``).
    timeout_seconds: int
    #: The function's memory in MB (Chalice's ``lambda_memory_size``).
    memory_mb: int
    #: One :class:`Parameter` per path parameter, in route order.
    parameters: Mapping[str, Parameter]
    #: One line for the OpenAPI document and the stack's outputs.
    summary: str
    #: The OpenAPI schemas of the result's keys, e.g. ``{"total": {"type": "number"}}``.
    result_schema: Mapping[str, Any]
    #: Reads and checks the function's own environment variables; raises ``ValueError``
    #: naming the variable. Called before the server or the engine starts and at synth,
    #: so a bad value is refused at start-up, not discovered per request.
    settings: Callable[[Mapping[str, str]], object] | None
    #: Lambda's reserved concurrency (``ReservedConcurrentExecutions``; Chalice's
    #: ``reserved_concurrency``): at most this many instances at once, taken out of the
    #: account's pool. Asynchronous events beyond it wait in Lambda's queue and, older
    #: than ``maximum_event_age_seconds``, go to the on-failure destination
    #: (``EventAgeExceeded``); synchronous calls beyond it are refused (429). ``None``:
    #: no reservation, the function shares the account's unreserved concurrency.
    reserved_concurrency: int | None = DEFAULT_RESERVED_CONCURRENCY

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """The route's parameter names, in order."""
        return path_parameters(self.route)

    @property
    def on_success_queue(self) -> str:
        """The on-success destination queue's name."""
        return self.config.on_success_queue or f"async_{self.name}_dest_queue"

    @property
    def on_failure_queue(self) -> str:
        """The on-failure destination queue's name."""
        return self.config.on_failure_queue or f"async_{self.name}_dlq"

    @property
    def queues(self) -> tuple[str, str]:
        """The on-success and the on-failure queue, in that order."""
        return (self.on_success_queue, self.on_failure_queue)


def path_parameters(route: str) -> tuple[str, ...]:
    """The parameter names of ``route`` (``/a/{x}/b/{y}`` gives ``("x", "y")``)."""
    return tuple(_ROUTE_PARAMETER.findall(route))


def error_name(parameter: str) -> str:
    """The ``error`` of a 400 about ``parameter``: ``number`` gives ``InvalidNumber``."""
    return "Invalid" + "".join(part.capitalize() for part in parameter.split("_"))


def check(function: AsyncFunction, others: tuple[AsyncFunction, ...] = ()) -> None:
    """Refuse a declaration the mechanism, Lambda or SQS cannot serve, saying why.

    ``others`` are the functions declared before it, for names, routes and
    queues that must be unique. Raises :class:`DeclarationError`.
    """
    where = f"async function {function.name!r}"
    if _FUNCTION_NAME.fullmatch(function.name) is None:
        raise DeclarationError(
            f"{where}: the name must be a Python identifier of at most 48 characters"
        )
    _check_route(where, function.route)
    names = function.path_parameters
    if not names:
        raise DeclarationError(f"{where}: the route {function.route} has no path parameter")
    undeclared = set(function.parameters) - set(names)
    if undeclared:
        raise DeclarationError(
            f"{where}: parameters {sorted(undeclared)} are not in the route {function.route}"
        )
    _check_range(
        where,
        "maximum_retry_attempts",
        function.config.maximum_retry_attempts,
        RETRY_ATTEMPTS_RANGE,
    )
    _check_range(
        where,
        "maximum_event_age_seconds",
        function.config.maximum_event_age_seconds,
        EVENT_AGE_RANGE_SECONDS,
    )
    _check_range(where, "timeout_seconds", function.timeout_seconds, TIMEOUT_RANGE_SECONDS)
    _check_range(where, "memory_mb", function.memory_mb, MEMORY_RANGE_MB)
    if function.reserved_concurrency is not None:
        # 0 is Lambda's off switch: every event would go to the on-failure queue unrun.
        # The upper bound is the account's: Lambda keeps 100 of its quota unreserved.
        _check_range(where, "reserved_concurrency", function.reserved_concurrency, (1, None))
    for queue in function.queues:
        if _QUEUE_NAME.fullmatch(queue) is None:
            raise DeclarationError(
                f"{where}: queue name {queue!r} is not 1-80 letters, digits, - or _"
            )
    if function.on_success_queue == function.on_failure_queue:
        raise DeclarationError(f"{where}: the on-success and on-failure queues must differ")
    reserved = set(function.result_schema) & contract.RESERVED_KEYS
    if reserved:
        raise DeclarationError(f"{where}: result keys {sorted(reserved)} are the contract's own")
    for other in others:
        if other.name == function.name:
            raise DeclarationError(f"{where} is declared twice")
        if other.route == function.route:
            raise DeclarationError(f"{where}: {function.route} is {other.name!r}'s route already")
        shared = set(other.queues) & set(function.queues)
        if shared:
            raise DeclarationError(f"{where}: queues {sorted(shared)} belong to {other.name!r}")


def _check_route(where: str, route: str) -> None:
    if not route.startswith("/") or route.endswith("/"):
        raise DeclarationError(f"{where}: the route {route!r} must start, not end, with /")
    seen: set[str] = set()
    for segment in route[1:].split("/"):
        parameter = _ROUTE_PARAMETER.fullmatch(segment)
        if parameter is None:
            if _ROUTE_LITERAL.fullmatch(segment) is None:
                raise DeclarationError(
                    f"{where}: route segment {segment!r} must be a whole {{parameter}} or "
                    "letters, digits and ._~-"
                )
            continue
        name = parameter.group(1)
        if _PARAMETER_NAME.fullmatch(name) is None:
            raise DeclarationError(
                f"{where}: path parameter {name!r} must be lower-case letters, digits and _"
            )
        if name in contract.RESERVED_KEYS or name in seen:
            raise DeclarationError(
                f"{where}: path parameter {name!r} is used twice or is an event key of its own"
            )
        seen.add(name)


def _check_range(where: str, field: str, value: object, bounds: tuple[int, int | None]) -> None:
    low, high = bounds
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        expected = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise DeclarationError(f"{where}: {field} is {value!r}; expected a whole number {expected}")
