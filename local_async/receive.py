"""Read invocation records from the embedded store, printed as ``aws sqs receive-message`` does.

Usage (from the project directory, with the same ``ASYNC_STATE_DIR`` as the
server, if set)::

    python -m local_async.receive                       # one record, the first on-success queue
    python -m local_async.receive --queue-name async_<function>_dlq \\
        --max-number-of-messages 10 --wait-time-seconds 5 --delete

The queues are those of the functions declared in app.py.

Records stay in the store unless ``--delete`` is given (``--visibility-timeout``
hides read records for a while, as SQS does; the default 0 keeps them visible).
Each message's ``Body`` is the AWS invocation record, as JSON text. With no
record to read, nothing is printed on stdout, as with the AWS CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from chalicelib.async_api import AsyncApi
from chalicelib.async_api.declaration import AsyncFunction
from local_async.settings import PROJECT_DIR, SQS_ENDPOINT_VARIABLE, SettingsError, state_dir
from local_async.store import ReceivedMessage, Store, StoreError

#: Limits of SQS's ReceiveMessage.
MAX_MESSAGES = 10
MAX_WAIT_SECONDS = 20
MAX_VISIBILITY_TIMEOUT_SECONDS = 43200
_POLL_SECONDS = 0.1


def build_parser(functions: Sequence[AsyncFunction]) -> argparse.ArgumentParser:
    """The command line, with ``aws sqs receive-message``'s option names."""
    queues = [queue for function in functions for queue in function.queues]
    parser = argparse.ArgumentParser(
        prog="python -m local_async.receive",
        description="Read the local async engine's invocation records "
        "(JSON shaped like `aws sqs receive-message`).",
    )
    parser.add_argument(
        "--queue-name",
        choices=queues,
        default=queues[0],
        help="a declared function's on-success or on-failure queue "
        f"(default {queues[0]}, the first function's on-success queue)",
    )
    parser.add_argument(
        "--max-number-of-messages",
        type=_bounded_int(1, MAX_MESSAGES),
        default=1,
        help=f"1 to {MAX_MESSAGES} (default 1)",
    )
    parser.add_argument(
        "--wait-time-seconds",
        type=_bounded_int(0, MAX_WAIT_SECONDS),
        default=0,
        help=f"wait up to this long for a record, 0 to {MAX_WAIT_SECONDS} (default 0)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=_bounded_int(0, MAX_VISIBILITY_TIMEOUT_SECONDS),
        default=0,
        help="hide the records read for this many seconds (default 0: keep them visible)",
    )
    parser.add_argument(
        "--delete", action="store_true", help="delete the records read (default: keep them)"
    )
    return parser


def message_json(message: ReceivedMessage) -> dict[str, Any]:
    """One entry of ``Messages``, as SQS returns it (with its attributes)."""
    return {
        "MessageId": message.message_id,
        # Receipt handles are opaque; this store deletes with --delete instead.
        "ReceiptHandle": uuid.uuid4().hex,
        "MD5OfBody": message.md5_of_body,
        "Body": message.body,
        "Attributes": {
            "SentTimestamp": str(int(message.sent_at * 1000)),
            "ApproximateReceiveCount": str(message.receive_count),
            "ApproximateFirstReceiveTimestamp": str(int(message.first_received_at * 1000)),
        },
    }


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    functions: Sequence[AsyncFunction] | None = None,
) -> int:
    """Run the command; return its exit status.

    ``functions`` defaults to the declarations of the project's app.py.
    """
    env = os.environ if env is None else env
    functions = AsyncApi.of_project(str(PROJECT_DIR)).functions if functions is None else functions
    args = build_parser(functions).parse_args(argv)
    if env.get(SQS_ENDPOINT_VARIABLE):
        print(
            f"note: {SQS_ENDPOINT_VARIABLE} is set, so the engine sends records to that "
            "endpoint; read them there with `aws sqs receive-message --endpoint-url ...`. "
            "Reading the embedded store.",
            file=err,
        )
    try:
        store = Store.open(state_dir(env), routes={f.route: f.name for f in functions})
    except (SettingsError, StoreError) as problem:
        print(f"error: {problem}", file=err)
        return 2
    try:
        deadline = clock() + args.wait_time_seconds
        while True:
            messages = store.receive(
                args.queue_name,
                limit=args.max_number_of_messages,
                now=clock(),
                visibility_timeout=args.visibility_timeout,
                delete=args.delete,
            )
            if messages or clock() >= deadline:
                break
            sleep(_POLL_SECONDS)
    finally:
        store.close()
    if not messages:
        print(f"no record in {args.queue_name}", file=err)
        return 0
    json.dump({"Messages": [message_json(m) for m in messages]}, out, indent=4)
    out.write("\n")
    return 0


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}")
        return value

    return parse


if __name__ == "__main__":
    sys.exit(main())
