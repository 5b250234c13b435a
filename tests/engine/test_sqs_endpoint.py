"""``AWS_ENDPOINT_URL_SQS``: what the engine sends where, and with which credentials.

Issue 15 (local engine): with the endpoint set, the engine used whatever AWS
credentials were configured, so an endpoint that was AWS by mistake got the
developer's queues, and a remote ``http://`` one the access key id in clear.
The credentials an endpoint receives are read from the ``Authorization``
header at a capturing server on loopback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from local_async import engine_for
from local_async.destinations import (
    AWS_CREDENTIALS_VARIABLE,
    EndpointRefused,
    check_endpoint,
    sqs_client,
    uses_aws_credentials,
)
from tests.support.declared import SQUARE

#: A key id no real account has, to recognise in the captured header.
CANARY_KEY_ID = "AKIACANARY0000000000"


class Capture(ThreadingHTTPServer):
    """An SQS endpoint on loopback that records each request's Authorization header."""

    authorizations: list[str]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        assert isinstance(self.server, Capture)
        self.server.authorizations.append(self.headers.get("Authorization", ""))
        body = b'{"QueueUrls": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[Capture]:
    server = Capture(("127.0.0.1", 0), _Handler)
    server.authorizations = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def real_looking_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "canary-secret")


def key_id(authorization: str) -> str:
    """The access key id of a SigV4 ``Authorization`` header (``Credential=<id>/...``)."""
    return authorization.split("Credential=", 1)[1].split("/", 1)[0]


@pytest.mark.usefixtures("real_looking_credentials")
def test_a_loopback_endpoint_gets_dummy_credentials_by_default(capture: Capture) -> None:
    url = f"http://127.0.0.1:{capture.server_address[1]}"
    sqs_client(url, "us-east-1").list_queues()
    (authorization,) = capture.authorizations
    assert key_id(authorization) == "local"
    assert CANARY_KEY_ID not in authorization


@pytest.mark.usefixtures("real_looking_credentials")
def test_the_configured_credentials_are_sent_only_when_opted_in(capture: Capture) -> None:
    url = f"http://localhost:{capture.server_address[1]}"
    sqs_client(url, "us-east-1", aws_credentials=True).list_queues()
    (authorization,) = capture.authorizations
    assert key_id(authorization) == CANARY_KEY_ID


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000",
        "http://127.8.9.10:4566",
        "http://localhost:9324",
        "http://[::1]:9324",
        "https://sqs.eu-west-1.amazonaws.com",
        "https://elasticmq.internal.example:9325",
    ],
)
def test_https_anywhere_and_http_to_this_machine_are_accepted(url: str) -> None:
    check_endpoint(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://sqs.us-east-1.amazonaws.com",
        "http://10.0.0.5:9324",
        "http://localhost.example.com:9324",
        "http://169.254.169.254",
        "ftp://127.0.0.1:21",
        "127.0.0.1:5000",
        "https://",
    ],
)
def test_plain_http_elsewhere_and_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(EndpointRefused, match=r"expected an https:// URL, or http:// to this"):
        check_endpoint(url)


@pytest.mark.parametrize(
    ("value", "opted_in"),
    [("", False), ("false", False), ("0", False), ("true", True), ("1", True), (" Yes ", True)],
)
def test_the_opt_in_is_read(value: str, opted_in: bool) -> None:
    assert uses_aws_credentials({AWS_CREDENTIALS_VARIABLE: value}) is opted_in


def test_an_unclear_opt_in_is_refused() -> None:
    with pytest.raises(EndpointRefused, match=rf"{AWS_CREDENTIALS_VARIABLE}='sometimes'"):
        uses_aws_credentials({AWS_CREDENTIALS_VARIABLE: "sometimes"})


def test_the_engine_refuses_a_remote_http_endpoint_at_start_up(tmp_path: Path) -> None:
    env = {
        "ASYNC_STATE_DIR": str(tmp_path / "state"),
        "AWS_ENDPOINT_URL_SQS": "http://sqs.us-east-1.amazonaws.com",
    }
    with pytest.raises(EndpointRefused, match="AWS_ENDPOINT_URL_SQS"):
        engine_for([SQUARE], env)
    assert not (tmp_path / "state").exists(), "refused before the store was opened"
