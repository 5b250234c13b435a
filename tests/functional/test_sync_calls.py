"""Synchronous calls run the function as Lambda would: its timeout, its marshaller, its errors.

A small app of misbehaving functions, served by Chalice's test client with the
local synchronous invoker (``local_async.synchronous``); the deployed stack's
response template answers the same payloads alike (``contract.sync_answer``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from chalice.app import Chalice
from chalice.test import Client

from chalicelib.async_api import AsyncApi, AsyncFunction, AsyncRequest, Result, contract
from chalicelib.async_api.invokers import AsyncInvoker
from local_async.engine import EngineFunction
from local_async.function_config import LocalFunction
from local_async.synchronous import LocalSyncInvoker

#: The functions' Lambda timeout: short, so that the late one is late at once.
TIMEOUT_SECONDS = 0.2


def no_engine(functions: Sequence[AsyncFunction], env: Mapping[str, str]) -> AsyncInvoker:
    raise AssertionError("these tests make synchronous calls only")


def sync_invoker(functions: Sequence[AsyncFunction], env: Mapping[str, str]) -> LocalSyncInvoker:
    return LocalSyncInvoker(
        [
            EngineFunction(
                function,
                LocalFunction(
                    name=f"probe-dev-{function.name}",
                    region="us-east-1",
                    account_id="123456789012",
                    timeout_seconds=TIMEOUT_SECONDS,
                    memory_size_mb=128,
                ),
            )
            for function in functions
        ]
    )


def probe_app() -> Chalice:
    app = Chalice(app_name="probe")
    api = AsyncApi(app, local_invoker=no_engine, local_sync_invoker=sync_invoker)

    @api.function("/late/{n}")
    def late_fn(request: AsyncRequest) -> Result:
        time.sleep(TIMEOUT_SECONDS * 1.5)
        return {"n": request.path["n"]}

    @api.function("/set/{n}")
    def set_fn(request: AsyncRequest) -> Result:
        return {"n": {1, 2}}

    @api.function("/remaining/{n}")
    def remaining_fn(request: AsyncRequest) -> Result:
        return {"ms": request.context.get_remaining_time_in_millis()}

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client(probe_app()) as test_client:
        yield test_client


def get(client: Client, path: str) -> tuple[int, dict[str, Any]]:
    response = client.http.get(path)
    body: dict[str, Any] = json.loads(response.body)
    return response.status_code, body


@pytest.mark.parametrize(
    ("path", "error_type"),
    [("/late/1", "Sandbox.Timedout"), ("/set/1", "Runtime.MarshalError")],
)
def test_a_function_lambda_would_fail_is_a_502_with_lambda_s_error_type(
    client: Client, path: str, error_type: str
) -> None:
    status, body = get(client, path)
    assert status == 502, f"{path}: a 502 as the stack answers, not a 500 or a 200: {body}"
    assert body == contract.function_error_body(
        {"api_request_id": body["api_request_id"]}, error_type
    )


def test_the_function_gets_its_own_remaining_time(client: Client) -> None:
    status, body = get(client, "/remaining/1")
    assert status == 200, body
    assert 0 < body["ms"] <= TIMEOUT_SECONDS * 1000, "the function's timeout, not the API's"


def test_an_exception_that_cannot_print_itself_is_still_its_own_502() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no message")

    app = Chalice(app_name="unprintable")
    api = AsyncApi(app, local_invoker=no_engine, local_sync_invoker=sync_invoker)

    @api.function("/boom/{n}")
    def boom_fn(request: AsyncRequest) -> Result:
        raise Unprintable

    with Client(app) as client:
        status, body = get(client, "/boom/1")
    assert (status, body["error_type"]) == (502, "Unprintable"), body
