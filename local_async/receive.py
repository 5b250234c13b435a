"""Read invocation records from the embedded store, as ``aws sqs receive-message`` does.

Usage (from the project directory, with the same ``ASYNC_STATE_DIR`` as the
server, if set)::

    python -m local_async.receive                       # one record, the first on-success queue
    python -m local_async.receive --queue-name async_<function>_dlq \\
        --max-number-of-messages 10 --wait-time-seconds 5
    python -m local_async.receive --delete-receipt-handle <ReceiptHandle>   # done with it

The queues are those of the functions declared in app.py.

As on SQS (``ReceiveMessage``, ``DeleteMessage``): each receive hides the
records it returns for the visibility timeout, 30 s unless
``--visibility-timeout`` says otherwise (an SQS queue's default), so repeated
calls page through the queue and ``--visibility-timeout 0`` peeks without
hiding. Each receive gives a record a new ``ReceiptHandle``; deleting takes the
latest one (an older one deletes nothing). ``--delete`` deletes what was
received once it has been written out, and not if the output failed (a full
disk, a closed pipe): the records are then visible again at once. Each
message's ``Body`` is the AWS invocation record, as JSON text. With no record
to read, nothing is printed at all and the exit status is 0, as with the AWS CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from chalicelib.async_api import AsyncApi
from chalicelib.async_api.declaration import AsyncFunction
from local_async.settings import PROJECT_DIR, SQS_ENDPOINT_VARIABLE, SettingsError, state_dir
from local_async.store import RECEIPT_HANDLE_LENGTH, ReceivedMessage, Store, StoreError

#: Limits and defaults of SQS's ReceiveMessage and of a queue's VisibilityTimeout.
MAX_MESSAGES = 10
MAX_WAIT_SECONDS = 20
MAX_VISIBILITY_TIMEOUT_SECONDS = 43200
DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30
#: Exit statuses: the command failed (the records could not be written out and
#: none was deleted, or a receipt handle is malformed); a bad option or setting.
EXIT_FAILED = 1
EXIT_USAGE = 2
_POLL_SECONDS = 0.1
_HANDLE = re.compile(f"[0-9a-f]{{{RECEIPT_HANDLE_LENGTH}}}")


def build_parser(functions: Sequence[AsyncFunction]) -> argparse.ArgumentParser:
    """The command line, with ``aws sqs receive-message``'s option names."""
    queues = [queue for function in functions for queue in function.queues]
    parser = argparse.ArgumentParser(
        prog="python -m local_async.receive",
        description="Read the local async engine's invocation records "
        "(JSON shaped like `aws sqs receive-message`). As on SQS, a receive hides the "
        "records it returns for the visibility timeout, so repeated calls page through "
        "the queue; peek without hiding with --visibility-timeout 0. An empty queue "
        "prints nothing.",
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
        type=bounded_int(1, MAX_MESSAGES),
        default=1,
        help=f"1 to {MAX_MESSAGES} (default 1)",
    )
    parser.add_argument(
        "--wait-time-seconds",
        type=bounded_int(0, MAX_WAIT_SECONDS),
        default=0,
        help=f"wait up to this long for a record, 0 to {MAX_WAIT_SECONDS} (default 0)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=bounded_int(0, MAX_VISIBILITY_TIMEOUT_SECONDS),
        default=DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
        help="hide the records received for this many seconds, 0 to "
        f"{MAX_VISIBILITY_TIMEOUT_SECONDS} (default {DEFAULT_VISIBILITY_TIMEOUT_SECONDS}, "
        "as an SQS queue); 0 peeks without hiding",
    )
    deleting = parser.add_mutually_exclusive_group()
    deleting.add_argument(
        "--delete",
        action="store_true",
        help="delete the records received once they are written out (default: keep them)",
    )
    deleting.add_argument(
        "--delete-receipt-handle",
        action="append",
        metavar="RECEIPT_HANDLE",
        help="delete the record last received with this ReceiptHandle instead of receiving, "
        "as `aws sqs delete-message`; repeat for several",
    )
    return parser


def message_json(message: ReceivedMessage) -> dict[str, Any]:
    """One entry of ``Messages``, as SQS returns it (with its attributes)."""
    return {
        "MessageId": message.message_id,
        "ReceiptHandle": message.receipt_handle,
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
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    functions: Sequence[AsyncFunction] | None = None,
) -> int:
    """Run the command; return its exit status.

    ``clock`` is the wall clock (record times, visibility), ``monotonic`` times
    the wait; ``functions`` defaults to the declarations of the project's app.py.
    """
    env = os.environ if env is None else env
    functions = AsyncApi.of_project(str(PROJECT_DIR)).functions if functions is None else functions
    args = build_parser(functions).parse_args(argv)
    handles: list[str] = args.delete_receipt_handle or []
    malformed = [handle for handle in handles if not _HANDLE.fullmatch(handle)]
    if malformed:
        print(
            f"error: ReceiptHandleIsInvalid: {malformed[0]!r} is not a receipt handle: "
            f"it is the ReceiptHandle of a received message ({RECEIPT_HANDLE_LENGTH} hex digits)",
            file=err,
        )
        return EXIT_FAILED
    try:
        store = Store.open(state_dir(env), routes={f.route: f.name for f in functions})
    except (SettingsError, StoreError) as problem:
        print(f"error: {problem}", file=err)
        return EXIT_USAGE
    try:
        if handles:
            for handle in store.delete(args.queue_name, handles):
                print(
                    f"note: no record of {args.queue_name} was last received with {handle}: "
                    "deleted already, received again since (delete with the newer handle), "
                    "or never received; nothing deleted",
                    file=err,
                )
            return 0
        return _receive(store, args, env, out, err, clock, monotonic, sleep)
    finally:
        store.close()


def _receive(
    store: Store,
    args: argparse.Namespace,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    clock: Callable[[], float],
    monotonic: Callable[[], float],
    sleep: Callable[[float], None],
) -> int:
    deadline = monotonic() + args.wait_time_seconds
    while True:
        messages = store.receive(
            args.queue_name,
            limit=args.max_number_of_messages,
            now=clock(),
            visibility_timeout=args.visibility_timeout,
        )
        if messages or monotonic() >= deadline:
            break
        sleep(_POLL_SECONDS)
    if not messages:
        return 0
    if env.get(SQS_ENDPOINT_VARIABLE):
        print(
            f"note: {SQS_ENDPOINT_VARIABLE} is set: these are records the endpoint refused, "
            "kept here; the others are on the endpoint's queues "
            "(`aws sqs receive-message --endpoint-url ...`)",
            file=err,
        )
    handles = [message.receipt_handle for message in messages]
    try:
        json.dump({"Messages": [message_json(m) for m in messages]}, out, indent=4)
        out.write("\n")
        out.flush()
    except OSError as problem:
        store.change_visibility(args.queue_name, handles, now=clock(), visibility_timeout=0)
        print(
            f"error: the records could not be written out ({problem}): none was deleted, "
            "and they are visible again",
            file=err,
        )
        return EXIT_FAILED
    if args.delete:
        store.delete(args.queue_name, handles)
    return 0


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (no upper bound if None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low or (high is not None and value > high):
            upto = f"from {low} to {high}" if high is not None else f"of {low} or more"
            raise argparse.ArgumentTypeError(f"expected a whole number {upto}")
        return value

    return parse


if __name__ == "__main__":
    status = main()
    if status == EXIT_FAILED:
        # What stdout could not take may still be in its buffer: send it to
        # /dev/null, so the flush at exit does not fail a second time (the
        # standard library's advice for a closed pipe, in the signal module's docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(status)
