"""The contract catalogue against a real ``chalice local``, through the runner users run.

Each case goes out byte for byte (``tests/support/smoke.py``), as ``make smoke``
sends it to a deployed stack, and must get the catalogue's answer. The HTTP/2
cases, which ``chalice local`` cannot speak, are sent to a loopback HTTP/2
server instead, to prove the runner sends them with lower-case names.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

from tests.support.catalogue import CASES, REPORT_CASES, Case
from tests.support.chalice_local import ChaliceLocal
from tests.support.project import PROJECT_DIR
from tests.support.smoke import Endpoint, Got, differences, run, send_http2

pytestmark = pytest.mark.e2e

OVER_HTTP1 = [case for case in CASES if not case.http2]
OVER_HTTP2 = [case for case in CASES if case.http2]


@pytest.mark.parametrize("case", OVER_HTTP1, ids=[case.name for case in OVER_HTTP1])
def test_chalice_local_answers_the_catalogue(chalice_local: ChaliceLocal, case: Case) -> None:
    (outcome,) = run(chalice_local.url + "/", [case])
    assert outcome.differences == (), f"{case.name}: {outcome.differences} ({outcome.got})"


def test_make_smoke_prints_the_table_and_exits_0_when_all_match(
    chalice_local: ChaliceLocal,
) -> None:
    smoke = subprocess.run(
        [sys.executable, "-m", "tests.support.smoke", chalice_local.url + "/"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert smoke.returncode == 0, smoke.stdout[-3000:] + smoke.stderr
    assert "| case | expected | got | result |" in smoke.stdout
    assert (
        "| 200 square_of_your_number_is=4 | 200 square_of_your_number_is=4 | ok |" in smoke.stdout
    )
    assert "| 400 InvalidNumber | 400 InvalidNumber | ok |" in smoke.stdout, (
        "got, as expected reads"
    )
    assert "| DryRun [" in smoke.stdout, "deploy-only cases are marked with their note"
    assert "skipped: HTTP/2 needs an https URL" in smoke.stdout
    assert f"{len(OVER_HTTP1)} as expected, 0 different, {len(OVER_HTTP2)} skipped" in smoke.stdout


def test_a_difference_is_reported_and_fails_the_run(chalice_local: ChaliceLocal) -> None:
    wrong = Case("expects 201", "square/2", 201)
    (outcome,) = run(chalice_local.url + "/", [wrong])
    assert outcome.differences == ("status 200, expected 201",)
    wrong_square = Case("wrong square", "square/3", 200, result=("square_of_your_number_is", "6"))
    (outcome,) = run(chalice_local.url + "/", [wrong_square])
    assert outcome.differences == ("square_of_your_number_is=9, expected 6",)


def test_the_fixture_project_answers_its_second_function_s_cases(fixture_project: Path) -> None:
    with ChaliceLocal(project_dir=fixture_project) as running:
        outcomes = run(running.url + "/", REPORT_CASES)
    assert [(o.case.name, o.differences) for o in outcomes if o.differences] == []


class H2Server:
    """One loopback HTTP/2 server (cleartext, prior knowledge) that echoes a request's headers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received: list[list[tuple[str, str]]] = []
        self.thread = threading.Thread(target=self._serve_one, daemon=True)
        self.thread.start()

    def _serve_one(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
            h2c.initiate_connection()
            connection.sendall(h2c.data_to_send())
            while data := connection.recv(65536):
                for event in h2c.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        headers = [(bytes(k).decode(), bytes(v).decode()) for k, v in event.headers]
                        self.received.append(headers)
                        answer = b'{"api_request_id": "r", "asynchronous_invocation": "true"}'
                        h2c.send_headers(
                            event.stream_id,
                            [(":status", "202"), ("content-type", "application/json")],
                        )
                        h2c.send_data(event.stream_id, answer, end_stream=True)
                connection.sendall(h2c.data_to_send())

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


@pytest.mark.parametrize("case", OVER_HTTP2, ids=[case.name for case in OVER_HTTP2])
def test_http2_cases_go_out_with_lower_case_names(case: Case) -> None:
    server = H2Server()
    try:
        endpoint = Endpoint(f"http://127.0.0.1:{server.port}/api/")
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        got = send_http2(endpoint, case, connection)
    finally:
        server.close()
    (headers,) = server.received
    assert (":path", "/api/square/7") in headers
    assert [(name, value) for name, value in headers if not name.startswith(":")] == [
        (name.lower(), value) for name, value in case.headers
    ]
    assert got == Got(202, "application/json", got.body)
    assert differences(Case("echo", "square/7", 202), got) == ()
