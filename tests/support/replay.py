"""Failed events' records and the replay command, as the replay tests use them."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chalicelib.async_api import contract, json_codec
from local_async import records
from tests.support.chalice_local import PROJECT_DIR
from tests.support.declared import SQUARE
from tests.support.events import api_event
from tests.support.moto_sqs import MotoSqs

#: The function ARN of the example's records under ``chalice local`` (stage dev).
LOCAL_ARN = (
    "arn:aws:lambda:us-east-1:123456789012:function:"
    "serverless-async-lambda-api-dev-get_square_fn:$LATEST"
)


def square_event(api_request_id: str, number: str = "2") -> contract.Event:
    """An asynchronous event of the example's route, as the route builds it."""
    return api_event(
        {"number": number},
        resource_path=SQUARE.route,
        invocation_type=contract.EVENT,
        request_id=api_request_id,
    )


def failure_body(
    event: Any,
    *,
    function_arn: str = LOCAL_ARN,
    condition: str = records.RETRIES_EXHAUSTED,
    error_type: str | None = "SimulatedFailure",
) -> str:
    """An on-failure record of ``event`` as the engine (and Lambda) writes it."""
    error = None if error_type is None else {"errorType": error_type, "errorMessage": "failed"}
    return json_codec.dumps(
        records.failure_record(
            timestamp=1_700_000_000.0,
            request_id="0f5e8d7c-1b2a-4c3d-9e8f-7a6b5c4d3e2f",
            function_arn=function_arn,
            condition=condition,
            invoke_count=1 if error is None else 3,
            event=event,
            error=error,
        )
    )


def send_failures(sqs: Any, url: str, ids: list[str], function_arn: str = LOCAL_ARN) -> None:
    """Failure records of the events of ``ids`` (numbers 0, 1...) sent to the queue at ``url``."""
    for number, caller_id in enumerate(ids):
        body = failure_body(square_event(caller_id, str(number)), function_arn=function_arn)
        sqs.send_message(QueueUrl=url, MessageBody=body)


def queued_ids(moto: MotoSqs, url: str) -> list[str]:
    """The api_request_ids of the records visible on the queue at ``url``, left visible."""
    return sorted(api_request_id(body) for body in moto.visible_bodies(url))


def api_request_id(body: str) -> str:
    """The caller's id in a record's event."""
    return str(json.loads(body)["requestPayload"]["api_request_id"])


def run_replay_cli(
    *arguments: str,
    env: Mapping[str, str],
    project_dir: Path = PROJECT_DIR,
) -> subprocess.Popen[str]:
    """Start ``python -m local_async.replay`` as a user would, with only ``env`` and PATH set."""
    return subprocess.Popen(
        [sys.executable, "-m", "local_async.replay", *arguments],
        cwd=project_dir,
        env={"PATH": "/usr/bin:/bin", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def replay(
    *arguments: str, env: Mapping[str, str], project_dir: Path = PROJECT_DIR
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m local_async.replay`` to its end: its status, table and notes."""
    process = run_replay_cli(*arguments, env=env, project_dir=project_dir)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def table_rows(out: str) -> dict[str, list[str]]:
    """The command's table by api_request_id: each row's five cells.

    The table is every line but the last (the summary), its first the header.
    """
    lines = out.splitlines()
    if len(lines) < 2:
        return {}
    header, rows = lines[0], lines[1:-1]
    starts = [header.index(column) for column in ("function", "condition", "error type", "outcome")]
    table: dict[str, list[str]] = {}
    for line in rows:
        bounds = [0, *starts, len(line)]
        cells = [line[a:b].strip() for a, b in itertools.pairwise(bounds)]
        table[cells[0]] = cells
    return table
