"""serverless-async-lambda-api: one API, called synchronously or asynchronously.

Each ``@api.function`` declares one async-capable function: a ``GET`` route
that answers at once (200), or with the header ``InvocationType: Event``
answers 202 and runs the function in the background, its result landing on
the on-success queue and its failures, after Lambda's retries, on the
on-failure queue. The mechanism is ``chalicelib/async_api``; the example's
domain code is ``chalicelib/square``. Add your own function with
docs/add-your-own-endpoint.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence

from chalice.app import Chalice

from chalicelib.async_api import AsyncApi, AsyncFunction, AsyncInvokeConfig, AsyncRequest, Result
from chalicelib.async_api.invokers import AsyncInvoker, SyncInvoker
from chalicelib.async_api.runtime import is_chalice_local
from chalicelib.square import handler as square


def local_engine(functions: Sequence[AsyncFunction], env: Mapping[str, str]) -> AsyncInvoker:
    """The local async engine: ``chalice local`` and the test client, never Lambda."""
    from local_async import engine_for  # local-only: not in the Lambda zip

    return engine_for(functions, env)


def local_sync_invoker(functions: Sequence[AsyncFunction], env: Mapping[str, str]) -> SyncInvoker:
    """Synchronous calls under ``chalice local`` and the test client, never Lambda."""
    from local_async import sync_invoker_for  # local-only: not in the Lambda zip

    return sync_invoker_for(functions, env)


app = Chalice(app_name="serverless-async-lambda-api")
api = AsyncApi(app, local_invoker=local_engine, local_sync_invoker=local_sync_invoker)

#: get_square_fn's Lambda timeout: its simulated work (SQUARE_WORK_SECONDS) ends before it.
SQUARE_TIMEOUT_SECONDS = 60
square_settings = square.Settings.reader(timeout_seconds=SQUARE_TIMEOUT_SECONDS)


@api.function(
    "/square/{number}",
    config=AsyncInvokeConfig(
        maximum_retry_attempts=2,
        maximum_event_age_seconds=3600,
        on_success_queue="async_get_square_fn_dest_queue",
        on_failure_queue="async_get_square_fn_dlq",
    ),
    timeout_seconds=SQUARE_TIMEOUT_SECONDS,
    reserved_concurrency=10,
    parameters={"number": square.NUMBER},
    summary="Square a number exactly",
    result_schema=square.RESULT_SCHEMA,
    settings=square_settings,
)
def get_square_fn(request: AsyncRequest) -> Result:
    """Square the number in the path (``SQUARE_WORK_SECONDS``, ``SQUARE_FAULT_RATE`` apply)."""
    settings = square_settings(os.environ)
    return square.square_of(request.path["number"], settings, time.sleep, _random)


def _random() -> float:
    import random  # off the cold start: only with SQUARE_FAULT_RATE > 0

    return random.random()


# Last, once every function is declared: under `chalice local` the engine starts
# with the server, so events accepted before a restart resume without a request.
if is_chalice_local():
    from local_async import dev_server  # local-only: not in the Lambda zip

    dev_server.serve_with_engine(api)
