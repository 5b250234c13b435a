"""``python -m local_async.replay``: run the failed events of the declared functions again.

Usage (from the project directory, with the same ``ASYNC_STATE_DIR`` as the
server, if set)::

    python -m local_async.replay --dry-run          # what would be replayed
    python -m local_async.replay                    # every declared function's on-failure queue
    python -m local_async.replay --function <name> --condition RetriesExhausted \\
        --error-type <ErrorType> --api-request-id <id> --max-records 10
    python -m local_async.replay --from aws --stack-name serverless-async-lambda-api

Where the records are read (``--from``), and where their events go again:

- ``store`` (the default without ``AWS_ENDPOINT_URL_SQS``): the embedded
  store's on-failure queues; each event is added to the local engine's store
  in the same SQLite transaction that deletes its record, and runs in the
  server ``make run`` started, or in the next one to start;
- ``sqs`` (the default with ``AWS_ENDPOINT_URL_SQS``): the on-failure queues,
  by name, of that SQS endpoint, where the engine sends records when the
  variable is set; events go to the local engine's store, then the record is
  deleted;
- ``aws``: the deployed stack's on-failure queues and functions, from its
  CloudFormation outputs (``<Function>OnFailureQueueUrl``, ``<Function>Name``),
  with boto3's ordinary credentials and region; each event is invoked again with
  Lambda's ``Invoke``, ``InvocationType=Event``, and its record deleted once
  Lambda answered 202. The caller needs ``cloudformation:DescribeStacks`` on the
  stack, ``sqs:ReceiveMessage``, ``sqs:DeleteMessage`` and
  ``sqs:ChangeMessageVisibility`` on the on-failure queues and
  ``lambda:InvokeFunction`` on the functions: the stack's ``ReplayPolicyArn``
  output is a managed policy granting exactly these.

The table lists each record picked: its ``api_request_id``, function,
condition, error type and outcome (replayed, would replay, or left and why).
Exit status: 0 when every record picked was replayed (or, in a dry run, would
be), 1 when any was left behind, 2 for a bad option or setting, 130 when
interrupted (what was not replayed stays on its queue).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TextIO

from chalice.utils import to_cfn_resource_name

from chalicelib.async_api import AsyncApi, runtime
from chalicelib.async_api.declaration import AsyncFunction
from local_async.destinations import EndpointRefused, endpoint_client
from local_async.function_config import FunctionConfigError, read_local_function
from local_async.receive import MAX_VISIBILITY_TIMEOUT_SECONDS, bounded_int
from local_async.replay.adapters import (
    AWS_ERRORS,
    CLOUDFORMATION_ACTIONS,
    LAMBDA_ACTIONS,
    SQS_ACTIONS,
    LambdaInvoker,
    ReplayError,
    SqsQueue,
    StoreInvoker,
    StoreQueue,
    describe,
    stack_outputs,
)
from local_async.replay.failed_records import (
    FAILURE_CONDITIONS,
    Filters,
    Row,
    anything_left,
    format_table,
    summary,
)
from local_async.replay.run import (
    HandOver,
    QueueReport,
    RecordQueue,
    Selection,
    Target,
    invoke_then_delete,
    replay_queue,
)
from local_async.settings import (
    PROJECT_DIR,
    SQS_ENDPOINT_VARIABLE,
    SettingsError,
    region,
    state_dir,
)
from local_async.store import Store, StoreError

STORE, SQS, AWS = "store", "sqs", "aws"
#: The stack ``infrastructure/app.py`` deploys unless told another name.
DEFAULT_STACK_NAME = "serverless-async-lambda-api"
#: How long a received record stays hidden while a run works (records it does not
#: replay stay hidden until it ends), and how long records wait if the command dies.
#: Measured: 500 records take 0.1 s from the embedded store, 11 s from moto's SQS on
#: loopback (a receive per 10, a delete each); 300 s leaves room for thousands.
DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 300
EXIT_LEFT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: What the stack outputs per declared function (``infrastructure/stacks/async_api_stack.py``).
NAME_OUTPUT = "Name"
ON_FAILURE_QUEUE_URL_OUTPUT = "OnFailureQueueUrl"


class Place(NamedTuple):
    """Where a run reads records and sends events, ready to run."""

    queues: list[tuple[RecordQueue, HandOver]]
    targets: Mapping[str, Target]
    targets_are: str
    #: Said once something was replayed: where the events run now.
    after: str
    close: Callable[[], None]


def stack_output_key(function: AsyncFunction, output: str) -> str:
    """The key of a function's output in the stack: ``BuildReportFnOnFailureQueueUrl``."""
    return f"{to_cfn_resource_name(function.name)}{output}"


