"""serverless-async-lambda-api: one API, called synchronously or asynchronously.

``GET /square/{number}`` squares the number. With ``InvocationType: Event`` the
call answers 202 at once and ``get_square_fn`` runs in the background; its
result lands on the destination queue (failures, after retries, on the DLQ).
The logic lives in ``chalicelib``; this module only wires it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from chalice.app import Chalice, Response

from chalicelib import contract, invokers, json_codec, logs, runtime, square_function

app = Chalice(app_name="serverless-async-lambda-api")

#: Chalice's default stage; ``.chalice/config.json`` sets API_STAGE per stage.
DEFAULT_STAGE = "dev"


@app.lambda_function(name="get_square_fn")
def get_square_fn(event: dict[str, Any], context: Any) -> contract.Body:
    """The pure function: validate the event's number and return the body."""
    request_id = str(event.get("api_request_id", "")) if isinstance(event, dict) else ""
    knobs = square_function.Knobs.from_environment(os.environ)
    try:
        body = square_function.run(event, knobs, sleep=time.sleep, random=_random)
    except Exception as failure:
        logs.log(
            "square.failed",
            request_id,
            logging.ERROR,
            error_type=type(failure).__name__,
            error=str(failure),
        )
        raise
    logs.log("square.done", request_id, outcome=body.get("error", "ok"))
    return body


_async_invoker = invokers.LazyInvoker(lambda: invokers.for_environment(os.environ, get_square_fn))

# Under `chalice local` the engine starts with the server, so events accepted
# before a restart resume without waiting for a new request. The local-only
# package is imported by name: it is not in the Lambda zip.
if runtime.is_chalice_local():
    import importlib

    importlib.import_module("local_async.dev_server").tune_chalice_local()
    _async_invoker.get()


@app.route("/square/{number}", methods=["GET"])
def square(number: str) -> Response:
    """Square ``number`` now (200), or accept it for background work (202)."""
    request = app.current_request
    assert request is not None, "Chalice sets current_request for every route call"
    context = request.context
    request_id = context.get("requestId") or _new_request_id()
    header = request.headers.get(contract.INVOCATION_TYPE_HEADER)
    event = contract.build_event(
        number=number,
        invocation_type=contract.REQUEST_RESPONSE if header is None else header,
        stage=context.get("stage") or os.environ.get("API_STAGE", DEFAULT_STAGE),
        request_id=request_id,
        http_method=request.method,
        source_ip=context.get("identity", {}).get("sourceIp") or "",
        user_agent=request.headers.get("user-agent"),
    )
    logs.log("request.received", request_id, invocation_type=event["invocation_type"][:40])
    if event["invocation_type"] != contract.EVENT:
        return _function_answer(event)
    try:
        _async_invoker.get().submit(event)
    except Exception as failure:  # the event was not accepted: say so, do not 202
        logs.log("request.not_accepted", request_id, logging.ERROR, error=str(failure))
        return _json(
            503,
            contract.error_body(
                event,
                "NotAccepted",
                "the event could not be queued; retry later",
                contract.RETRY_ACCEPTED,
            ),
        )
    return _json(202, contract.accepted_body(event))


# Imported where used, off the cold start: `import app` runs on every Lambda cold
# start (and on every chalice local reload), and these serve only some calls.


def _random() -> float:
    import random  # only with SQUARE_FAULT_RATE > 0

    return random.random()


def _new_request_id() -> str:
    import uuid  # only where the gateway gives no request id: chalice local, the test client

    return str(uuid.uuid4())


def _function_answer(event: contract.SquareEvent) -> Response:
    try:
        body = get_square_fn(dict(event), None)
    except Exception as failure:  # the function failed, as a 502 from API Gateway
        return _json(
            502,
            contract.error_body(event, "FunctionError", str(failure), contract.RETRY_ACCEPTED),
        )
    return _json(400 if contract.is_error(body) else 200, body)


def _json(status: int, body: contract.Body) -> Response:
    return Response(
        body=json_codec.dumps(body),
        status_code=status,
        headers={"Content-Type": "application/json"},
    )
