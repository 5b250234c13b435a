"""Send the contract catalogue to an API and compare each answer with the catalogue's.

``python -m tests.support.smoke BASE_URL`` (``make smoke URL=...``) prints a
table (case, expected, got) and exits 1 on any difference. ``BASE_URL`` is the
API's base, such as ``http://127.0.0.1:8000/`` for ``chalice local`` or the
stack's ``EndpointURL`` (``https://<id>.execute-api.<region>.amazonaws.com/api/``).

Requests go out byte for byte over HTTP/1.1 (a socket, TLS for ``https``), past
what an HTTP client would normalise: repeated headers, whitespace around values,
``;`` and ``%2F`` in the path. HTTP/2 cases need ``https`` (TLS with ALPN h2);
against ``http`` they are skipped, and said so.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import h2.connection
import h2.events

from chalicelib.async_api import contract
from tests.support.catalogue import CASES, Case

TIMEOUT_SECONDS = 30
JSON = "application/json"


@dataclass(frozen=True)
class Got:
    """What came back: status, Content-Type, body."""

    status: int
    content_type: str
    body: bytes

    def shown_as(self, case: Case) -> str:
        """One short line for a table, in the shape of ``case.expected``."""
        if case.method == "HEAD":
            return f"{self.status} " + (f"a {len(self.body)}-byte body" if self.body else "no body")
        try:
            answer = json.loads(self.body, parse_float=str, parse_int=str)
        except ValueError:
            return f"{self.status} {self.body[:40]!r}" if self.body else f"{self.status} no body"
        if isinstance(answer, dict) and "error" in answer:
            return f"{self.status} {str(answer['error'])[:40]}"
        if isinstance(answer, dict) and case.result and case.result[0] in answer:
            key = case.result[0]
            return f"{self.status} {key}={str(answer[key])[:24]}"
        return f"{self.status}"


@dataclass(frozen=True)
class Outcome:
    """One case's result: its differences from the catalogue, or why it was skipped."""

    case: Case
    got: Got | None
    differences: tuple[str, ...] = ()
    skipped: str = ""


class Endpoint:
    """The API's base URL: scheme, host, port and path prefix."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL such as http://127.0.0.1:8000/")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/") + "/"
        self.authority = parts.netloc

    def connect(self, alpn: str) -> socket.socket:
        """A connected socket, TLS-wrapped (offering ``alpn``) for https."""
        raw = socket.create_connection((self.host, self.port), timeout=TIMEOUT_SECONDS)
        if not self.tls:
            return raw
        context = ssl.create_default_context()
        context.set_alpn_protocols([alpn])
        return context.wrap_socket(raw, server_hostname=self.host)


def send_http1(endpoint: Endpoint, case: Case) -> Got:
    """The case's request over HTTP/1.1, byte for byte."""
    lines = [
        f"{case.method} {endpoint.prefix}{case.target} HTTP/1.1",
        f"Host: {endpoint.authority}",
        *(f"{name}: {value}" for name, value in case.headers),
        "Connection: close",
    ]
    request = "\r\n".join(lines).encode("latin-1")
    with endpoint.connect("http/1.1") as connection:
        connection.sendall(request + b"\r\n\r\n")
        response = http.client.HTTPResponse(connection, method=case.method)
        response.begin()
        body = response.read()
        return Got(response.status, response.getheader("Content-Type", ""), body)


def send_http2(endpoint: Endpoint, case: Case, connection: socket.socket | None = None) -> Got:
    """The case's request over HTTP/2 (header names lower-case, as HTTP/2 requires).

    ``connection``: an already connected socket (tests pass a cleartext one).
    """
    socket_ = connection or endpoint.connect("h2")
    with socket_:
        h2c = h2.connection.H2Connection()
        h2c.initiate_connection()
        headers = [
            (":method", case.method),
            (":scheme", "https" if endpoint.tls else "http"),
            (":authority", endpoint.authority),
            (":path", endpoint.prefix + case.target),
            *((name.lower(), value) for name, value in case.headers),
        ]
        stream = h2c.get_next_available_stream_id()
        h2c.send_headers(stream, headers, end_stream=True)
        socket_.sendall(h2c.data_to_send())
        status, content_type, body = 0, "", b""
        while True:
            data = socket_.recv(65536)
            if not data:
                raise ConnectionError("the server closed the HTTP/2 connection mid-answer")
            for event in h2c.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    fields = {bytes(k).decode(): bytes(v).decode() for k, v in event.headers}
                    status = int(fields[":status"])
                    content_type = fields.get("content-type", "")
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    h2c.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                    return Got(status, content_type, body)
            socket_.sendall(h2c.data_to_send())