def build_parser(
    functions: Sequence[AsyncFunction], default_source: str
) -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m local_async.replay",
        description="Run the failed events of the declared functions again: each record "
        "of their on-failure queues is submitted again, unchanged, as a new asynchronous "
        "invocation, and deleted once that invocation was accepted.",
        epilog="--from aws needs "
        + ", ".join(CLOUDFORMATION_ACTIONS)
        + " on the stack, "
        + ", ".join(SQS_ACTIONS)
        + " on its on-failure queues and "
        + ", ".join(LAMBDA_ACTIONS)
        + " on its functions: the stack's ReplayPolicyArn output grants exactly these.",
    )
    parser.add_argument(
        "--from",
        dest="source",
        choices=(STORE, SQS, AWS),
        default=default_source,
        help="where the records are: the embedded store, the SQS endpoint of "
        f"{SQS_ENDPOINT_VARIABLE}, or the deployed stack (default: {default_source})",
    )
    parser.add_argument(
        "--function",
        action="append",
        choices=[function.name for function in functions],
        help="a declared function whose on-failure queue to read; repeat for several "
        "(default: every declared function)",
    )
    parser.add_argument(
        "--api-request-id",
        action="append",
        metavar="ID",
        help="replay only the records of this api_request_id (the 202's); repeat for several",
    )
    parser.add_argument(
        "--condition",
        action="append",
        choices=FAILURE_CONDITIONS,
        help="replay only the records of this condition; repeat for both",
    )
    parser.add_argument(
        "--error-type",
        action="append",
        metavar="TYPE",
        help="replay only the records whose last attempt failed with this errorType "
        "(such as Sandbox.Timedout); repeat for several",
    )
    parser.add_argument(
        "--max-records",
        type=bounded_int(1, None),
        metavar="N",
        help="pick at most N records (default: every one)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be replayed; invoke and delete nothing",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=bounded_int(1, MAX_VISIBILITY_TIMEOUT_SECONDS),
        default=DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="how long records stay hidden while the run works on them, and how long "
        "they wait if the command dies "
        f"(default {DEFAULT_VISIBILITY_TIMEOUT_SECONDS})",
    )
    parser.add_argument(
        "--stack-name",
        help=f"with --from aws: the stack (default {DEFAULT_STACK_NAME})",
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    clock: Callable[[], float] = time.time,
    functions: Sequence[AsyncFunction] | None = None,
    aws_session: Callable[[Mapping[str, str]], Any] | None = None,
) -> int:
    """Run the command; return its exit status.

    ``clock`` is the wall clock (the store's times); ``functions`` defaults to
    the declarations of the project's app.py; ``aws_session`` builds the boto3
    session of ``--from aws`` (default: boto3's, from the environment).
    """
    env = os.environ if env is None else env
    functions = AsyncApi.of_project(str(PROJECT_DIR)).functions if functions is None else functions
    parser = build_parser(functions, SQS if env.get(SQS_ENDPOINT_VARIABLE) else STORE)
    args = parser.parse_args(argv)
    if args.stack_name is not None and args.source != AWS:
        parser.error("--stack-name goes with --from aws")
    chosen = [f for f in functions if args.function is None or f.name in args.function]
    try:
        place = _open(args, env, clock, functions, chosen, aws_session or _boto3_session, err)
    except (
        ReplayError,
        SettingsError,
        StoreError,
        FunctionConfigError,
        EndpointRefused,
    ) as problem:
        print(f"error: {problem}", file=err)
        return EXIT_USAGE
    selection = Selection(
        filters=Filters(
            api_request_ids=frozenset(args.api_request_id or ()),
            conditions=frozenset(args.condition or ()),
            error_types=frozenset(args.error_type or ()),
        ),
        targets=place.targets,
        targets_are=place.targets_are,
        max_records=args.max_records,
        dry_run=args.dry_run,
    )
    rows: list[Row] = []
    status = 0
    try:
        for queue, hand_over in place.queues:
            remaining = None if args.max_records is None else args.max_records - len(rows)
            if remaining == 0:
                break
            try:
                report = replay_queue(
                    queue, hand_over, selection._replace(max_records=remaining), rows.append
                )
            except ReplayError as problem:
                print(f"error: {problem}", file=err)
                status = EXIT_LEFT
                continue
            _notes(queue.name, report, args.visibility_timeout, err)
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
        print("interrupted: the records not replayed stay on their queues", file=err)
    finally:
        place.close()
        _print_table(rows, args.dry_run, out)
    if any(row.outcome.status == "replayed" for row in rows):
        print(place.after, file=err)
    return status or (EXIT_LEFT if anything_left(rows) else 0)


