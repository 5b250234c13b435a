"""The contract through a real `chalice local` process, as a user runs it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from tests.support.chalice_local import ChaliceLocal
from tests.support.raw_http import raw_get

pytestmark = pytest.mark.e2e


def test_sync_square(chalice_local: ChaliceLocal) -> None:
    response = requests.get(f"{chalice_local.url}/square/2", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["square_of_your_number_is"] == 4
    assert body["api_stage"] == "dev" and body["api_request_id"]
    assert body["user-agent"].startswith("python-requests/")


def test_exact_decimal(chalice_local: ChaliceLocal) -> None:
    response = requests.get(f"{chalice_local.url}/square/0.1", timeout=10)
    assert response.json(parse_float=Decimal)["square_of_your_number_is"] == Decimal("0.01")
    assert response.text.endswith('"square_of_your_number_is": 0.01}')


def test_async_square_is_accepted(chalice_local: ChaliceLocal) -> None:
    response = requests.get(
        f"{chalice_local.url}/square/7", headers={"invocationtype": "Event"}, timeout=10
    )
    assert response.status_code == 202
    assert response.json()["message"] == "Event received. Check queue/logs for status"


def test_unknown_invocation_type(chalice_local: ChaliceLocal) -> None:
    response = requests.get(
        f"{chalice_local.url}/square/7", headers={"InvocationType": "Sometimes"}, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["accepted"] == "RequestResponse or Event"


@pytest.mark.parametrize(
    "target",
    [
        b"/square/%ff%fe",
        b"/square/\xff",
        b"/square/%00",
        b"/square/%0d%0a",
        b"/square/1%2e5",
        b"/square/" + b"9" * 4000,
        b"/square/" + b"1" * 1001,
        b"/square/%E2%81%B5",
        b"/square/1e999999999",
        b"/square/-0x1p3",
        b"/square/%2B%2B1",
        b"/square/1?x=%00",
        b"/square/%25",
    ],
)
def test_hostile_paths_never_cause_a_server_error(
    chalice_local: ChaliceLocal, target: bytes
) -> None:
    status, body = raw_get(chalice_local, target)
    assert status < 500, f"{target[:40]!r} gave {status}: {body[:200]!r}"
    if status == 400:
        assert json.loads(body)["error"] == "InvalidNumber"


def test_decimal_escape_is_decoded_as_api_gateway_does(chalice_local: ChaliceLocal) -> None:
    status, body = raw_get(chalice_local, b"/square/1%2e5")
    assert status == 200, body
    assert json.loads(body, parse_float=Decimal)["square_of_your_number_is"] == Decimal("2.25")


def test_oversized_header_is_refused_cleanly(chalice_local: ChaliceLocal) -> None:
    status, _ = raw_get(chalice_local, b"/square/2", {"InvocationType": "E" * 70000})
    assert status < 500


def test_concurrent_clients_all_get_their_answer(chalice_local: ChaliceLocal) -> None:
    def call(n: int) -> int:
        response = requests.get(f"{chalice_local.url}/square/{n}", timeout=10)
        assert response.status_code == 200
        return int(response.json()["square_of_your_number_is"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(call, range(80))) == [n * n for n in range(80)]


def test_under_make_test_the_shared_server_s_tests_run_on_one_worker(
    chalice_local: ChaliceLocal, request: pytest.FixtureRequest
) -> None:
    if not getattr(request.config.option, "loadgroup", False):  # what an xdist worker is told
        pytest.skip("make test distributes with pytest-xdist's --dist loadgroup; this run does not")
    # pytest-xdist sends a group to one worker by this suffix; a pytest that drops it
    # (9.2, pytest-dev/pytest-xdist#1386) starts the shared server on every worker.
    assert request.node.nodeid.endswith("@chalice_local"), request.node.nodeid
