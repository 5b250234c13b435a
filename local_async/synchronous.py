"""Lambda's synchronous invocation (``RequestResponse``) of the declared functions, in-process.

The route's synchronous calls run here under ``chalice local`` and the test
client, as the deployed stack's integration invokes the function: with the
function's own timeout and a Lambda-like context (its name, ARN and memory
from ``.chalice/config.json``), the result written by the Lambda Python
runtime's marshaller, and a failure answered as Lambda's error object
(``Sandbox.Timedout`` past the timeout, ``Runtime.MarshalError`` for a result
that is not JSON, ``Function.ResponseSizeTooLarge`` for a result over the
synchronous response limit, the exception's class otherwise). Nothing is
stored: a synchronous call has no retries and no destinations.

The function runs on the request's own thread (a thread per call would cost
about as much CPU as the rest of the request): a function past its timeout
is answered ``Sandbox.Timedout`` as on Lambda, but only once it returns.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chalicelib.async_api import json_codec
from local_async.attempt import Succeeded, run_on_this_thread
from local_async.context import LambdaContext, log_stream_name
from local_async.engine import EngineFunction, UnknownFunction

#: A synchronous invocation's largest response, in bytes: "6 MB" in Lambda's quotas,
#: 6,291,556 in the error Lambda answers past it (as moto 5.2.5 reproduces it,
#: ``moto/awslambda/responses.py``).
MAX_RESPONSE_BYTES = 6_291_556


class LocalSyncInvoker:
    """Runs a declared function at once within its timeout; see the module docstring."""

    def __init__(
        self,
        functions: Sequence[EngineFunction],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        new_request_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._functions = {function.declaration.name: function for function in functions}
        self._monotonic = monotonic
        self._new_request_id = new_request_id
        self._log_stream = log_stream_name(time.time())

    def invoke(self, function_name: str, event: Mapping[str, Any]) -> str:
        """The function's payload as Lambda returns it: its result, or its error object.

        Raises :class:`UnknownFunction` for a name that was not declared.
        """
        try:
            function = self._functions[function_name]
        except KeyError:
            raise UnknownFunction(function_name) from None
        request_id = self._new_request_id()
        timeout = function.local.timeout_seconds
        deadline = self._monotonic() + timeout
        context = LambdaContext(
            function=function.local,
            request_id=request_id,
            deadline=deadline,
            log_stream=self._log_stream,
            monotonic=self._monotonic,
        )
        outcome = run_on_this_thread(
            function.declaration.lambda_handler,
            event,
            context,
            request_id=request_id,
            timeout_seconds=timeout,
            monotonic=self._monotonic,
        )
        if not isinstance(outcome, Succeeded):
            return json_codec.dumps(outcome.error)
        text = outcome.payload.text
        # A character is at most 4 bytes: only a long text needs encoding to be measured.
        if len(text) * 4 > MAX_RESPONSE_BYTES and len(text.encode("utf-8")) > MAX_RESPONSE_BYTES:
            return json_codec.dumps(
                {
                    "errorMessage": "Response payload size exceeded maximum allowed payload "
                    f"size ({MAX_RESPONSE_BYTES} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            )
        return text
