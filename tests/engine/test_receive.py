"""``python -m local_async.receive``: the embedded store read like ``aws sqs receive-message``."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from local_async import receive
from local_async.settings import PROJECT_DIR
from local_async.store import Store
from tests.engine.helpers import DEST, DLQ, put_record
from tests.support.engine_e2e import run_receive_cli

NOW = 1_700_000_000.0


def put(state_dir: Path, queue: str, body: str, now: float = NOW) -> None:
    store = Store.open(state_dir)
    try:
        put_record(store, queue, body, now=now)
    finally:
        store.close()


def run(state_dir: Path, *args: str, **options: Any) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    env = {"ASYNC_STATE_DIR": str(state_dir), **options.pop("env", {})}
    status = receive.main(list(args), env=env, out=out, err=err, **options)
    printed = json.loads(out.getvalue()) if out.getvalue() else None
    return status, printed, err.getvalue()


def bodies(printed: Any) -> list[str]:
    return [message["Body"] for message in printed["Messages"]]


def test_messages_have_the_shape_of_aws_sqs_receive_message(tmp_path: Path) -> None:
    put(tmp_path, DEST, '{"record": 1}')
    status, printed, _ = run(tmp_path, clock=lambda: NOW + 1)
    assert status == 0
    [message] = printed["Messages"]
    assert list(message) == ["MessageId", "ReceiptHandle", "MD5OfBody", "Body", "Attributes"]
    assert message["Body"] == '{"record": 1}'
    assert message["MD5OfBody"] == hashlib.md5(b'{"record": 1}').hexdigest()
    assert len(message["ReceiptHandle"]) == 64
    assert message["Attributes"] == {
        "SentTimestamp": str(int(NOW * 1000)),
        "ApproximateReceiveCount": "1",
        "ApproximateFirstReceiveTimestamp": str(int((NOW + 1) * 1000)),
    }


def test_an_empty_queue_prints_nothing_at_all(tmp_path: Path) -> None:
    assert run(tmp_path) == (0, None, "")
    assert run(tmp_path, env={"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:4566"}) == (0, None, "")
    done = run_receive_cli(tmp_path, "--queue-name", DLQ)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_repeated_calls_page_through_the_queue_as_on_sqs(tmp_path: Path) -> None:
    for index in range(5):
        put(tmp_path, DEST, f'{{"i": {index}}}')
    pages = [run(tmp_path, "--max-number-of-messages", "2", clock=lambda: NOW)[1] for _ in range(4)]
    assert [bodies(page) if page else [] for page in pages] == [
        ['{"i": 0}', '{"i": 1}'],
        ['{"i": 2}', '{"i": 3}'],
        ['{"i": 4}'],
        [],
    ]
    # SQS's default visibility timeout is 30 s: then the records are back.
    _, back, _ = run(tmp_path, "--max-number-of-messages", "10", clock=lambda: NOW + 30)
    assert len(back["Messages"]) == 5


def test_a_visibility_timeout_of_0_peeks_without_hiding(tmp_path: Path) -> None:
    put(tmp_path, DEST, "once")
    peeks = [run(tmp_path, "--visibility-timeout", "0", clock=lambda: NOW)[1] for _ in range(2)]
    assert [bodies(peek) for peek in peeks] == [["once"], ["once"]]
    assert peeks[1]["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_help_says_how_to_peek_without_hiding(tmp_path: Path) -> None:
    done = run_receive_cli(tmp_path, "--help")
    assert "--visibility-timeout 0" in " ".join(done.stdout.split())


def test_delete_deletes_only_what_was_received(tmp_path: Path) -> None:
    for index in range(3):
        put(tmp_path, DEST, f'{{"i": {index}}}')
    _, deleted, _ = run(tmp_path, "--max-number-of-messages", "2", "--delete")
    _, rest, _ = run(tmp_path, "--max-number-of-messages", "10", "--visibility-timeout", "0")
    assert bodies(deleted) == ['{"i": 0}', '{"i": 1}']
    assert bodies(rest) == ['{"i": 2}']


def test_a_record_is_deleted_by_its_receipt_handle(tmp_path: Path) -> None:
    put(tmp_path, DEST, "done with it")
    put(tmp_path, DEST, "not yet")
    _, first, _ = run(tmp_path, "--max-number-of-messages", "10", clock=lambda: NOW)
    done, later = first["Messages"]
    status, printed, err = run(
        tmp_path, "--delete-receipt-handle", done["ReceiptHandle"], clock=lambda: NOW
    )
    assert (status, printed, err) == (0, None, "")
    # The other one comes back after its visibility timeout; the deleted one never does.
    _, back, _ = run(tmp_path, "--max-number-of-messages", "10", clock=lambda: NOW + 31)
    assert bodies(back) == ["not yet"]
    # Its first handle is stale now: as on SQS, deleting with it deletes nothing.
    status, _, err = run(tmp_path, "--delete-receipt-handle", later["ReceiptHandle"])
    assert status == 0 and "received again since" in err
    _, still, _ = run(tmp_path, "--visibility-timeout", "0", clock=lambda: NOW + 62)
    assert bodies(still) == ["not yet"]


def test_a_malformed_receipt_handle_is_refused(tmp_path: Path) -> None:
    status, printed, err = run(tmp_path, "--delete-receipt-handle", "not-a-handle")
    assert (status, printed) == (1, None)
    assert err.startswith("error: ReceiptHandleIsInvalid: 'not-a-handle'")
    assert "64 hex digits" in err


class FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_records_whose_output_failed_are_not_deleted_and_are_visible_again(
    tmp_path: Path,
) -> None:
    put(tmp_path, DEST, "precious")
    err = io.StringIO()
    status = receive.main(
        ["--delete"], env={"ASYNC_STATE_DIR": str(tmp_path)}, out=FullDisk(), err=err
    )
    _, printed, _ = run(tmp_path, "--delete")
    assert printed and bodies(printed) == ["precious"], "the record was deleted unread"
    assert status == 1
    assert "could not be written out" in err.getvalue() and "none was deleted" in err.getvalue()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_delete_to_a_full_disk_loses_nothing(tmp_path: Path) -> None:
    put(tmp_path, DEST, "precious")
    with open("/dev/full", "w") as full:
        done = run_receive_cli(tmp_path, "--delete", stdout=full, check=False)
    _, printed, _ = run(tmp_path, "--delete")
    assert printed and bodies(printed) == ["precious"], "the record was deleted unread"
    assert done.returncode == 1, done.stderr
    assert "No space left on device" in done.stderr
    assert "Exception ignored" not in done.stderr


def test_delete_to_a_closed_pipe_loses_nothing(tmp_path: Path) -> None:
    put(tmp_path, DEST, "precious")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = run_receive_cli(tmp_path, "--delete", stdout=write_end, check=False)
    finally:
        os.close(write_end)
    _, printed, _ = run(tmp_path, "--delete")
    assert printed and bodies(printed) == ["precious"], "the record was deleted unread"
    assert done.returncode == 1, done.stderr
    assert "Broken pipe" in done.stderr


def test_the_queue_can_be_picked(tmp_path: Path) -> None:
    put(tmp_path, DEST, "ok")
    put(tmp_path, DLQ, "failed")
    _, printed, _ = run(tmp_path, "--queue-name", DLQ, "--max-number-of-messages", "10")
    assert bodies(printed) == ["failed"]


def test_wait_time_polls_until_a_record_arrives(tmp_path: Path) -> None:
    clock = [NOW]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds
        if len(sleeps) == 3:
            put(tmp_path, DEST, "late", now=clock[0])

    _, printed, _ = run(
        tmp_path,
        "--wait-time-seconds",
        "5",
        clock=lambda: clock[0],
        monotonic=lambda: clock[0],
        sleep=sleep,
    )
    assert bodies(printed) == ["late"]
    assert len(sleeps) == 3


def test_wait_time_is_measured_on_the_monotonic_clock(tmp_path: Path) -> None:
    waited = [0.0]

    def sleep(seconds: float) -> None:
        waited[0] += seconds

    # The wall clock jumps back an hour on every read: the wait still ends on time.
    wall = iter(range(10**6))
    status, printed, _ = run(
        tmp_path,
        "--wait-time-seconds",
        "2",
        clock=lambda: NOW - 3600 * next(wall),
        monotonic=lambda: NOW + waited[0],
        sleep=sleep,
    )
    assert (status, printed) == (0, None)
    assert 2 <= waited[0] < 2.2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-number-of-messages", "11"], "from 1 to 10"),
        (["--wait-time-seconds", "21"], "from 0 to 20"),
        (["--visibility-timeout", "43201"], "from 0 to 43200"),
        (["--queue-name", "other"], "invalid choice"),
        (["--delete", "--delete-receipt-handle", "0" * 64], "not allowed with"),
    ],
)
def test_bad_options_are_refused_with_sqs_s_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(tmp_path, *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_store_inside_the_project_is_an_error_not_a_traceback() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = receive.main([], env={"ASYNC_STATE_DIR": str(PROJECT_DIR)}, out=out, err=err)
    assert status == 2
    assert err.getvalue().startswith("error: ") and "inside the project" in err.getvalue()


def test_with_an_sqs_endpoint_configured_the_records_kept_here_are_explained(
    tmp_path: Path,
) -> None:
    put(tmp_path, DEST, "refused by the endpoint")
    _, printed, err = run(tmp_path, env={"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:4566"})
    assert bodies(printed) == ["refused by the endpoint"]
    assert "AWS_ENDPOINT_URL_SQS is set: these are records the endpoint refused" in err


def test_it_runs_as_a_module(tmp_path: Path) -> None:
    put(tmp_path, DEST, '{"as": "module"}')
    done = run_receive_cli(tmp_path, "--delete")
    assert json.loads(done.stdout)["Messages"][0]["Body"] == '{"as": "module"}'
