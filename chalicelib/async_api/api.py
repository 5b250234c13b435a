"""The registry of a Chalice app's async-capable functions, fed by a decorator.

As Chalice's own ``@app.lambda_function`` appends to ``app.pure_lambda_functions``
and ``chalice/deploy/appgraph.py`` loops over them, ``@api.function(route, ...)``
appends an :class:`AsyncFunction` to :attr:`AsyncApi.functions`, and every
layer loops over them: the route registered here, the local engine, the record
reader, the CDK stack, the generated IAM policies and OpenAPI document. No
layer names a user function.

For each declaration this registers with Chalice:

- the pure Lambda function (``@app.lambda_function``), whose handler runs the
  domain handler through :func:`processor.process`;
- a ``GET`` route that answers at once (200/400/502, the function run by the
  synchronous invoker with its own timeout) or, with ``InvocationType: Event``,
  hands the event to the background invoker and answers 202 (503 if it was not
  accepted).

The invokers are chosen in one place, :meth:`AsyncApi._build_invoker` and
:meth:`AsyncApi._build_sync_invoker`: Lambda's own ``Invoke`` when running in
Lambda, otherwise the local ones that app.py hands in.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from chalice.app import Chalice, Response

from chalicelib.async_api import contract, json_codec, logs, runtime
from chalicelib.async_api.declaration import (
    DEFAULT_RESERVED_CONCURRENCY,
    AsyncFunction,
    AsyncInvokeConfig,
    DeclarationError,
    Parameter,
    check,
    path_parameters,
)
from chalicelib.async_api.invokers import (
    AsyncInvoker,
    Lazy,
    SyncInvoker,
    lambda_event_invoker,
    lambda_sync_invoker,
    started,
)
from chalicelib.async_api.processor import DomainHandler, process

#: Builds the local engine for the declared functions (app.py passes one in).
LocalInvokerFactory = Callable[[Sequence[AsyncFunction], Mapping[str, str]], AsyncInvoker]
#: Builds the local synchronous invoker for the declared functions (app.py passes one in).
LocalSyncInvokerFactory = Callable[[Sequence[AsyncFunction], Mapping[str, str]], SyncInvoker]

_REGISTRIES: dict[int, AsyncApi] = {}


class AsyncApi:
    """The async-capable functions of one Chalice app; see the module docstring."""

    def __init__(
        self,
        app: Chalice,
        *,
        local_invoker: LocalInvokerFactory,
        local_sync_invoker: LocalSyncInvokerFactory,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        """Register functions on ``app``; the ``local_`` invokers run them outside Lambda."""
        self.app = app
        self._env = env
        self._local_invoker = local_invoker
        self._local_sync_invoker = local_sync_invoker
        self._functions: list[AsyncFunction] = []
        self._invoker: Lazy[AsyncInvoker] = Lazy(self._build_invoker)
        self._sync_invoker: Lazy[SyncInvoker] = Lazy(self._build_sync_invoker)
        _REGISTRIES[id(app)] = self

    @classmethod
    def of(cls, app: Chalice) -> AsyncApi:
        """The registry created for ``app`` (by the CDK stack and the local tools)."""
        try:
            return _REGISTRIES[id(app)]
        except KeyError:
            raise LookupError(f"the Chalice app {app.app_name!r} has no AsyncApi") from None

    @classmethod
    def of_project(cls, project_dir: str) -> AsyncApi:
        """Import the Chalice project's ``app.py`` from ``project_dir`` and return its registry.

        For the tools that run beside a project (the record reader, the CDK
        app, the generators). Raises ``LookupError`` when app.py has no
        ``app`` or declares no async function.
        """
        import importlib
        import sys

        if project_dir not in sys.path:
            sys.path.insert(0, project_dir)
        chalice_app = getattr(importlib.import_module("app"), "app", None)
        if not isinstance(chalice_app, Chalice):
            raise LookupError(f"{project_dir}/app.py defines no Chalice `app`")
        api = cls.of(chalice_app)
        if not api.functions:
            raise LookupError(f"{project_dir}/app.py declares no async function")
        return api

    @property
    def functions(self) -> tuple[AsyncFunction, ...]:
        """Every declared function, in declaration order."""
        return tuple(self._functions)

    def function(
        self,
        route: str,
        *,
        name: str | None = None,
        config: AsyncInvokeConfig = AsyncInvokeConfig(),  # noqa: B008 (an immutable tuple)
        timeout_seconds: int = 60,
        memory_mb: int = 128,
        parameters: Mapping[str, Parameter] | None = None,
        summary: str = "",
        result_schema: Mapping[str, Any] | None = None,
        settings: Callable[[Mapping[str, str]], object] | None = None,
        reserved_concurrency: int | None = DEFAULT_RESERVED_CONCURRENCY,
    ) -> Callable[[DomainHandler], Callable[..., Any]]:
        """Declare the decorated domain handler as an async-capable function.

        ``route`` is a GET path with at least one ``{parameter}``; ``name`` the
        Chalice function name (default: the handler's own name, which app.py
        must bind it to, as Chalice requires). The other arguments are the
        fields of :class:`AsyncFunction`. The decorator returns Chalice's
        Lambda handler. Raises :class:`DeclarationError` for a declaration the
        mechanism, Lambda or SQS cannot serve.
        """

        def register(handler: DomainHandler) -> Callable[..., Any]:
            function_name = name or handler.__name__
            names = path_parameters(route)
            declared = dict(parameters or {})

            @functools.wraps(handler)
            def lambda_handler(event: Any, context: Any) -> contract.Body:
                return self._run(function_name, handler, declared, names, event, context)

            function = AsyncFunction(
                name=function_name,
                route=route,
                lambda_handler=lambda_handler,
                config=config,
                timeout_seconds=timeout_seconds,
                memory_mb=memory_mb,
                parameters=declared,
                summary=summary,
                result_schema=dict(result_schema or {}),
                settings=settings,
                reserved_concurrency=reserved_concurrency,
            )
            check(function, self.functions)
            chalice_handler: Callable[..., Any] = self.app.lambda_function(name=function_name)(
                lambda_handler
            )
            self._functions.append(function._replace(lambda_handler=chalice_handler))
            self.app.route(route, methods=["GET"], name=f"{function_name}_route")(
                self._view(function, names)
            )
            return chalice_handler

        return register

    def invoker(self) -> AsyncInvoker:
        """The background invoker, built and started on first use."""
        return self._invoker.get()

    @contextlib.contextmanager
    def invoker_replaced_by(self, invoker: AsyncInvoker) -> Iterator[None]:
        """Within the block, hand ``Event`` calls to ``invoker`` (a probe, another runtime).

        Its ``start`` is called on first use, as for the invokers this class builds;
        the previous invoker is back when the block ends.
        """
        previous, self._invoker = self._invoker, Lazy(lambda: started(invoker))
        try:
            yield
        finally:
            self._invoker = previous

    def check_settings(self, env: Mapping[str, str]) -> None:
        """Check every function's settings in ``env``, before a server or engine starts.

        Raises :class:`DeclarationError` naming the function, the variable, its
        value and what is accepted. Not called at import: Lambda would then fail
        every call of every function of the app, the API handler's included.
        """
        for function in self._functions:
            if function.settings is None:
                continue
            try:
                function.settings(env)
            except ValueError as problem:
                raise DeclarationError(f"async function {function.name!r}: {problem}") from None

    # -- what runs per request -------------------------------------------------

    def _run(
        self,
        function_name: str,
        handler: DomainHandler,
        parameters: Mapping[str, Parameter],
        names: tuple[str, ...],
        event: Any,
        context: Any,
    ) -> contract.Body:
        request_id = str(event.get("api_request_id", "")) if isinstance(event, Mapping) else ""
        try:
            body = process(handler, parameters, names, event, context)
        except Exception as failure:
            logs.log(
                "function.failed",
                request_id,
                logging.ERROR,
                function=function_name,
                error_type=type(failure).__name__,
                error=logs.message_of(failure),
            )
            raise
        logs.log(
            "function.done", request_id, function=function_name, outcome=body.get("error", "ok")
        )
        return body

    def _view(self, function: AsyncFunction, names: tuple[str, ...]) -> Callable[..., Response]:
        def view(**raw: str) -> Response:
            request = self.app.current_request
            assert request is not None, "Chalice sets current_request for every route call"
            context = request.context
            # chalice local and Chalice's test client have no API request id; the Lambda
            # context Chalice's local gateway makes for each request has a fresh UUID.
            assert request.lambda_context is not None, "Chalice passes the handler's context"
            request_id = context.get("requestId") or request.lambda_context.aws_request_id
            header = request.headers.get(contract.INVOCATION_TYPE_HEADER)
            event = contract.build_event(
                path_parameters={parameter: raw[parameter] for parameter in names},
                invocation_type=contract.REQUEST_RESPONSE if header is None else header,
                stage=context.get("stage") or runtime.stage(self._env),
                request_id=request_id,
                resource_path=function.route,
                http_method=request.method,
                source_ip=context.get("identity", {}).get("sourceIp") or "",
                user_agent=request.headers.get("user-agent"),
            )
            invocation_type = event[contract.INVOCATION_TYPE_KEY]
            logs.log(
                "request.received",
                request_id,
                function=function.name,
                invocation_type=invocation_type[:40],
            )
            if invocation_type != contract.EVENT:
                return self._answer_now(function.name, event, request_id)
            try:
                self._invoker.get().submit(function.name, event)
            except Exception as failure:  # the event was not accepted: say so, do not 202
                return _retry_later(
                    event, "NotAccepted", "the event could not be queued; retry later", failure
                )
            return _json(202, contract.accepted_body(event))

        view.__name__ = f"{function.name}_route"
        return view

    def _answer_now(self, function_name: str, event: contract.Event, request_id: str) -> Response:
        try:
            payload = self._sync_invoker.get().invoke(function_name, event)
        except Exception as failure:  # the function was not run: say so, as for an event
            return _retry_later(
                event, "NotInvoked", "the function could not be invoked; retry later", failure
            )
        answer = contract.sync_answer(payload)
        if answer.error_type is None:
            return _response(answer.status, payload)
        logs.log(
            "request.function_error",
            request_id,
            logging.ERROR,
            function=function_name,
            error_type=answer.error_type[:80],
        )
        return _json(answer.status, contract.function_error_body(event, answer.error_type))

    def _build_invoker(self) -> AsyncInvoker:
        if self._env.get("AWS_LAMBDA_FUNCTION_NAME"):
            return started(lambda_event_invoker(self._env))
        return started(self._local_invoker(self.functions, self._env))

    def _build_sync_invoker(self) -> SyncInvoker:
        if self._env.get("AWS_LAMBDA_FUNCTION_NAME"):
            longest = max((f.timeout_seconds for f in self._functions), default=0)
            return lambda_sync_invoker(self._env, longest_timeout_seconds=longest)
        return self._local_sync_invoker(self.functions, self._env)


def _retry_later(event: contract.Event, error: str, message: str, failure: Exception) -> Response:
    """A 503 with its log line: nothing was accepted or run, the same request may be sent again."""
    logs.log(
        "request.not_done",
        str(event.get("api_request_id", "")),
        logging.ERROR,
        error=error,
        reason=logs.message_of(failure),
    )
    return _json(503, contract.error_body(event, error, message, contract.RETRY_ACCEPTED))


def _json(status: int, body: contract.Body) -> Response:
    return _response(status, json_codec.dumps(body))


def _response(status: int, text: str) -> Response:
    return Response(body=text, status_code=status, headers={"Content-Type": "application/json"})
