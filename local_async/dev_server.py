"""``chalice local`` with the local async engine started with the server, and one JSON log stream.

app.py calls :func:`serve_with_engine` last, under ``chalice local`` only.
Nothing starts then: the engine starts when Chalice's ``LocalDevServer`` starts
serving, after app.py is fully imported and after the server has bound its
port. A port that cannot be bound, a setting the functions or the engine
refuse, a store that cannot be opened: each stops the server with one log
line saying what was wrong and what is accepted, and a non-zero exit status
(:data:`EXIT_NOT_STARTED`), before any engine runs.

Every line ``chalice local`` writes is one JSON object (:mod:`chalicelib.async_api.logs`):
the engine's and the functions' lines, one access line per request (method,
declared route, status, duration; never the path, which carries the client's
input, nor the user agent), Chalice's own lines through ``logging``
("Restarting local dev server."), and the line that replaces Chalice's
"Serving on ...".

Requests are served by :class:`GatewayRequestHandler` in place of Chalice's
handler: Chalice's ``LocalGateway`` with API Gateway's edge in front of it
(:class:`Edge`, :mod:`local_async.gateway`): limits, undeclared methods and
paths, media types, header values, raw path segments, HEAD answers without a
body. It is swapped in through the standard library's own hook (the server's
``RequestHandlerClass``) and uses Chalice's public pieces
(``LocalGateway.handle_request`` and ``event_converter``).

What this module changes in Chalice's internals, each checked against the
installed Chalice by ``tests/functional/test_dev_server.py``:

- ``LocalDevServer.__init__`` binds the port: wrapped to refuse with one line.
- ``LocalDevServer.serve_forever`` prints "Serving on ..." and serves: replaced
  by :func:`serve`, which checks, starts the engine, logs, then serves.
- With autoreload, ``chalice local`` is two processes: a parent
  (``chalice.cli.reloader.ParentProcess``) that restarts a worker
  (``CHALICE_WORKER=true``) on every save and exits 0 whatever the worker
  exited with; the worker serves from a daemon thread while its main thread
  watches files. Nothing in app.py can reach the parent: ``make run`` starts
  ``chalice local`` through :func:`main`, whose parent exits with the
  worker's status (and checks the port and app.py first). A refusal in the
  worker's server thread ends the worker's process (:func:`refuse`), which
  would otherwise watch files and serve nothing.
"""

from __future__ import annotations

import argparse
import base64
import functools
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from chalice.app import Chalice
from chalice.local import (
    ChaliceRequestHandler,
    LambdaEventConverter,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    MatchResult,
    RouteMatcher,
    ThreadedHTTPServer,
)

from chalicelib.async_api import AsyncApi, contract, json_codec, logs
from local_async import gateway
from local_async.log_output import GatheredLines
from local_async.settings import PROJECT_DIR, SQS_ENDPOINT_VARIABLE

#: The exit status when the server does not start (a port, a setting, the store).
EXIT_NOT_STARTED = 2
#: The highest TCP port.
MAX_PORT = 65535
#: The longest method name an access line repeats (a method is client text).
MAX_LOGGED_METHOD = 40

_CHALICE_INIT = LocalDevServer.__init__


def serve_with_engine(api: AsyncApi) -> None:
    """Under ``chalice local``: JSON log lines, refusals that exit, the engine started to serve."""
    use_json_log_lines(api.app)

    def bind_or_refuse(
        server: LocalDevServer,
        app_object: Chalice,
        config: Any,
        host: str,
        port: int,
        handler_cls: Any = ChaliceRequestHandler,
        server_cls: Any = ThreadedHTTPServer,
    ) -> None:
        try:
            _CHALICE_INIT(server, app_object, config, host, port, handler_cls, server_cls)
        except (OSError, OverflowError) as problem:  # OverflowError: a port out of range
            refuse(
                f"cannot listen on {host}:{port}: {getattr(problem, 'strerror', None) or problem}; "
                "choose another PORT or HOST (make run PORT=8001)"
            )

    def serve_forever_with_engine(server: LocalDevServer) -> None:
        serve(api, server)

    LocalDevServer.__init__ = bind_or_refuse  # type: ignore[method-assign,assignment]
    LocalDevServer.serve_forever = serve_forever_with_engine  # type: ignore[method-assign,assignment]


def serve(api: AsyncApi, server: LocalDevServer, env: Mapping[str, str] = os.environ) -> None:
    """Check the settings, start ``api``'s engine, then serve until the server is shut down.

    In place of Chalice's ``serve_forever``: it printed "Serving on ..." as plain text.
    """
    try:
        api.check_settings(env)
        use_gateway_handler(server)
        api.invoker()
    except Exception as problem:  # a setting, .chalice/config.json, the store...
        refuse(str(problem) or type(problem).__name__)
    create_declared_queues(api, env)
    lines = GatheredLines()
    lines.start()
    logs.send_lines_to(lines)
    logs.log("server.started", "", url=f"http://{server.host}:{server.port}")
    server.server.serve_forever()


