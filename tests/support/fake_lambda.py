"""A loopback stand-in for Lambda's Invoke API, for tests of what boto3 sends to Lambda.

It speaks Invoke's wire format (``POST /2015-03-31/functions/<FunctionName>/invocations``,
the invocation type in ``X-Amz-Invocation-Type``, errors named by
``x-amzn-ErrorType`` as Lambda's REST-JSON protocol does), records every
invocation, and answers each with the status its ``answer`` gives. Nothing
reaches AWS.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

#: The error Lambda names for a status (as botocore reads it), and a message.
ERRORS = {
    404: ("ResourceNotFoundException", "Function not found"),
    429: ("TooManyRequestsException", "Rate Exceeded."),
    500: ("ServiceException", "The service encountered an internal error."),
}


class Reply(NamedTuple):
    """A RequestResponse answer: 200, the function's payload, and ``FunctionError`` if it failed."""

    payload: bytes
    function_error: str | None = None
    status: int = 200


class FakeLambda(ThreadingHTTPServer):
    """Lambda's Invoke on 127.0.0.1; ``url`` is its endpoint."""

    def __init__(self, answer: Callable[[dict[str, Any]], int | Reply]) -> None:
        super().__init__(("127.0.0.1", 0), InvokeHandler)
        self.answer = answer
        #: Every invocation received: ``function``, ``path``, ``invocation_type``, ``event``.
        self.invocations: list[dict[str, Any]] = []
        #: Those answered 202.
        self.accepted: list[dict[str, Any]] = []
        #: While cleared, invocations past ``hold_after`` wait (a command killed mid-call).
        self.released = threading.Event()
        self.released.set()
        self.hold_after: int | None = None
        self.held = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def hold_invocations_after(self, count: int) -> None:
        """Leave every invocation after the first ``count`` unanswered until :meth:`release`."""
        self.hold_after = count
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def receive(self, invocation: dict[str, Any]) -> Reply | None:
        """Record ``invocation``; its answer, or None when it is to be left unanswered."""
        with self._lock:
            self.invocations.append(invocation)
            held = self.hold_after is not None and len(self.invocations) > self.hold_after
        if held:
            self.held.set()
            self.released.wait(30)
            return None
        answer = self.answer(invocation)
        reply = answer if isinstance(answer, Reply) else Reply(b"", status=answer)
        if reply.status == 202:
            with self._lock:
                self.accepted.append(invocation)
        return reply


class InvokeHandler(BaseHTTPRequestHandler):
    server: FakeLambda

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        function = urllib.parse.unquote(self.path.split("/")[3])
        reply = self.server.receive(
            {
                "function": function,
                "path": self.path,
                "invocation_type": self.headers.get("X-Amz-Invocation-Type"),
                "event": json.loads(body),
            }
        )
        if reply is None:
            return  # the client is gone by now
        status, answer = reply.status, reply.payload
        self.send_response(status)
        if reply.function_error is not None:
            self.send_header("X-Amz-Function-Error", reply.function_error)
        if status >= 400:
            error, message = ERRORS.get(status, ERRORS[500])
            answer = json.dumps({"Type": "User", "message": message}).encode()
            self.send_header("x-amzn-ErrorType", error)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def fake_lambda(
    answer: Callable[[dict[str, Any]], int | Reply] = lambda _: 202,
) -> Iterator[FakeLambda]:
    """A running :class:`FakeLambda` that answers ``answer(invocation)``, stopped at the end."""
    server = FakeLambda(answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release()
        server.shutdown()
        server.server_close()