def _print_table(rows: Sequence[Row], dry_run: bool, out: TextIO) -> None:
    table = format_table(rows)
    if table:
        print(table, file=out)
    print(summary(rows, dry_run=dry_run), file=out)
    out.flush()


def _notes(queue: str, report: QueueReport, visibility_timeout: int, err: TextIO) -> None:
    if report.unmatched:
        print(
            f"note: {report.unmatched} other record(s) of {queue} did not match the "
            "filters: left as they were",
            file=err,
        )
    if report.not_released:
        print(
            f"note: some records of {queue} stay hidden for up to {visibility_timeout} s "
            f"more: {report.not_released}",
            file=err,
        )
    if report.outlasted_visibility:
        print(
            f"note: stopped early on {queue}: records received earlier came back after "
            f"--visibility-timeout {visibility_timeout} ran out; run again with a longer one",
            file=err,
        )


# -- the three places records live ----------------------------------------------


def _open(
    args: argparse.Namespace,
    env: Mapping[str, str],
    clock: Callable[[], float],
    functions: Sequence[AsyncFunction],
    chosen: Sequence[AsyncFunction],
    aws_session: Callable[[Mapping[str, str]], Any],
    err: TextIO,
) -> Place:
    if args.source == AWS:
        return _deployed_stack(args, functions, chosen, aws_session, env, err)
    store = Store.open(state_dir(env), routes={f.route: f.name for f in functions})
    try:
        targets = _local_targets(functions, env)
        if args.source == STORE:
            queues = [
                StoreQueue(
                    store,
                    function.on_failure_queue,
                    visibility_timeout=args.visibility_timeout,
                    clock=clock,
                )
                for function in chosen
            ]
            pairs: list[tuple[RecordQueue, HandOver]] = [(q, q.hand_over) for q in queues]
        else:
            pairs = _sqs_endpoint_queues(args, env, chosen, StoreInvoker(store, clock))
    except BaseException:
        store.close()
        raise
    stage = runtime.stage(env)
    return Place(
        queues=pairs,
        targets=targets,
        targets_are=f"a function app.py declares (stage {stage})",
        after="the replayed events run in the server `make run` started, or in the next one "
        "to start; their records land on the on-success queues",
        close=store.close,
    )


def _local_targets(functions: Sequence[AsyncFunction], env: Mapping[str, str]) -> dict[str, Target]:
    """The declared functions by the names local records give them (``<app>-<stage>-<name>``)."""
    stage, in_region = runtime.stage(env), region(env)
    return {
        read_local_function(
            PROJECT_DIR, stage=stage, region=in_region, function_name=function.name
        ).name: Target(declared=function.name, invoke_as=function.name)
        for function in functions
    }