def refuse(reason: str) -> NoReturn:
    """Stop ``chalice local`` with one log line: ``reason``, what was wrong and what is accepted."""
    logs.log("server.not_started", "", logging.ERROR, error=reason)
    if threading.current_thread() is threading.main_thread():
        raise SystemExit(EXIT_NOT_STARTED)
    # The autoreload worker serves from a daemon thread that its main thread
    # never joins: ending this thread alone would leave a process that watches
    # files and serves nothing. Nothing has started that needs stopping.
    sys.stderr.flush()
    os._exit(EXIT_NOT_STARTED)


def create_declared_queues(api: AsyncApi, env: Mapping[str, str]) -> None:
    """With ``AWS_ENDPOINT_URL_SQS`` set, create every declared queue there now.

    As a deployed stack's queues exist before any record, a reader can receive
    from them at once (the engine also creates a queue it finds missing when it
    sends). An endpoint that cannot be reached is logged and left to the
    engine, which keeps the records and retries.
    """
    endpoint_url = env.get(SQS_ENDPOINT_VARIABLE)
    if not endpoint_url:
        return
    from local_async.destinations import endpoint_client  # boto3: only with an SQS endpoint

    queues = [queue for function in api.functions for queue in function.queues]
    try:
        client = endpoint_client(env)
        for queue in queues:
            client.create_queue(QueueName=queue)  # the existing queue's URL if it exists
    except Exception as problem:
        logs.log(
            "async.queues.not_created",
            "",
            logging.WARNING,
            endpoint=endpoint_url,
            error=f"{type(problem).__name__}: {problem}",
            retrying="when the first record is sent",
        )
        return
    logs.log("async.queues.created", "", endpoint=endpoint_url, queues=queues)


class JsonLines(logging.Formatter):
    """What others write through ``logging`` (Chalice's own lines), as :func:`logs.log` writes.

    ``{"timestamp", "level", "event": "log", "request_id": "", "logger", "message"}``,
    and ``exception`` with the traceback when the record carries one.
    """

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line without its newline."""
        fields = {"logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return logs.line(record.created, record.levelno, "log", "", fields)


def use_json_log_lines(app: Chalice) -> None:
    """Format the lines of the root logger's handlers and of ``app.log``'s as JSON.

    ``chalice local`` sends the root logger to stdout before it imports app.py;
    Chalice gives ``app.log`` a handler of its own.
    """
    formatter = JsonLines()
    for handler in [*logging.getLogger().handlers, *app.log.handlers]:
        handler.setFormatter(formatter)


def use_gateway_handler(server: LocalDevServer) -> None:
    """Serve ``server``'s requests with :class:`GatewayRequestHandler`, Chalice's arguments kept.

    Raises ``RuntimeError`` if Chalice no longer builds its handler as
    ``functools.partial(ChaliceRequestHandler, app_object=..., config=...)``.
    """
    chalice_handler = server.server.RequestHandlerClass
    if not (
        isinstance(chalice_handler, functools.partial)
        and chalice_handler.func is ChaliceRequestHandler
        and not chalice_handler.args
    ):
        raise RuntimeError(f"Chalice's local server has changed: {chalice_handler!r}")
    # One edge for the server: Chalice builds its gateway (and route matcher) per connection.
    server.server.RequestHandlerClass = functools.partial(
        GatewayRequestHandler, edge=Edge(**chalice_handler.keywords)
    )


def start_parent_process(
    env: MutableMapping[str, str], popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen
) -> None:
    """Chalice's autoreload parent, raising ``SystemExit`` with its last worker's status if not 0.

    In place of ``chalice.cli.reloader.start_parent_process``, whose parent
    exits 0 however its worker ended. A worker killed by signal N gives
    128 + N, as a shell reports it.
    """
    from chalice.cli.reloader import ParentProcess

    workers: list[subprocess.Popen[bytes]] = []

    def start_worker(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        worker = popen(*args, **kwargs)
        workers.append(worker)
        return worker

    ParentProcess(env, start_worker).main()  # type: ignore[arg-type]  # it only calls it
    status = workers[-1].returncode if workers else 0
    if status:
        raise SystemExit(status if status > 0 else 128 - status)


def main(arguments: Sequence[str]) -> None:
    """``chalice local`` with ``arguments`` (its options), exiting with the server's status.

    What ``make run`` runs. Raises ``SystemExit``, as Chalice's command does.
    Before Chalice starts, the port is checked and app.py imported once: a
    declaration that cannot be served, or an app.py that does not import, is
    refused with one line, where Chalice's worker would print a traceback
    and wait for a file to change.
    """
    from chalice.cli import main as chalice_main
    from chalice.cli import reloader

    check_port(arguments)
    check_app(PROJECT_DIR)

    # The reloader starts its workers with this command line, and app.py
    # recognises ``chalice local`` by it (chalicelib.async_api.runtime).
    sys.argv[:] = [str(Path(sys.executable).with_name("chalice")), "local", *arguments]
    reloader.start_parent_process = start_parent_process
    sys.exit(chalice_main())


def check_port(arguments: Sequence[str]) -> None:
    """Refuse a ``--port`` that is not a TCP port (``make run PORT=...``)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--port")
    port = parser.parse_known_args(list(arguments))[0].port
    if port is None:
        return
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= MAX_PORT):
        refuse(
            f"PORT={port!r} is not a port: a whole number from 1 to {MAX_PORT} (make run PORT=8001)"
        )


