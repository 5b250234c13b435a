"""The fixture app's two functions through Chalice's test client: one mechanism, two shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.async_api import contract
from tests.support.declared import FUNCTIONS
from tests.support.events import api_event


class Accepted:
    """A background invoker that only records what it accepted."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def submit(self, function_name: str, event: Mapping[str, Any]) -> None:
        self.events.append((function_name, dict(event)))

    def start(self) -> None:
        """Nothing to resume."""


@pytest.fixture(scope="module")
def client(fixture_app: ModuleType) -> Iterator[Client]:
    with Client(fixture_app.app) as test_client:
        yield test_client


def get(client: Client, path: str, **headers: str) -> tuple[int, dict[str, Any]]:
    response = client.http.get(path, headers=headers)
    return response.status_code, json.loads(response.body)


def test_the_page_s_function_is_declared_after_the_project_s(fixture_app: ModuleType) -> None:
    names = [(f.name, f.route) for f in fixture_app.api.functions]
    project = [(f.name, f.route) for f in FUNCTIONS]
    report = ("build_report_fn", "/reports/{account}/{month}")
    # A project whose user followed the page already declares it: the fixture is the project.
    assert names == (project if report in project else [*project, report])
    assert ("get_square_fn", "/square/{number}") in names


def test_each_route_answers_its_own_function_synchronously(client: Client) -> None:
    status, body = get(client, "/reports/acme/2026-02")
    assert status == 200
    assert list(body) == [
        *contract.CONTEXT_KEYS,
        "synchronous_invocation",
        "account",
        "month",
        "days",
    ]
    assert body["days"] == 28
    assert get(client, "/square/7")[1]["square_of_your_number_is"] == 49


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/reports/ACME/2026-02", "InvalidAccount"),
        ("/reports/acme/2026-2", "InvalidMonth"),
        ("/reports/acme/%FF", "InvalidMonth"),
        ("/reports/%C0%80/2026-02", "InvalidAccount"),
    ],
)
def test_each_parameter_s_400_names_it(client: Client, path: str, error: str) -> None:
    status, body = get(client, path)
    assert (status, body["error"]) == (400, error), body


def test_event_calls_are_accepted_for_their_own_function(
    client: Client, fixture_app: ModuleType
) -> None:
    accepted = Accepted()
    with fixture_app.api.invoker_replaced_by(accepted):
        report = get(client, "/reports/acme/2026-11", InvocationType="Event")
        square = get(client, "/square/3", invocationtype="Event")
    assert report[0] == square[0] == 202
    [(report_fn, report_event), (square_fn, square_event)] = accepted.events
    assert (report_fn, square_fn) == ("build_report_fn", "get_square_fn")
    assert list(report_event)[:3] == ["account", "month", "invocation_type"]
    assert report_event["api_request_id"] == report[1]["api_request_id"]
    assert square_event["number"] == "3"


def test_the_pure_function_answers_direct_invocations(client: Client) -> None:
    event = api_event(
        {"account": "acme", "month": "2024-02"},
        resource_path="/reports/{account}/{month}",
        invocation_type="Event",
        stage="api",
        request_id="direct-1",
    )
    payload = client.lambda_.invoke("build_report_fn", event).payload
    assert payload == contract.async_result(
        event, {"account": "acme", "month": "2024-02", "days": 29}
    )
