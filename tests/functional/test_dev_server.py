"""chalice local's own server, in-process: what local_async.dev_server changes on it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
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


@pytest.fixture
def restore_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo tune_chalice_local()'s changes to Chalice's handler class after the test."""
    monkeypatch.setattr(ChaliceRequestHandler, "disable_nagle_algorithm", False)
    # Set, then deleted: the test starts with Chalice's own class (no __getattr__),
    # and whatever the class had before is back afterwards.
    monkeypatch.setattr(
        ChaliceRequestHandler, "__getattr__", dev_server._route_any_method, raising=False
    )
    monkeypatch.delattr(ChaliceRequestHandler, "__getattr__")
    yield


def nodelay_of_one_connection() -> int:
    """Serve one request with Chalice's LocalDevServer; TCP_NODELAY on the accepted socket."""
    app = LocalChalice(app_name="nodelay")

    @app.route("/")
    def index() -> dict[str, bool]:
        return {"ok": True}

    server = LocalDevServer(
        app, Config.create(chalice_app=app), "127.0.0.1", 0, server_cls=RecordingServer
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


@pytest.mark.usefixtures("restore_handler")
def test_vanilla_chalice_local_leaves_nagle_on() -> None:
    # Why the tuning exists: keep-alive answers wait for the client's delayed ACK.
    assert nodelay_of_one_connection() == 0


@pytest.mark.usefixtures("restore_handler")
def test_tuned_chalice_local_sets_tcp_nodelay_on_accepted_sockets() -> None:
    dev_server.tune_chalice_local()
    assert nodelay_of_one_connection() != 0
