"""``chalice local`` with the local async engine: started with the server, tuned for keep-alive.

app.py calls :func:`serve_with_engine` last, under ``chalice local`` only.
Nothing starts then: the engine starts when Chalice's ``LocalDevServer`` starts
serving, after app.py is fully imported and after the server has bound its
port (a busy port fails before any engine runs), and the functions' settings
are checked first, so a bad value stops the server with one clear line.

Requests are served by :class:`GatewayRequestHandler` in place of Chalice's
handler: Chalice's ``LocalGateway`` with API Gateway's edge in front of it
(:class:`Edge`, :mod:`local_async.gateway`): limits, undeclared methods and
paths, media types, header values, raw path segments, HEAD answers without a
body. It is swapped in through the standard library's own hook (the server's
``RequestHandlerClass``) and uses Chalice's public pieces
(``LocalGateway.handle_request`` and ``event_converter``); the end-to-end tests
notice if one stops applying.
"""

from __future__ import annotations

import base64
import functools
import os
import sys
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple

from chalice.local import (
    ChaliceRequestHandler,
    LambdaEventConverter,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    MatchResult,
    RouteMatcher,
)

from chalicelib.async_api import AsyncApi, contract, json_codec
from local_async import gateway

#: The exit status when the server refuses to start (a setting, the store).
EXIT_MISCONFIGURED = 2


def serve_with_engine(api: AsyncApi) -> None:
    """Make Chalice's dev server start ``api``'s engine when it starts serving."""
    serve_forever = LocalDevServer.serve_forever

    def serve_forever_with_engine(server: LocalDevServer) -> None:
        try:
            api.check_settings(os.environ)
            use_gateway_handler(server)
            api.invoker()
        except Exception as problem:  # a setting, .chalice/config.json, the store...
            sys.stderr.write(f"chalice local: not started: {problem}\n")
            sys.stderr.flush()
            raise SystemExit(EXIT_MISCONFIGURED) from None
        serve_forever(server)

    LocalDevServer.serve_forever = serve_forever_with_engine  # type: ignore[method-assign,assignment]


def use_gateway_handler(server: LocalDevServer) -> None:
    """Serve ``server``'s requests with :class:`GatewayRequestHandler`, Chalice's arguments kept.

    Raises ``RuntimeError`` if Chalice no longer builds its handler as
    ``functools.partial(ChaliceRequestHandler, app_object=..., config=...)``.
    """
    chalice_handler = server.server.RequestHandlerClass
    if not (
        isinstance(chalice_handler, functools.partial)
        and chalice_handler.func is ChaliceRequestHandler
    ):
        raise RuntimeError(f"Chalice's local server has changed: {chalice_handler!r}")
    server.server.RequestHandlerClass = functools.partial(
        GatewayRequestHandler, *chalice_handler.args, **chalice_handler.keywords
    )


class RawSegmentRouteMatcher(RouteMatcher):
    """Chalice's route matcher with API Gateway's segments: ``;`` is part of a segment."""

    def match_route(self, url: str) -> MatchResult:
        """The route of ``url``, its raw path parameters and query; ValueError if none."""
        matched = gateway.match(self.route_urls, url)
        if matched is None:
            raise ValueError(f"No matching route found for: {url}")
        return MatchResult(matched.route, matched.parameters, matched.query)


class Answer(NamedTuple):
    """An HTTP answer: status, headers (a value or a list of values each), body."""

    status: int
    headers: dict[str, Any]
    body: bytes


class Edge:
    """API Gateway's edge in front of Chalice's local gateway: one answer per request.

    ``app_object`` and ``config`` are what Chalice's own handler receives. The
    same answers reach a socket (:class:`GatewayRequestHandler`) and the parity
    tests, which compare them with the stack's templates.
    """

    def __init__(self, app_object: Any, config: Any) -> None:
        self._routes = {route: list(methods) for route, methods in app_object.routes.items()}
        self._local_gateway = LocalGateway(app_object, config)
        self._local_gateway.event_converter = LambdaEventConverter(
            RawSegmentRouteMatcher(list(self._routes)), app_object.api.binary_types
        )

    def answer(
        self, method: str, target: str, lines: Sequence[tuple[str, str]], body: bytes | None
    ) -> Answer:
        """The answer to ``method`` on ``target`` with these header lines (repeats included)."""
        refused = gateway.refusal(method, target, lines, self._routes)
        if refused is not None:
            accepted = contract.accepted_requests(list(self._routes))
            error = contract.gateway_error_body(refused, accepted, str(uuid.uuid4()))
            return Answer(refused.status, {}, json_codec.dumps(error).encode("utf-8"))
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
        return Answer(response["statusCode"], headers, payload or b"")


class GatewayRequestHandler(BaseHTTPRequestHandler):
    """``chalice local``'s request handler: every request answered by an :class:`Edge`.

    Answers keep-alive clients without delay: without TCP_NODELAY each response
    on a kept-alive connection waits for the client's delayed ACK (about 40 ms
    on Linux), one client gets ~23 requests/s. Every method, also those the
    standard library has no ``do_`` method for (TRACE, QUERY...), goes through
    the edge, which answers undeclared ones with the gateway's JSON 404.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def __init__(
        self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any
    ) -> None:
        # The base class serves the request in its __init__: the edge is built first.
        self._edge = Edge(app_object, config)
        super().__init__(request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes the class lacks: the dispatch asks for "do_" + method.
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def _answer(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # a body this server cannot frame: no next request
        length = self.headers.get("Content-Length", "0")
        body = self.rfile.read(int(length)) if length.isdigit() and int(length) > 0 else None
        lines = [(name, str(value)) for name, value in self.headers.items()]
        answer = self._edge.answer(self.command, self.path, lines, body)
        self.send_response(answer.status)
        headers = dict(answer.headers)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in headers.items():
            for each in value if isinstance(value, list) else [value]:
                self.send_header(name, each)
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the GET answer's headers, no body
            self.wfile.write(answer.body)
