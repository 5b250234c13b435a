"""chalice local's own server, in-process: what local_async.dev_server changes on it."""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import json
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import SimpleNamespace
from typing import Any

import pytest
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, ThreadedHTTPServer

from chalicelib.async_api import logs
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


def nodelay_of_one_connection(*, gateway: bool) -> int:
    """Serve one request with Chalice's LocalDevServer; TCP_NODELAY on the accepted socket.

    With ``gateway``, its handler replaced as under ``chalice local``.
    """
    app = LocalChalice(app_name="nodelay")

    @app.route("/")
    def index() -> dict[str, bool]:
        return {"ok": True}

    server = LocalDevServer(
        app,
        Config.create(chalice_app=app),
        "127.0.0.1",
        0,
        server_cls=RecordingServer,
    )
    if gateway:
        dev_server.use_gateway_handler(server)
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
    assert nodelay_of_one_connection(gateway=False) == 0


def test_the_gateway_handler_sets_tcp_nodelay_on_accepted_sockets() -> None:
    assert nodelay_of_one_connection(gateway=True) != 0


def test_the_gateway_handler_replaces_chalice_s_with_one_edge_for_its_app() -> None:
    app = LocalChalice(app_name="swap")

    @app.route("/")
    def index() -> dict[str, bool]:
        return {"swapped": True}

    config = Config.create(chalice_app=app)
    server = LocalDevServer(app, config, "127.0.0.1", 0)
    try:
        dev_server.use_gateway_handler(server)
        handler = server.server.RequestHandlerClass
        assert isinstance(handler, functools.partial)
        assert handler.func is dev_server.GatewayRequestHandler
        # Every connection shares it: built once from Chalice's app and config.
        edge = handler.keywords["edge"]
        answer = edge.answer("GET", "/", [], None)
        assert (answer.status, json.loads(answer.body)) == (200, {"swapped": True})
    finally:
        server.server.server_close()


# -- what dev_server assumes of Chalice's internals: each test fails if Chalice changes it --


def test_chalice_s_server_binds_its_port_in_its_constructor_with_these_arguments() -> None:
    """``serve_with_engine`` wraps ``LocalDevServer.__init__``: same parameters, bind inside."""
    assert list(inspect.signature(dev_server._CHALICE_INIT).parameters) == [
        "self",
        "app_object",
        "config",
        "host",
        "port",
        "handler_cls",
        "server_cls",
    ]
    app = LocalChalice(app_name="busy")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            dev_server._CHALICE_INIT(
                LocalDevServer.__new__(LocalDevServer),
                app,
                Config.create(chalice_app=app),
                "127.0.0.1",
                port,
                ChaliceRequestHandler,
                ThreadedHTTPServer,
            )


