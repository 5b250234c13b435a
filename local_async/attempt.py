"""One attempt of a function: the handler on its own thread, bounded by the timeout.

Lambda stops a function at its timeout. A Python thread cannot be stopped, so
the attempt stops *waiting* instead: it is reported as timed out, exactly as
Lambda reports it, and the thread is left to finish on its own (a daemon
thread, so it never holds the process open); whatever it returns then is
ignored.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

from chalicelib.async_api import json_codec
from local_async import records

#: How often a waiting attempt checks whether the engine is stopping.
_STOP_CHECK_SECONDS = 0.1

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Succeeded:
    """The handler returned a result, as the Lambda Python runtime writes it (its ``payload``)."""

    payload: json_codec.RawJSON


@dataclass(frozen=True)
class Failed:
    """The attempt failed; ``error`` is Lambda's error object for it."""

    error: records.LambdaError


@dataclass(frozen=True)
class Abandoned:
    """The engine stopped before the handler finished: the attempt has no outcome."""


Outcome = Succeeded | Failed | Abandoned


def run_attempt(
    handler: Handler,
    event: Any,
    context: Any,
    *,
    request_id: str,
    timeout_seconds: float,
    deadline: float,
    stopping: threading.Event,
    monotonic: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Call ``handler(event, context)`` and wait for it until ``deadline`` (monotonic)."""
    future: Future[Any] = Future()

    def call() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(handler(event, context))
        except BaseException as failure:  # the function's failure, whatever it is
            future.set_exception(failure)

    threading.Thread(target=call, name=f"function-{request_id[:8]}", daemon=True).start()
    while True:
        remaining = deadline - monotonic()
        done, _ = wait([future], timeout=max(0.0, min(remaining, _STOP_CHECK_SECONDS)))
        if done:
            break
        if stopping.is_set():
            return Abandoned()
        if monotonic() >= deadline:
            return Failed(records.timeout_error(request_id, timeout_seconds))
    failure = future.exception()
    return settled(None if failure is not None else future.result(), failure, request_id)


def run_on_this_thread(
    handler: Handler,
    event: Any,
    context: Any,
    *,
    request_id: str,
    timeout_seconds: float,
    monotonic: Callable[[], float] = time.monotonic,
) -> Succeeded | Failed:
    """Call ``handler(event, context)`` on the calling thread; time it out once it returns.

    For synchronous calls: no thread is started per call, and the answer is
    Lambda's (``Sandbox.Timedout`` past ``timeout_seconds``), but a function
    that runs late is waited for, since a Python thread cannot be stopped.
    """
    started = monotonic()
    try:
        result, failure = handler(event, context), None
    except BaseException as raised:  # the function's failure, whatever it is
        result, failure = None, raised
    if monotonic() - started > timeout_seconds:
        return Failed(records.timeout_error(request_id, timeout_seconds))
    return settled(result, failure, request_id)


def settled(result: Any, failure: BaseException | None, request_id: str) -> Succeeded | Failed:
    """The outcome of a handler that returned ``result`` or raised ``failure``."""
    if failure is not None:
        return Failed(records.exception_error(failure, request_id))
    problem = marshal_problem(result)
    if problem is not None:
        return Failed(records.marshal_error(request_id, problem))
    return Succeeded(lambda_payload(result))


def lambda_payload(result: Any) -> json_codec.RawJSON:
    """``result`` as the Lambda Python runtime writes it: its own marshaller, its own text.

    ``awslambdaric`` (a development dependency, never in the Lambda zip) writes
    a ``Decimal`` as its exact digits, and non-ASCII unescaped when
    ``AWS_EXECUTION_ENV`` names a python3.12+ runtime, as Lambda sets it.
    Call it on a result :func:`marshal_problem` accepted.
    """
    text, _content_type = LambdaMarshaller().marshal_response(result)
    return json_codec.RawJSON(text)


def marshal_problem(result: Any) -> Exception | None:
    """Why ``result`` cannot be recorded as JSON, or None if it can: a Runtime.MarshalError.

    Like the Lambda Python runtime's encoder, this takes dict keys that are str,
    int, float, bool or None and refuses cycles and unencodable objects. It is
    stricter in two places: NaN and Infinity are refused (the runtime writes
    them, but they are not JSON and no destination could hold them), and so is
    ``bytes`` (which the runtime passes through as raw output).
    """
    try:
        json.dumps(result, default=_decimal_placeholder)  # the runtime's rules: keys, cycles
        json_codec.dumps(result)  # how the engine writes it: exact decimals, no NaN
    except Exception as problem:  # e.g. RecursionError: still the function's fault
        return problem
    return None


def _decimal_placeholder(value: Any) -> Any:
    if isinstance(value, Decimal):
        return 0  # a decimal is a JSON number to the runtime; json_codec writes its digits
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