def check_app(project_dir: Path) -> None:
    """Refuse an app.py that does not import or declares nothing that can be served."""
    try:
        AsyncApi.of_project(str(project_dir))
    except (Exception, SystemExit) as problem:  # the user's code: a DeclarationError...
        # A SyntaxError's text names the file and line.
        refuse(f"{project_dir / 'app.py'} cannot be served: {type(problem).__name__}: {problem}")


class RawSegmentRouteMatcher(RouteMatcher):
    """Chalice's route matcher with API Gateway's segments: ``;`` is part of a segment."""

    def __init__(self, routes: gateway.Routes) -> None:
        super().__init__(list(routes.methods))
        self._routes = routes

    def match_route(self, url: str) -> MatchResult:
        """The route of ``url``, its raw path parameters and query; ValueError if none."""
        matched = self._routes.match(url)
        if matched is None:
            raise ValueError(f"No matching route found for: {url}")
        # Copies: Chalice hands them to the route, the edge keeps its own.
        return MatchResult(matched.route, dict(matched.parameters), dict(matched.query))


class Answer(NamedTuple):
    """An HTTP answer: status, headers (a value or a list of values each), body, route."""

    status: int
    headers: dict[str, Any]
    body: bytes
    #: The declared route that answered, as declared (``/items/{id}``); None for a refusal.
    resource_path: str | None = None


class Edge:
    """API Gateway's edge in front of Chalice's local gateway: one answer per request.

    ``app_object`` and ``config`` are what Chalice's own handler receives. The
    same answers reach a socket (:class:`GatewayRequestHandler`) and the parity
    tests, which compare them with the stack's templates.
    """

    def __init__(self, app_object: Any, config: Any) -> None:
        self._routes = gateway.Routes(app_object.routes)
        self._accepted = contract.accepted_requests(list(self._routes.methods))
        self._local_gateway = LocalGateway(app_object, config)
        self._local_gateway.event_converter = LambdaEventConverter(
            RawSegmentRouteMatcher(self._routes), app_object.api.binary_types
        )

    def answer(
        self, method: str, target: str, lines: Sequence[tuple[str, str]], body: bytes | None
    ) -> Answer:
        """The answer to ``method`` on ``target`` with these header lines (repeats included)."""
        matched = self._routes.screen(method, target, lines)
        if isinstance(matched, contract.GatewayError):
            return self.refusal(matched)
        try:
            response = self._local_gateway.handle_request(
                method=method, path=target, headers=gateway.single_values(lines), body=body
            )
        except LocalGatewayException as error:  # an authorizer's refusal, as Chalice sends it
            return Answer(error.CODE, dict(error.headers), error.body or b"")
        payload = response["body"]
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload)
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        headers = {**response["headers"], **response["multiValueHeaders"]}
        return Answer(response["statusCode"], headers, payload or b"", matched.route)

    def refusal(self, error: contract.GatewayError) -> Answer:
        """The gateway's own answer ``error``, in the shape of every error body."""
        body = contract.gateway_error_body(error, self._accepted, str(uuid.uuid4()))
        return Answer(error.status, {}, json_codec.dumps(body).encode("utf-8"))


#: The ``Date`` header's text, as the standard library writes it (RFC 9110's IMF-fixdate).
_HTTP_DATE = logs.PerSecond(lambda second: formatdate(second, usegmt=True))


