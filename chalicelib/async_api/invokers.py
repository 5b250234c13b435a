"""Ways to run a declared function in the background; :class:`AsyncApi` picks one.

- In Lambda (plain ``chalice deploy``): :class:`LambdaEventInvoker`, a boto3
  ``Invoke`` with ``InvocationType=Event``; Lambda queues the event and applies
  the function's EventInvokeConfig.
- Under ``chalice local`` and the test client: the local engine, which app.py
  hands in (it lives in the local-only ``local_async`` package, absent from the
  Lambda zip, so nothing here imports it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chalicelib.async_api import json_codec


class AsyncInvoker(Protocol):
    """Accepts events for background processing by a declared function."""

    def submit(self, function_name: str, event: Mapping[str, Any]) -> None:
        """Return once the event is accepted (durably, where the runtime can)."""

    def start(self) -> None:
        """Resume pending work, if this invoker keeps any."""


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


def lambda_event_invoker(env: Mapping[str, str]) -> LambdaEventInvoker:
    """The invoker of an API handler running in Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set)."""
    import boto3  # only in Lambda, where the runtime provides it

    # Lambda sets AWS_REGION; it is read from ``env`` so that what this
    # function is given is all it depends on.
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    client = boto3.client("lambda", region_name=region)
    return LambdaEventInvoker(env["AWS_LAMBDA_FUNCTION_NAME"], client)


class LazyInvoker:
    """Builds the real invoker on first use, so importing app.py starts nothing."""

    def __init__(self, build: Callable[[], AsyncInvoker]) -> None:
        self._build = build
        self._invoker: AsyncInvoker | None = None
        self._lock = threading.Lock()

    def get(self) -> AsyncInvoker:
        """The invoker, built and started once; thread-safe."""
        with self._lock:
            if self._invoker is None:
                # Kept only once started: an invoker whose start failed would
                # accept events that nothing ever runs.
                built = self._build()
                built.start()
                self._invoker = built
            return self._invoker
