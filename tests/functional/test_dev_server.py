"""chalice local's own server, in-process: what local_async.dev_server changes on it."""

from __future__ import annotations

import functools
import socket
import threading
import time
from typing import Any

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, ThreadedHTTPServer

from local_async import dev_server


class RecordingServer(ThreadedHTTPServer):
    """Chalice's server class, noting TCP_NODELAY on each connection it accepted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodelay: list[int] = []

    def shutdown_request(self, request: Any) -> None:
        # Called once the handler is done with the connection, before it is closed.
        self.nodelay.append(request.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        super().shutdown_request(request)


def nodelay_of_one_connection(handler_cls: Any = ChaliceRequestHandler) -> int:
    """Serve one request with Chalice's LocalDevServer; TCP_NODELAY on the accepted socket."""
    app = LocalChalice(app_name="nodelay")

    @app.route("/")
    def index() -> dict[str, bool]:
        return {"ok": True}

    server = LocalDevServer(
        app,
        Config.create(chalice_app=app),
        "127.0.0.1",
        0,
        handler_cls=handler_cls,
        server_cls=RecordingServer,
    )
    recording = server.server
    assert isinstance(recording, RecordingServer)
    thread = threading.Thread(target=recording.serve_forever, daemon=True)
    thread.start()
    try:
        port = recording.server_address[1]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer
        deadline = time.monotonic() + 10
        while not recording.nodelay:
            assert time.monotonic() < deadline, "the server did not finish the connection"
            time.sleep(0.01)
    finally:
        recording.shutdown()
        recording.server_close()
    return recording.nodelay[0]


def test_vanilla_chalice_local_leaves_nagle_on() -> None:
    # Why the tuning exists: keep-alive answers wait for the client's delayed ACK.
    assert nodelay_of_one_connection() == 0


def test_the_gateway_handler_sets_tcp_nodelay_on_accepted_sockets() -> None:
    assert nodelay_of_one_connection(dev_server.GatewayRequestHandler) != 0


def test_the_gateway_handler_replaces_chalice_s_keeping_its_arguments() -> None:
    app = LocalChalice(app_name="swap")
    config = Config.create(chalice_app=app)
    server = LocalDevServer(app, config, "127.0.0.1", 0)
    try:
        dev_server.use_gateway_handler(server)
        handler = server.server.RequestHandlerClass
        assert isinstance(handler, functools.partial)
        assert handler.func is dev_server.GatewayRequestHandler
        assert handler.keywords == {"app_object": app, "config": config}
    finally:
        server.server.server_close()
