"""Local-only emulation of Lambda's asynchronous invocation (not in the Lambda zip).

``chalice local`` and Chalice's test client run synchronous calls with
:func:`sync_invoker_for`'s invoker (the function's own timeout, Lambda's
marshaller and error objects), and hand ``InvocationType: Event`` calls to
:func:`engine_for`'s engine: the event is stored durably and the
route answers 202; workers run the declared function with Lambda's retries,
event age limit and destinations, as declared with ``@api.function``. Records
go to an embedded store (read them with ``python -m local_async.receive``) or,
when ``AWS_ENDPOINT_URL_SQS`` is set, to that SQS endpoint. The engine's
settings are listed in :mod:`local_async.settings`.

Nothing here runs at import: ``chalice package``/``deploy`` and the CDK synth
import app.py too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from chalicelib.async_api.declaration import AsyncFunction
from chalicelib.async_api.runtime import stage
from local_async.destinations import (
    SqsEndpoint,
    check_endpoint,
    sqs_client,
    uses_aws_credentials,
)
from local_async.engine import Engine, EngineFunction
from local_async.function_config import read_local_function
from local_async.settings import PROJECT_DIR, EngineSettings, region
from local_async.store import Store
from local_async.synchronous import LocalSyncInvoker


def engine_for(functions: Sequence[AsyncFunction], env: Mapping[str, str]) -> Engine:
    """The engine that runs ``functions`` (app.py's declarations) as configured by ``env``.

    Opens (or creates, or upgrades) the store; call ``start()`` on the result
    to run it. Raises ``ValueError`` subclasses with a message for the user
    when a setting, ``.chalice/config.json`` or the store cannot be used.
    """
    settings = EngineSettings.from_environment(env)
    engine_functions = _with_lambda_identity(
        functions, stage=settings.stage, region=settings.region
    )
    endpoint_url = settings.sqs_endpoint_url
    connect = None
    if endpoint_url is not None:
        check_endpoint(endpoint_url)  # refused at start-up, not at the first record
        connect = partial(
            _connect_sqs,
            endpoint_url=endpoint_url,
            region=settings.region,
            aws_credentials=uses_aws_credentials(env),
        )
    return Engine(
        engine_functions,
        store=Store.open(settings.state_dir, routes={f.route: f.name for f in functions}),
        retry_base_delay_seconds=settings.retry_base_delay_seconds,
        concurrency=settings.concurrency,
        connect_sqs=connect,
    )


def sync_invoker_for(
    functions: Sequence[AsyncFunction], env: Mapping[str, str]
) -> LocalSyncInvoker:
    """The invoker of ``functions``' synchronous calls, as configured by ``env`` (stage, region).

    Raises ``FunctionConfigError`` (a ``ValueError``) when ``.chalice/config.json``
    cannot describe a function.
    """
    return LocalSyncInvoker(_with_lambda_identity(functions, stage=stage(env), region=region(env)))


def _with_lambda_identity(
    functions: Sequence[AsyncFunction], *, stage: str, region: str
) -> list[EngineFunction]:
    return [
        EngineFunction(
            declaration=function,
            local=read_local_function(
                PROJECT_DIR, stage=stage, region=region, function_name=function.name
            ),
        )
        for function in functions
    ]


def _connect_sqs(*, endpoint_url: str, region: str, aws_credentials: bool) -> SqsEndpoint:
    return SqsEndpoint(sqs_client(endpoint_url, region, aws_credentials=aws_credentials))
