"""Ways to run a declared function, in the background or at once; :class:`AsyncApi` picks one.

Lambda's two invocation types, each with its own seam:

- ``Event`` (:class:`AsyncInvoker`). In Lambda (plain ``chalice deploy``):
  :class:`LambdaEventInvoker`, a boto3 ``Invoke`` with ``InvocationType=Event``;
  Lambda queues the event and applies the function's EventInvokeConfig.
- ``RequestResponse`` (:class:`SyncInvoker`). In Lambda:
  :class:`LambdaSyncInvoker`, a boto3 ``Invoke`` with
  ``InvocationType=RequestResponse``, so the function runs with its own
  timeout, memory and reserved concurrency, as the CDK stack's integration
  invokes it.

Under ``chalice local`` and the test client, app.py hands in the local ones
(they live in the local-only ``local_async`` package, absent from the Lambda
zip, so nothing here imports them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from chalicelib.async_api import json_codec


class AsyncInvoker(Protocol):
    """Accepts events for background processing by a declared function."""

    def submit(self, function_name: str, event: Mapping[str, Any]) -> None:
        """Return once the event is accepted (durably, where the runtime can)."""

    def start(self) -> None:
        """Resume pending work, if this invoker keeps any."""


class SyncInvoker(Protocol):
    """Runs a declared function at once and returns what it answered."""

    def invoke(self, function_name: str, event: Mapping[str, Any]) -> str:
        """The function's payload, as Lambda returns it to its caller: JSON text.

        A function that failed (raised, timed out, returned what cannot be
        marshalled) answers Lambda's error object, ``{"errorMessage": ...,
        "errorType": ...}``; :func:`contract.sync_answer` tells them apart as
        the stack's response template does. Raises :class:`InvokeFailed` when
        the function could not be invoked at all.
        """


class InvokeFailed(RuntimeError):
    """The event could not be handed over; it was not accepted."""


class LambdaEventInvoker:
    """Hands events to Lambda's own asynchronous queue with ``lambda:InvokeFunction``.

    Chalice names a project's functions ``<app>-<stage>-<name>`` and its API
    handler ``<app>-<stage>``, so from the API handler a declared function is
    ``<own name>-<name>`` (``chalice/deploy/appgraph.py``).
    """

    def __init__(self, api_handler_name: str, client: Any) -> None:
        self._prefix = api_handler_name
        self._client = client

    def function_name(self, name: str) -> str:
        """The deployed name of the declared function ``name``."""
        return f"{self._prefix}-{name}"

    def submit(self, function_name: str, event: Mapping[str, Any]) -> None:
        """Invoke the function with ``InvocationType=Event``; Lambda answers 202."""
        answer = self._client.invoke(
            FunctionName=self.function_name(function_name),
            InvocationType="Event",
            Payload=json_codec.dumps(event).encode("utf-8"),
        )
        if answer.get("StatusCode") != 202:
            raise InvokeFailed(f"Lambda answered {answer.get('StatusCode')} instead of 202")

    def start(self) -> None:
        """Nothing to resume: Lambda keeps its own queue."""


class LambdaSyncInvoker:
    """Runs a declared function with ``lambda:InvokeFunction``, ``InvocationType=RequestResponse``.

    Lambda answers 200 with the function's payload, and sets ``FunctionError``
    when that payload is the function's error object (Lambda API reference,
    Invoke). Names as :class:`LambdaEventInvoker`.
    """

    def __init__(self, api_handler_name: str, client: Any) -> None:
        self._prefix = api_handler_name
        self._client = client

    def invoke(self, function_name: str, event: Mapping[str, Any]) -> str:
        """The function's payload text; :class:`InvokeFailed` if Lambda did not run it."""
        try:
            answer = self._client.invoke(
                FunctionName=f"{self._prefix}-{function_name}",
                InvocationType="RequestResponse",
                Payload=json_codec.dumps(event).encode("utf-8"),
            )
            payload: bytes = answer["Payload"].read()
        except Exception as failure:  # throttled, not found, the network: not run
            raise InvokeFailed(f"{type(failure).__name__}: {failure}") from failure
        return payload.decode("utf-8")


def _lambda_client(env: Mapping[str, str], config: Any = None) -> Any:
    import boto3  # only in Lambda, where the runtime provides it

    # Lambda sets AWS_REGION; it is read from ``env`` so that what this
    # function is given is all it depends on.
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    return boto3.client("lambda", region_name=region, config=config)


def lambda_event_invoker(env: Mapping[str, str]) -> LambdaEventInvoker:
    """The invoker of an API handler running in Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set)."""
    return LambdaEventInvoker(env["AWS_LAMBDA_FUNCTION_NAME"], _lambda_client(env))


def lambda_sync_invoker(
    env: Mapping[str, str], *, longest_timeout_seconds: int
) -> LambdaSyncInvoker:
    """The synchronous invoker of an API handler running in Lambda.

    A synchronous call waits as long as the function runs: the client's read
    timeout is the longest declared function timeout plus a margin, where
    botocore's default is 60 s (AWS's Invoke documentation asks callers of
    long functions to allow for long connections). Its calls are never
    retried: a retried RequestResponse call runs the function again.
    """
    from botocore.config import Config  # only in Lambda, where the runtime provides it

    config = Config(
        read_timeout=longest_timeout_seconds + SYNC_READ_MARGIN_SECONDS,
        retries={"total_max_attempts": 1},
    )
    return LambdaSyncInvoker(env["AWS_LAMBDA_FUNCTION_NAME"], _lambda_client(env, config))


#: Seconds a synchronous call's client waits beyond the function's timeout:
#: Lambda's own answer to a timed-out function takes a moment to come back.
SYNC_READ_MARGIN_SECONDS = 10

T = TypeVar("T")


class Lazy(Generic[T]):
    """Builds an invoker on first use, so importing app.py starts nothing.

    ``build`` returns a ready invoker, started if it keeps work; if it raises,
    nothing is kept and the next use builds again: an invoker whose start
    failed would accept events that nothing ever runs.
    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._built: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """The invoker, built once; thread-safe."""
        with self._lock:
            if self._built is None:
                self._built = self._build()
            return self._built


def started(invoker: AsyncInvoker) -> AsyncInvoker:
    """``invoker`` once its ``start`` returned (it resumes pending work)."""
    invoker.start()
    return invoker