def _sqs_endpoint_queues(
    args: argparse.Namespace,
    env: Mapping[str, str],
    chosen: Sequence[AsyncFunction],
    invoker: StoreInvoker,
) -> list[tuple[RecordQueue, HandOver]]:
    endpoint = env.get(SQS_ENDPOINT_VARIABLE)
    if not endpoint:
        raise ReplayError(f"--from sqs reads the queues of {SQS_ENDPOINT_VARIABLE}: set it")
    client = endpoint_client(env)
    pairs: list[tuple[RecordQueue, HandOver]] = []
    for function in chosen:
        try:
            url = client.get_queue_url(QueueName=function.on_failure_queue)["QueueUrl"]
        except client.exceptions.QueueDoesNotExist:
            continue  # the engine creates a queue with its first record: none failed yet
        except AWS_ERRORS as problem:
            raise ReplayError(f"cannot reach {endpoint}: {describe(problem)}") from None
        queue = SqsQueue(
            client,
            url,
            name=function.on_failure_queue,
            visibility_timeout=args.visibility_timeout,
        )
        pairs.append((queue, invoke_then_delete(queue, invoker)))
    return pairs


def _deployed_stack(
    args: argparse.Namespace,
    functions: Sequence[AsyncFunction],
    chosen: Sequence[AsyncFunction],
    aws_session: Callable[[Mapping[str, str]], Any],
    env: Mapping[str, str],
    err: TextIO,
) -> Place:
    stack = args.stack_name or DEFAULT_STACK_NAME
    for variable in sorted(v for v in env if v.startswith("AWS_ENDPOINT_URL")):
        print(f"note: {variable} is set: boto3 sends those calls to {env[variable]}", file=err)
    try:
        session = aws_session(env)
        cloudformation, sqs, lambda_ = (
            session.client(service) for service in ("cloudformation", "sqs", "lambda")
        )
    except AWS_ERRORS as problem:  # no region, a profile that does not exist...
        raise ReplayError(
            f"cannot use AWS: {describe(problem)} (the region comes from AWS_REGION, "
            "AWS_DEFAULT_REGION or the profile; the credentials from boto3's usual places)"
        ) from None
    outputs = stack_outputs(cloudformation, stack)

    def output(function: AsyncFunction, suffix: str) -> str:
        key = stack_output_key(function, suffix)
        if key not in outputs:
            raise ReplayError(
                f"the stack {stack} has no output {key}: is it the stack of this project's "
                "app.py, deployed since the function was declared? (--stack-name, cdk deploy)"
            )
        return outputs[key]

    # Every function of the stack may be named by a record; the queues read need their outputs.
    deployed = [f for f in functions if stack_output_key(f, NAME_OUTPUT) in outputs]
    targets = {output(f, NAME_OUTPUT): Target(f.name, output(f, NAME_OUTPUT)) for f in deployed}
    invoker = LambdaInvoker(lambda_)
    pairs: list[tuple[RecordQueue, HandOver]] = []
    for function in chosen:
        output(function, NAME_OUTPUT)  # without it every record would be left: refuse now
        queue = SqsQueue(
            sqs,
            output(function, ON_FAILURE_QUEUE_URL_OUTPUT),
            name=function.on_failure_queue,
            visibility_timeout=args.visibility_timeout,
        )
        pairs.append((queue, invoke_then_delete(queue, invoker)))
    return Place(
        queues=pairs,
        targets=targets,
        targets_are=f"a function of the stack {stack}",
        after="Lambda runs the replayed events; their records land on the on-success "
        "queues (the stack's <Function>OnSuccessQueueUrl outputs)",
        close=lambda: None,
    )


def _boto3_session(env: Mapping[str, str]) -> Any:
    """boto3's ordinary session; the region from ``AWS_REGION`` too, as Lambda sets it.

    botocore itself reads ``AWS_DEFAULT_REGION`` and the profile's region only.
    """
    import boto3

    return boto3.session.Session(region_name=env.get("AWS_REGION") or None)