def differences(case: Case, got: Got) -> tuple[str, ...]:
    """How ``got`` differs from what ``case`` expects (empty: it matches)."""
    if got.status != case.status:
        return (f"status {got.status}, expected {case.status}",)
    if case.method == "HEAD":
        return ("a HEAD answer with a body",) if got.body else ()
    checked = case.error is not None or case.status < 400
    if not checked:
        return ()
    if not got.content_type.startswith(JSON):
        return (f"Content-Type {got.content_type!r}, expected {JSON}",)
    try:
        answer = json.loads(got.body, parse_float=str, parse_int=str)
    except ValueError:
        return (f"a body that is not JSON: {got.body[:80]!r}",)
    found: list[str] = []
    if case.error is not None:
        if answer.get("error") != case.error:
            found.append(f"error {answer.get('error')!r}, expected {case.error!r}")
        if case.says not in str(answer.get("message", "")):
            found.append(f"message {answer.get('message')!r} lacks {case.says!r}")
        if not answer.get("accepted"):
            found.append("no 'accepted' saying what is")
    elif case.status == 202:
        if answer.get(contract.ASYNC_FLAG) != "true":
            found.append(f"no {contract.ASYNC_FLAG}: {answer}")
    elif case.result is not None:
        key, value = case.result
        if answer.get(contract.SYNC_FLAG) != "true" or answer.get(key) != value:
            found.append(f"{key}={str(answer.get(key))[:40]}, expected {value[:40]}")
    if not answer.get("api_request_id"):
        found.append("no api_request_id")
    return tuple(found)


def run(base_url: str, cases: Sequence[Case] = CASES) -> list[Outcome]:
    """Send every case to ``base_url`` and compare."""
    endpoint = Endpoint(base_url)
    outcomes: list[Outcome] = []
    for case in cases:
        if case.http2 and not endpoint.tls:
            outcomes.append(Outcome(case, None, skipped="HTTP/2 needs an https URL"))
            continue
        try:
            got = send_http2(endpoint, case) if case.http2 else send_http1(endpoint, case)
        except (OSError, http.client.HTTPException) as problem:
            outcomes.append(Outcome(case, None, (f"no answer: {problem}",)))
            continue
        outcomes.append(Outcome(case, got, differences(case, got)))
    return outcomes


def table(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table (case, expected, got, result) and the notes of deploy-only cases."""
    rows = ["| case | expected | got | result |", "|---|---|---|---|"]
    notes: dict[str, int] = {}
    for outcome in outcomes:
        case = outcome.case
        name = case.name
        if case.deploy:
            name += f" [{notes.setdefault(case.deploy, len(notes) + 1)}]"
        got = outcome.got.shown_as(case) if outcome.got else ""
        result = "skipped: " + outcome.skipped if outcome.skipped else "ok"
        if outcome.differences:
            result = "DIFFERS: " + "; ".join(outcome.differences)
        rows.append(f"| {name} | {case.expected} | {got} | {result} |")
    rows.append("")
    rows += [f"[{number}] only a deploy settles: {note}" for note, number in notes.items()]
    return "\n".join(rows)


def main(argv: Sequence[str]) -> int:
    """Run the catalogue against ``argv[0]``; 0 when every case matched, 1 otherwise."""
    if len(argv) != 1:
        print("usage: python -m tests.support.smoke BASE_URL", file=sys.stderr)
        return 2
    try:
        outcomes = run(argv[0])
    except ValueError as problem:
        print(problem, file=sys.stderr)
        return 2
    print(table(outcomes))
    failed = sum(1 for outcome in outcomes if outcome.differences)
    skipped = sum(1 for outcome in outcomes if outcome.skipped)
    matched = len(outcomes) - failed - skipped
    print(f"\n{matched} as expected, {failed} different, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