def test_chalice_s_serve_forever_only_prints_its_address_and_serves(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``serve`` replaces it: it must do nothing else that ``serve`` would skip."""
    served: list[bool] = []
    server = SimpleNamespace(
        host="127.0.0.1",
        port=8123,
        server=SimpleNamespace(serve_forever=lambda: served.append(True)),
    )
    LocalDevServer.serve_forever(server)  # type: ignore[arg-type]
    assert capsys.readouterr().out == "Serving on http://127.0.0.1:8123\n"
    assert served == [True]


def test_the_reloader_starts_its_parent_through_a_module_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``main`` replaces ``reloader.start_parent_process``; the reloader must look it up."""
    from chalice.cli import reloader

    started: list[MutableMapping[str, str]] = []
    monkeypatch.setattr(reloader, "start_parent_process", started.append)
    env = {"NOT_A_WORKER": "1"}
    assert reloader.run_with_reloader(lambda: None, env, "/nonexistent") == 0
    assert started == [env]


class Worker:
    """A worker process that exits with a given status, as ``subprocess.Popen`` returns it."""

    def __init__(self, status: int, command: list[str], env: dict[str, str]) -> None:
        self.returncode: int | None = None
        self._status = status
        self.command = command
        self.env = dict(env)

    def communicate(self) -> tuple[None, None]:
        self.returncode = self._status
        return None, None


def run_parent(*statuses: int) -> tuple[list[Worker], int | None]:
    """Chalice's parent process with workers exiting with ``statuses``: the workers, the status."""
    workers: list[Worker] = []
    pending = list(statuses)

    def popen(command: list[str], env: dict[str, str]) -> Worker:
        workers.append(Worker(pending.pop(0), command, env))
        return workers[-1]

    try:
        dev_server.start_parent_process({"HOME": "/home/x"}, popen)  # type: ignore[arg-type]
    except SystemExit as exit_:
        assert isinstance(exit_.code, int)
        return workers, exit_.code
    return workers, None


def test_the_parent_restarts_its_worker_on_request_and_exits_with_its_status() -> None:
    from chalice.cli.filewatch import RESTART_REQUEST_RC

    workers, status = run_parent(RESTART_REQUEST_RC, dev_server.EXIT_NOT_STARTED)
    assert status == dev_server.EXIT_NOT_STARTED
    assert len(workers) == 2
    for worker in workers:
        assert worker.command == sys.argv, "the worker runs the parent's own command line"
        assert worker.env == {"HOME": "/home/x", "CHALICE_WORKER": "true"}


def test_the_parent_exits_0_after_its_worker_exited_0_and_128_plus_n_after_signal_n() -> None:
    assert run_parent(0)[1] is None
    assert run_parent(-signal.SIGKILL)[1] == 128 + signal.SIGKILL


# -- the log stream --


@contextlib.contextmanager
def gateway_server(output: io.StringIO) -> Iterator[int]:
    """A gateway-handled Chalice server for app.py on a free port; its stdout into ``output``."""
    import app

    config = Config.create(chalice_app=app.app)
    server = LocalDevServer(app.app, config, "127.0.0.1", 0)
    dev_server.use_gateway_handler(server)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    with contextlib.redirect_stdout(output):
        thread.start()
        try:
            yield server.server.server_address[1]
        finally:
            server.server.shutdown()
            server.server.server_close()


def serve_raw(request: bytes) -> tuple[bytes, list[dict[str, Any]]]:
    """Send ``request`` to a gateway-handled Chalice server; the answer and the log lines."""
    output = io.StringIO()
    with gateway_server(output) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(request)
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        deadline = time.monotonic() + 10
        while '"http.access"' not in output.getvalue():
            assert time.monotonic() < deadline, "no access line within 10 s"
            time.sleep(0.01)
    return answer, [json.loads(line) for line in output.getvalue().splitlines()]


def access_line(lines: list[dict[str, Any]]) -> dict[str, Any]:
    [line] = [line for line in lines if line["event"] == "http.access"]
    return line


def test_an_answered_request_has_one_access_line_with_the_route_not_the_path() -> None:
    agent = "agent-" + "u" * 200
    answer, lines = serve_raw(
        b"GET /square/31337 HTTP/1.1\r\nHost: x\r\nUser-Agent: "
        + agent.encode()
        + b"\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200"), answer
    line = access_line(lines)
    assert line["level"] == "INFO"
    assert (line["method"], line["resource_path"], line["status"]) == (
        "GET",
        "/square/{number}",
        200,
    )
    assert 0 <= line["duration_ms"] < 10_000
    text = json.dumps(lines)
    assert "31337" not in text, "the path carries the client's number: it is not logged"
    assert agent not in text, "the user agent is client text of up to 10 KB: it is not logged"


def test_the_gateway_s_refusal_and_the_standard_library_s_have_their_access_line() -> None:
    _, lines = serve_raw(b"POST /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert access_line(lines) | {"duration_ms": 0} == access_line(lines) | {
        "method": "POST",
        "resource_path": None,
        "status": 404,
        "duration_ms": 0,
    }
    answer, lines = serve_raw(b"NOT A REQUEST LINE AT ALL\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert access_line(lines)["status"] == 400


def gateway_refusal(answer: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """The status, headers and JSON body of an answer that closes its connection."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    assert headers.get("Content-Type") == "application/json", f"not the gateway's JSON: {answer!r}"
    assert headers.get("Connection") == "close", "what follows cannot be framed: it is not read"
    assert int(headers["Content-Length"]) == len(body), answer
    return int(status_line.split()[1]), headers, json.loads(body)


HOST = b"Host: x\r\n"
MALFORMED = [
    (b"NOT A REQUEST LINE AT ALL\r\n\r\n", 400, "BadRequest"),
    (b"GET /square/2 HTTP/1.1 extra\r\n\r\n", 400, "BadRequest"),
    (b"GET /square/2 HTTP/2.0\r\n\r\n", 505, "HttpVersionNotSupported"),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "UriTooLong"),
    (
        b"GET /square/2 HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
        431,
        "RequestHeaderFieldsTooLarge",
    ),
    (
        b"GET /square/2 HTTP/1.1\r\n" + b"X: a\r\n" * 101 + b"\r\n",
        431,
        "RequestHeaderFieldsTooLarge",
    ),
    (b"GET /square/2 HTTP/1.1\r\n" + HOST + b"Content-Length: abc\r\n\r\n", 400, "BadRequest"),
    (b"GET /square/2 HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n", 400, "BadRequest"),
    (
        b"GET /square/2 HTTP/1.1\r\n" + HOST + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
        400,
        "BadRequest",
    ),
    (
        b"GET /square/2 HTTP/1.1\r\n" + HOST + b"Content-Length: 10485761\r\n\r\n",
        413,
        "RequestTooLarge",
    ),
    (
        b"GET /square/2 HTTP/1.1\r\n" + HOST + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n",
        413,
        "RequestTooLarge",
    ),
]


@pytest.mark.parametrize(
    ("request_bytes", "status", "error"),
    MALFORMED,
    ids=[
        "request-line",
        "request-line-words",
        "http-version",
        "request-line-over-64-KiB",
        "header-line-over-64-KiB",
        "101-headers",
        "content-length-text",
        "content-length-negative",
        "content-length-twice",
        "body-over-10-MB",
        "content-length-5000-digits",
    ],
)
def test_what_the_gateway_refuses_gets_its_json_answer_never_an_html_page(
    request_bytes: bytes, status: int, error: str
) -> None:
    answer, lines = serve_raw(request_bytes)
    got_status, _, body = gateway_refusal(answer)
    assert (got_status, body["error"]) == (status, error), body
    assert list(body) == ["error", "message", "accepted", "api_request_id"]
    assert b"aaaa" not in answer and b"abc" not in answer, "no client text is echoed"
    assert access_line(lines)["status"] == status


def test_an_http_0_9_request_gets_a_status_line_and_ends_the_connection() -> None:
    answer, _ = serve_raw(b"GET /square/2\r\n\r\n")
    status, _, body = gateway_refusal(answer)
    assert (status, body["error"]) == (400, "BadRequest"), answer


@pytest.mark.parametrize(
    ("length", "status"), [(b"20000000", 413), (b"x", 400)], ids=["too-large", "unreadable"]
)
def test_expect_100_continue_is_not_sent_for_a_body_that_will_be_refused(
    length: bytes, status: int
) -> None:
    answer, _ = serve_raw(
        b"GET /square/2 HTTP/1.1\r\n" + HOST + b"Expect: 100-continue\r\n"
        b"Content-Length: " + length + b"\r\n\r\n"
    )
    assert b"100 Continue" not in answer, answer
    assert gateway_refusal(answer)[0] == status


def test_transfer_encoding_wins_over_content_length_and_ends_the_connection() -> None:
    # No body is read, and nothing after it: "GET /square/3..." is never a second request.
    smuggled = b"GET /square/3 HTTP/1.1\r\n" + HOST + b"\r\n"
    answer, _ = serve_raw(
        b"GET /square/2 HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n"
        b"Content-Length: " + str(len(smuggled) + 5).encode() + b"\r\n\r\n0\r\n\r\n" + smuggled
    )
    assert answer.count(b"HTTP/1.1 ") == 1, answer
    assert b"Connection: close" in answer


def test_a_body_within_the_limit_is_read_and_the_connection_kept() -> None:
    body = b'{"a": 1}'
    answer, _ = serve_raw(
        b"GET /square/3 HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
        b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
        + b"GET /square/4 HTTP/1.1\r\n"
        + HOST
        + b"Connection: close\r\n\r\n"
    )
    assert answer.count(b"HTTP/1.1 200") == 2, answer


def test_lines_written_through_logging_become_json_lines() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "chalice.cli.reloader",
            logging.ERROR,
            __file__,
            1,
            "%s dev server.",
            ("Restarting",),
            sys.exc_info(),
        )
    line = json.loads(dev_server.JsonLines().format(record))
    assert line["timestamp"] == logs.timestamp(record.created)
    assert {k: line[k] for k in ("level", "event", "logger", "message")} == {
        "level": "ERROR",
        "event": "log",
        "logger": "chalice.cli.reloader",
        "message": "Restarting dev server.",
    }
    assert line["exception"].endswith("ValueError: boom")


def test_an_sqs_endpoint_that_cannot_be_reached_leaves_queue_creation_to_the_engine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import app

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"  # nothing listens there
    dev_server.create_declared_queues(app.api, {"AWS_ENDPOINT_URL_SQS": endpoint})
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["level"], line["event"], line["endpoint"]) == (
        "WARNING",
        "async.queues.not_created",
        endpoint,
    )


# -- answers written whole, buffered --


def test_100_continue_goes_out_before_the_body_is_sent() -> None:
    # Answers are buffered until the request is served; a client that asks
    # "Expect: 100-continue" sends its body only once it has the interim answer.
    with (
        gateway_server(io.StringIO()) as port,
        socket.create_connection(("127.0.0.1", port), timeout=5) as client,
    ):
        client.sendall(
            b"GET /square/3 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        interim = client.recv(65536)  # times out (fails) if the 100 stays buffered
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        client.sendall(b"{}")
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    assert b"HTTP/1.1 200" in interim + answer, interim + answer


def test_kept_alive_answers_each_arrive_whole_with_the_current_date() -> None:
    request = b"GET /square/3 HTTP/1.1\r\nHost: x\r\n\r\n"
    with (
        gateway_server(io.StringIO()) as port,
        socket.create_connection(("127.0.0.1", port), timeout=5) as client,
    ):
        reader = client.makefile("rb")
        for _ in range(3):
            before = datetime.now(UTC).replace(microsecond=0)
            client.sendall(request)
            status = reader.readline()
            headers = {}
            while (header := reader.readline()) != b"\r\n":
                name, _, value = header.decode("latin-1").partition(":")
                headers[name.lower()] = value.strip()
            body = reader.read(int(headers["content-length"]))
            after = datetime.now(UTC)
            assert status.startswith(b"HTTP/1.1 200"), status
            assert json.loads(body)["square_of_your_number_is"] == 9
            assert before <= parsedate_to_datetime(headers["date"]) <= after, headers["date"]
