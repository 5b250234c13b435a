"""One attempt: every way a function can end becomes an outcome, never an escaping exception.

An exception escaping ``run_attempt`` would leave the event leased, released
and run again forever (a poison event that never reaches the DLQ), where
Lambda reports a function error, retries it and sends it to the on-failure
destination.
"""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.async_api import json_codec
from local_async.attempt import Failed, Handler, Outcome, Succeeded, marshalled, run_attempt


def attempt(handler: Handler) -> Outcome:
    return run_attempt(
        handler,
        {},
        None,
        request_id="req-1",
        timeout_seconds=5,
        deadline=time.monotonic() + 5,
        stopping=threading.Event(),
    )


def circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def deeply_nested() -> list[Any]:
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    return nested


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"values": {1, 2}}, "Object of type set is not JSON serializable"),
        (object(), "Object of type object is not JSON serializable"),
        (circular(), "Circular reference detected"),
        ({(1, 2): "tuple key"}, "keys must be str, int, float, bool or None, not tuple"),
        (deeply_nested(), "maximum recursion depth exceeded"),
    ],
    ids=["set", "object", "circular", "tuple-key", "too-deep"],
)
def test_a_result_the_runtime_cannot_encode_is_a_marshal_error(result: Any, message: str) -> None:
    outcome = attempt(lambda _, __: result)
    assert isinstance(outcome, Failed)
    assert outcome.error["errorType"] == "Runtime.MarshalError"
    assert outcome.error["errorMessage"].startswith(f"Unable to marshal response: {message}")
    assert outcome.error["stackTrace"] == []


@pytest.mark.parametrize(
    "result",
    [None, 4, "text", [1, "a", None], {"a": Decimal("0.01")}, {1: "int key", None: "none key"}],
)
def test_a_result_the_runtime_can_encode_succeeds(result: Any) -> None:
    outcome = attempt(lambda _, __: result)
    assert isinstance(outcome, Succeeded)
    assert isinstance(marshalled(result), json_codec.RawJSON)
    assert json.loads(outcome.payload.text, parse_float=Decimal) == json.loads(
        json_codec.dumps(result), parse_float=Decimal
    )


@pytest.mark.parametrize(
    "result",
    [{"note": "NaN"}, {"note": "Infinity and beyond"}, {"v": b"x", "note": "NaN"}, {"NaN": 1}],
    ids=["nan-in-a-string", "infinity-in-a-string", "bytes-and-nan-text", "nan-as-a-key"],
)
def test_the_letters_nan_or_infinity_in_strings_change_nothing(result: Any) -> None:
    # Accepted as the runtime accepts it, whatever text its strings hold.
    assert isinstance(attempt(lambda _, __: result), Succeeded)
    assert isinstance(attempt(lambda _, __: {**result, "other": "plain"}), Succeeded)


@pytest.mark.parametrize(
    "result",
    [{"n": float("nan")}, [float("inf")], {"d": Decimal("NaN")}, -float("inf"), b"raw"],
    ids=["nan", "infinity", "decimal-nan", "minus-infinity", "bytes"],
)
def test_non_finite_numbers_and_raw_bytes_are_marshal_errors(result: Any) -> None:
    outcome = attempt(lambda _, __: result)
    assert isinstance(outcome, Failed), outcome
    assert outcome.error["errorType"] == "Runtime.MarshalError"


@pytest.mark.parametrize(
    ("runtime", "text"),
    [
        ("AWS_Lambda_python3.11", '{"square": 1E-1996, "agent": "\\u00e9"}'),
        ("AWS_Lambda_python3.12", '{"square": 1E-1996, "agent": "\u00e9"}'),
    ],
)
def test_the_payload_is_what_the_lambda_runtime_writes(
    monkeypatch: pytest.MonkeyPatch, runtime: str, text: str
) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", runtime)
    result = {"square": Decimal("1E-1996"), "agent": "\u00e9"}
    assert attempt(lambda _, __: result) == Succeeded(json_codec.RawJSON(text))


def test_an_exception_that_cannot_print_itself_is_still_a_function_error() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no message")

    def raising(_: Any, __: Any) -> None:
        raise Unprintable

    outcome = attempt(raising)
    assert isinstance(outcome, Failed)
    assert outcome.error["errorType"] == "Unprintable"
    assert outcome.error["errorMessage"] == "<unprintable Unprintable object>"
    assert "in raising" in outcome.error["stackTrace"][-1]
