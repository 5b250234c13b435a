"""Synchronous calls under chalice local: the function's timeout, Lambda's marshaller and errors.

The deployed stack's integration invokes the function with ``RequestResponse``;
:class:`LocalSyncInvoker` answers the same payload text in-process, which the
route sorts into 200, 400 and 502 (``contract.sync_answer``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.async_api import contract
from local_async.attempt import Handler
from local_async.engine import EngineFunction, UnknownFunction
from local_async.synchronous import MAX_RESPONSE_BYTES, LocalSyncInvoker
from tests.engine.helpers import FUNCTION, NAME, declaration, event


class SteppedClock:
    """A monotonic clock that the handler moves forward, so no test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def invoker(handler: Handler, clock: SteppedClock | None = None) -> LocalSyncInvoker:
    functions = [EngineFunction(declaration(handler), FUNCTION)]
    if clock is None:
        return LocalSyncInvoker(functions, new_request_id=lambda: "lambda-req-1")
    return LocalSyncInvoker(functions, monotonic=clock, new_request_id=lambda: "lambda-req-1")


def error_of(payload: str) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(payload)
    assert contract.sync_answer(payload).status == 502, payload
    return error


def test_the_result_is_the_lambda_runtime_s_text() -> None:
    payload = invoker(lambda _, __: {"api_stage": "dev", "n": Decimal("2.2500")}).invoke(
        NAME, event("r1")
    )
    assert payload == '{"api_stage": "dev", "n": 2.2500}'
    assert contract.sync_answer(payload) == (200, None)


def test_a_function_past_its_timeout_is_sandbox_timedout() -> None:
    clock = SteppedClock()

    def slow(_: Any, context: Any) -> dict[str, str]:
        clock.now += FUNCTION.timeout_seconds + 0.5
        assert context.get_remaining_time_in_millis() == 0
        return {"api_stage": "late"}

    error = error_of(invoker(slow, clock).invoke(NAME, event("r1")))
    assert error["errorType"] == "Sandbox.Timedout"
    assert f"{FUNCTION.timeout_seconds:.2f} seconds" in error["errorMessage"], error


def test_a_result_that_is_not_json_is_a_marshal_error_not_a_crash() -> None:
    error = error_of(invoker(lambda _, __: {"values": {1, 2}}).invoke(NAME, event("r1")))
    assert error["errorType"] == "Runtime.MarshalError"


def test_an_exception_is_lambda_s_error_object_with_its_class() -> None:
    def raising(_: Any, __: Any) -> None:
        raise KeyError("secret")

    error = error_of(invoker(raising).invoke(NAME, event("r1")))
    assert (error["errorType"], error["requestId"]) == ("KeyError", "lambda-req-1")


def test_the_context_names_the_function_and_its_memory() -> None:
    seen: list[Any] = []

    def capture(_: Any, context: Any) -> dict[str, str]:
        seen.append(context)
        return {"api_stage": "dev"}

    invoker(capture).invoke(NAME, event("r1"))
    [context] = seen
    assert context.function_name == FUNCTION.name
    assert context.memory_limit_in_mb == str(FUNCTION.memory_size_mb)
    assert context.aws_request_id == "lambda-req-1"
    assert 0 < context.get_remaining_time_in_millis() <= FUNCTION.timeout_seconds * 1000


def test_an_undeclared_function_is_refused() -> None:
    with pytest.raises(UnknownFunction):
        invoker(lambda _, __: {}).invoke("nobody", event("r1"))


@pytest.mark.parametrize(
    ("size", "status"), [(MAX_RESPONSE_BYTES - 200, 200), (MAX_RESPONSE_BYTES, 502)]
)
def test_a_response_over_lambda_s_synchronous_limit_is_function_response_size_too_large(
    size: int, status: int
) -> None:
    payload = invoker(lambda _, __: {"api_stage": "dev", "v": "a" * size}).invoke(NAME, event("r1"))
    assert contract.sync_answer(payload).status == status
    if status == 502:
        assert error_of(payload)["errorType"] == "Function.ResponseSizeTooLarge"
