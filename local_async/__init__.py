"""Local-only emulation of Lambda's asynchronous invocation (not in the Lambda zip).

``chalice local`` and Chalice's test client hand ``InvocationType: Event``
calls to :func:`engine_for`'s engine: the event is stored durably and the
route answers 202; workers run ``get_square_fn`` with Lambda's retries, event
age limit and destinations, as declared in ``chalicelib.async_policy``.
Records go to an embedded store (read them with ``python -m
local_async.receive``) or, when ``AWS_ENDPOINT_URL_SQS`` is set, to that SQS
endpoint. The knobs are listed in :mod:`local_async.settings`.

Nothing here runs at import: ``chalice package``/``deploy`` and the CDK synth
import app.py too.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from chalicelib.async_policy import GET_SQUARE_FN_POLICY
from local_async.attempt import Handler
from local_async.destinations import SqsEndpoint, sqs_client
from local_async.engine import Engine
from local_async.function_config import read_local_function
from local_async.settings import PROJECT_DIR, Settings
from local_async.store import Store


def engine_for(handler: Handler, env: Mapping[str, str]) -> Engine:
    """The engine that runs ``handler`` (app.get_square_fn) as configured by ``env``.

    Opens (or creates) the store; call ``start()`` on the result to run it.
    """
    settings = Settings.from_environment(env)
    function = read_local_function(
        PROJECT_DIR,
        stage=settings.stage,
        region=settings.region,
        function_name=GET_SQUARE_FN_POLICY.function_name,
    )
    endpoint_url = settings.sqs_endpoint_url
    connect = (
        None
        if endpoint_url is None
        else partial(_connect_sqs, endpoint_url=endpoint_url, region=settings.region)
    )
    return Engine(
        handler,
        store=Store.open(settings.state_dir),
        function=function,
        policy=GET_SQUARE_FN_POLICY,
        retry_base_delay_seconds=settings.retry_base_delay_seconds,
        concurrency=settings.concurrency,
        connect_sqs=connect,
    )


def _connect_sqs(*, endpoint_url: str, region: str) -> SqsEndpoint:
    return SqsEndpoint(sqs_client(endpoint_url, region))
