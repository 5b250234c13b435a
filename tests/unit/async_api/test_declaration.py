"""Declarations the mechanism refuses at import, each with a message that says why."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.async_api import AsyncFunction, AsyncInvokeConfig, DeclarationError, Parameter
from chalicelib.async_api.declaration import (
    DEFAULT_RESERVED_CONCURRENCY,
    check,
    error_name,
    path_parameters,
)


def declared(**changes: Any) -> AsyncFunction:
    base = AsyncFunction(
        name="build_report_fn",
        route="/reports/{account}/{month}",
        lambda_handler=lambda event, context: {},
        config=AsyncInvokeConfig(maximum_retry_attempts=1, maximum_event_age_seconds=120),
        timeout_seconds=5,
        memory_mb=256,
        parameters={"month": Parameter(accepted="YYYY-MM")},
        summary="",
        result_schema={"lines": {"type": "integer"}},
        settings=None,
    )
    return base._replace(**changes)


def test_a_good_declaration_passes_and_names_its_queues_after_the_function() -> None:
    function = declared()
    check(function)
    assert function.path_parameters == ("account", "month")
    assert function.queues == ("async_build_report_fn_dest_queue", "async_build_report_fn_dlq")


def test_a_function_reserves_ten_instances_unless_its_declaration_says_otherwise() -> None:
    assert declared().reserved_concurrency == DEFAULT_RESERVED_CONCURRENCY == 10
    check(declared(reserved_concurrency=None))
    check(declared(reserved_concurrency=900))


def test_declared_queue_names_win() -> None:
    config = AsyncInvokeConfig(on_success_queue="results", on_failure_queue="failures")
    assert declared(config=config).queues == ("results", "failures")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"name": "build-report"}, "Python identifier"),
        ({"route": "reports/{a}"}, "must start"),
        ({"route": "/reports/{a}/"}, "must start, not end"),
        ({"route": "/reports"}, "no path parameter"),
        ({"route": "/reports/x{a}"}, "whole {parameter}"),
        ({"route": "/reports/{Account}"}, "lower-case"),
        ({"route": "/reports/{a}/{a}"}, "used twice"),
        ({"route": "/reports/{invocation_type}"}, "event key"),
        ({"route": "/reports/{api_stage}"}, "event key"),
        ({"parameters": {"year": Parameter(accepted="YYYY")}}, "not in the route"),
        ({"config": AsyncInvokeConfig(maximum_retry_attempts=3)}, "maximum_retry_attempts"),
        ({"config": AsyncInvokeConfig(maximum_event_age_seconds=59)}, "maximum_event_age"),
        ({"config": AsyncInvokeConfig(maximum_event_age_seconds=21601)}, "from 60 to 21600"),
        ({"timeout_seconds": 901}, "timeout_seconds"),
        ({"timeout_seconds": True}, "timeout_seconds"),
        ({"memory_mb": 64}, "memory_mb"),
        (
            {"reserved_concurrency": 0},
            "reserved_concurrency is 0; expected a whole number of at least 1",
        ),
        ({"reserved_concurrency": -3}, "reserved_concurrency"),
        ({"reserved_concurrency": True}, "reserved_concurrency"),
        ({"reserved_concurrency": 2.5}, "reserved_concurrency"),
        ({"config": AsyncInvokeConfig(on_success_queue="a.fifo")}, "queue name"),
        ({"config": AsyncInvokeConfig(on_success_queue="x" * 81)}, "queue name"),
        ({"config": AsyncInvokeConfig(on_success_queue="q", on_failure_queue="q")}, "must differ"),
        ({"result_schema": {"message": {}}}, "contract's own"),
    ],
)
def test_bad_declarations_are_refused_saying_why(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(DeclarationError, match=r"build_report_fn|build-report") as refusal:
        check(declared(**changes))
    assert says in str(refusal.value)


@pytest.mark.parametrize(
    ("other", "says"),
    [
        ({"route": "/other/{x}"}, "declared twice"),
        ({"name": "other_fn"}, "route already"),
        (
            {
                "name": "other_fn",
                "route": "/other/{x}",
                "config": AsyncInvokeConfig(on_failure_queue="async_build_report_fn_dlq"),
            },
            "belong to",
        ),
    ],
)
def test_names_routes_and_queues_are_unique_across_declarations(
    other: dict[str, Any], says: str
) -> None:
    with pytest.raises(DeclarationError, match=says):
        check(declared(), (declared(**other),))


def test_route_parameters_and_their_error_names() -> None:
    assert path_parameters("/a/{x}/b/{long_name}") == ("x", "long_name")
    assert error_name("number") == "InvalidNumber"
    assert error_name("job_id") == "InvalidJobId"