class GatewayRequestHandler(BaseHTTPRequestHandler):
    """``chalice local``'s request handler: every request answered by the server's :class:`Edge`.

    Answers keep-alive clients without delay: without TCP_NODELAY each response
    on a kept-alive connection waits for the client's delayed ACK (about 40 ms
    on Linux), one client gets ~23 requests/s. An answer's status line, headers
    and body leave in one write, as the standard library advises with
    TCP_NODELAY (its ``wbufsize``): Chalice's handler makes two system calls
    and two TCP segments of them. Every method, also those the
    standard library has no ``do_`` method for (TRACE, QUERY...), goes through
    the edge, which answers undeclared ones with the gateway's JSON 404.

    What API Gateway would refuse before any route runs is refused here with
    its JSON body, never the standard library's HTML page: a malformed request
    line or header, a request line over 64 KiB (414), a header line over 64 KiB
    or more than 100 headers (431), an unreadable ``Content-Length`` (400), a
    body over API Gateway's 10 MB (413, its ``REQUEST_TOO_LARGE``; the body is
    not read, the connection is closed).

    One ``http.access`` log line per answered request, the standard library's
    own refusals (a malformed request line, too many headers) included:
    ``method``, ``resource_path`` (the declared route, as the stack's access
    log names ``$context.resourcePath``), ``status``, ``duration_ms`` from the
    request line to the answer sent.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    #: Buffered: the standard library flushes after each request (``handle_one_request``).
    wbufsize = -1

    def __init__(self, request: Any, client_address: Any, server: Any, edge: Edge) -> None:
        # The base class serves the request in its __init__: the edge is set first.
        self._edge = edge
        super().__init__(request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes the class lacks: the dispatch asks for "do_" + method.
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def handle_one_request(self) -> None:
        """Serve one request, then write its access line."""
        self._status: int | None = None
        self._started: float | None = None
        self._resource_path: str | None = None
        try:
            super().handle_one_request()
        finally:
            if self._status is not None:
                self._log_access(self._status)

    def parse_request(self) -> bool:
        """Parse the request line and headers: the request's time starts here."""
        self._started = time.perf_counter()
        parsed = super().parse_request()
        if parsed and self.request_version == "HTTP/0.9":
            # Its answer would have no status line: on a kept-alive connection the
            # client could not tell it from the next. API Gateway speaks HTTP/1.1 and 2.
            self.send_error(400)
            return False
        return parsed

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Note the status; the access line is written once the answer is sent."""
        self._status = int(code)
        if self._started is None:  # refused before its request line could be parsed
            self._started = time.perf_counter()

    def log_message(self, format: str, *args: Any) -> None:
        """Write nothing: the standard library's plain-text lines give way to the access line."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's refusals, answered as the gateway's JSON error bodies.

        ``message`` and ``explain`` are not sent: they quote the client's text.
        """
        self.close_connection = True  # what follows a malformed request cannot be framed
        # Unparsed, the version stays HTTP/0.9, whose answers have no status line.
        self.request_version = self.protocol_version
        self._send(self._edge.refusal(gateway.malformed(code)))

    def handle_expect_100(self) -> bool:
        """Send ``100 Continue`` at once, for a body that will be read; refuse one that would not.

        The client waits for it before it sends the body.
        """
        length = self._body_length()
        if isinstance(length, contract.GatewayError):
            self._send(self._edge.refusal(length))
            return False
        accepted = super().handle_expect_100()
        self.wfile.flush()
        return accepted

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header's value, formatted once per second of the clock."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        return _HTTP_DATE(int(time.time()))

    def _log_access(self, status: int) -> None:
        started = self._started if self._started is not None else time.perf_counter()
        logs.log(
            "http.access",
            "",
            method=(self.command or "")[:MAX_LOGGED_METHOD],
            resource_path=self._resource_path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    def _body_length(self) -> int | contract.GatewayError:
        """How many body bytes to read (0: none), or the refusal (which ends the connection)."""
        if self.headers.get("Transfer-Encoding") is not None:
            # A body this server does not decode (Transfer-Encoding wins over
            # Content-Length, RFC 9112, 6.3): none is read, and no next request.
            self.close_connection = True
            return 0
        length = gateway.body_length(self.headers.get_all("Content-Length", []))
        if isinstance(length, contract.GatewayError):
            self.close_connection = True  # the body is left unread
        return length

    def _answer(self) -> None:
        length = self._body_length()
        if isinstance(length, contract.GatewayError):
            self._send(self._edge.refusal(length))
            return
        body = self.rfile.read(length) if length else None
        lines = [(name, str(value)) for name, value in self.headers.items()]
        answer = self._edge.answer(self.command, self.path, lines, body)
        self._resource_path = answer.resource_path
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        headers = dict(answer.headers)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in headers.items():
            for each in value if isinstance(value, list) else [value]:
                self.send_header(name, each)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the GET answer's headers, no body
            self.wfile.write(answer.body)


if __name__ == "__main__":
    main(sys.argv[1:])
