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
    payload = marshalled(result)
    if isinstance(payload, Exception):
        return Failed(records.marshal_error(request_id, payload))
    return Succeeded(payload)


def marshalled(result: Any) -> json_codec.RawJSON | Exception:
    """``result`` as the Lambda Python runtime writes it, or why it cannot be recorded.

    The runtime's own marshaller (``awslambdaric``, a development dependency,
    never in the Lambda zip) is the judge, and its text is kept: a ``Decimal``
    as its exact digits, non-ASCII unescaped when ``AWS_EXECUTION_ENV`` names a
    python3.12+ runtime, as Lambda sets it. What it refuses (cycles, keys that
    are not str, int, float, bool or None, objects it cannot encode) is a
    ``Runtime.MarshalError``, with its message. Stricter in two places: NaN
    and Infinity, which it writes but are not JSON and no destination could
    hold, and a ``bytes`` result, which it passes through as raw output.
    """
    if isinstance(result, bytes):
        return TypeError("a bytes result is raw output, not JSON")
    try:
        text, _content_type = LambdaMarshaller().marshal_response(result)
    except Exception as refused:  # its FaultException, raised from the encoder's error
        return refused.__context__ if isinstance(refused.__context__, Exception) else refused
    if ("NaN" in text or "Infinity" in text) and _has_non_finite(text):
        return ValueError("Out of range float values are not JSON compliant: NaN or Infinity")
    return json_codec.RawJSON(text)


class _NonFinite(Exception):
    pass


def _has_non_finite(text: str) -> bool:
    """Whether JSON ``text`` holds a NaN or Infinity token, not merely those letters in a string."""

    def refuse(constant: str) -> Any:
        raise _NonFinite(constant)

    try:
        json.loads(text, parse_constant=refuse)
    except _NonFinite:
        return True
    except ValueError:  # e.g. an integer past int()'s digit limit: finite, and the runtime's text
        return False
    return False
