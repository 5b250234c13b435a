"""Ways to run get_square_fn in the background; the route picks one by runtime.

- In Lambda (plain ``chalice deploy``): :class:`LambdaEventInvoker`, a boto3
  ``Invoke`` with ``InvocationType=Event``; Lambda queues the event and applies
  the function's EventInvokeConfig.
- Under ``chalice local`` and the test client: the local engine of the
  ``local_async`` package, which emulates Lambda's asynchronous invocation.
  That package lives beside ``chalicelib`` and is not in the Lambda zip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chalicelib import contract, json_codec

#: Set by ``chalice deploy``'s stage config or the CDK stack; when absent in
#: Lambda, Chalice's own naming ``<app>-<stage>-<function>`` is derived from the
#: API handler's name, which is ``<app>-<stage>``.
FUNCTION_NAME_VARIABLE = "GET_SQUARE_FN_NAME"

Handler = Callable[[Any, Any], Any]


class AsyncInvoker(Protocol):
    """Accepts an event for background processing."""

    def submit(self, event: contract.SquareEvent) -> None:
        """Return once the event is accepted (durably, where the runtime can)."""

    def start(self) -> None:
        """Resume pending work, if this invoker keeps any."""


class InvokeFailed(RuntimeError):
    """The event could not be handed over; it was not accepted."""


class LambdaEventInvoker:
    """Hands events to Lambda's own asynchronous queue with ``lambda:InvokeFunction``."""

    def __init__(self, function_name: str, client: Any) -> None:
        self._function_name = function_name
        self._client = client

    def submit(self, event: contract.SquareEvent) -> None:
        """Invoke the function with ``InvocationType=Event``; Lambda answers 202."""
        answer = self._client.invoke(
            FunctionName=self._function_name,
            InvocationType="Event",
            Payload=json_codec.dumps(event).encode("utf-8"),
        )
        if answer.get("StatusCode") != 202:
            raise InvokeFailed(f"Lambda answered {answer.get('StatusCode')} instead of 202")

    def start(self) -> None:
        """Nothing to resume: Lambda keeps its own queue."""


def lambda_function_name(env: Mapping[str, str]) -> str:
    """The deployed name of get_square_fn, seen from the API handler."""
    explicit = env.get(FUNCTION_NAME_VARIABLE)
    if explicit:
        return explicit
    # Imported here, off the cold start (its dataclass pulls in dataclasses and inspect).
    from chalicelib.async_policy import GET_SQUARE_FN_POLICY

    return f"{env['AWS_LAMBDA_FUNCTION_NAME']}-{GET_SQUARE_FN_POLICY.function_name}"


def for_environment(env: Mapping[str, str], handler: Handler) -> AsyncInvoker:
    """The invoker for where this code runs: Lambda, or a local process."""
    if env.get("AWS_LAMBDA_FUNCTION_NAME"):
        import boto3  # only in Lambda, where the runtime provides it

        # Lambda sets AWS_REGION; the client's region is read from ``env`` so
        # that what this function is given is all it depends on.
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        client = boto3.client("lambda", region_name=region)
        return LambdaEventInvoker(lambda_function_name(env), client)
    # Imported by name: the local-only package is absent from the Lambda zip.
    import importlib

    local_async = importlib.import_module("local_async")
    invoker: AsyncInvoker = local_async.engine_for(handler, env)
    return invoker


class LazyInvoker:
    """Builds the real invoker on first use, so importing app.py starts nothing."""

    def __init__(self, build: Callable[[], AsyncInvoker]) -> None:
        self._build = build
        self._invoker: AsyncInvoker | None = None
        self._lock = threading.Lock()

    def get(self) -> AsyncInvoker:
        """The invoker, built once; thread-safe."""
        with self._lock:
            if self._invoker is None:
                # Kept only once started: an invoker whose start failed would
                # accept events that nothing ever runs.
                built = self._build()
                built.start()
                self._invoker = built
            return self._invoker
