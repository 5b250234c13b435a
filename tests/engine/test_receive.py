"""``python -m local_async.receive``: the embedded store read like ``aws sqs receive-message``."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from local_async import receive
from local_async.settings import PROJECT_DIR
from local_async.store import LOCAL, Store
from tests.engine.helpers import DEST, DLQ
from tests.support.engine_e2e import run_receive_cli

NOW = 1_700_000_000.0


def put_record(state_dir: Path, queue: str, body: str, now: float = NOW) -> None:
    store = Store.open(state_dir)
    try:
        store.add_event("fn", f"r-{body}", "{}", now)
        store.heartbeat("writer", now)
        claim = store.claim_event("writer", now, 5, ["fn"])
        assert claim is not None
        assert store.complete(claim, queue=queue, body=body, delivery=LOCAL, now=now)
    finally:
        store.close()


def run(state_dir: Path, *args: str, **options: Any) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    env = {"ASYNC_STATE_DIR": str(state_dir), **options.pop("env", {})}
    status = receive.main(list(args), env=env, out=out, err=err, **options)
    printed = json.loads(out.getvalue()) if out.getvalue() else None
    return status, printed, err.getvalue()


def test_messages_have_the_shape_of_aws_sqs_receive_message(tmp_path: Path) -> None:
    put_record(tmp_path, DEST, '{"record": 1}')
    status, printed, _ = run(tmp_path, clock=lambda: NOW + 1)
    assert status == 0
    [message] = printed["Messages"]
    assert list(message) == ["MessageId", "ReceiptHandle", "MD5OfBody", "Body", "Attributes"]
    assert message["Body"] == '{"record": 1}'
    assert message["MD5OfBody"] == hashlib.md5(b'{"record": 1}').hexdigest()
    assert message["Attributes"] == {
        "SentTimestamp": str(int(NOW * 1000)),
        "ApproximateReceiveCount": "1",
        "ApproximateFirstReceiveTimestamp": str(int((NOW + 1) * 1000)),
    }


def test_records_are_kept_unless_deleted(tmp_path: Path) -> None:
    for index in range(3):
        put_record(tmp_path, DEST, f'{{"i": {index}}}')
    _, first, _ = run(tmp_path, "--max-number-of-messages", "10")
    _, second, _ = run(tmp_path, "--max-number-of-messages", "2", "--delete")
    _, third, _ = run(tmp_path, "--max-number-of-messages", "10", "--delete")
    assert [m["Body"] for m in first["Messages"]] == ['{"i": 0}', '{"i": 1}', '{"i": 2}']
    assert [m["Body"] for m in second["Messages"]] == ['{"i": 0}', '{"i": 1}']
    assert [m["Body"] for m in third["Messages"]] == ['{"i": 2}']
    status, nothing, err = run(tmp_path, "--max-number-of-messages", "10")
    assert (status, nothing) == (0, None)
    assert "no record in async_get_square_fn_dest_queue" in err


def test_the_queue_can_be_picked(tmp_path: Path) -> None:
    put_record(tmp_path, DEST, "ok")
    put_record(tmp_path, DLQ, "failed")
    _, printed, _ = run(tmp_path, "--queue-name", DLQ, "--max-number-of-messages", "10")
    assert [m["Body"] for m in printed["Messages"]] == ["failed"]


def test_wait_time_polls_until_a_record_arrives(tmp_path: Path) -> None:
    clock = [NOW]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds
        if len(sleeps) == 3:
            put_record(tmp_path, DEST, "late", now=clock[0])

    _, printed, _ = run(tmp_path, "--wait-time-seconds", "5", clock=lambda: clock[0], sleep=sleep)
    assert [m["Body"] for m in printed["Messages"]] == ["late"]
    assert len(sleeps) == 3


def test_wait_time_gives_up_after_the_wait(tmp_path: Path) -> None:
    clock = [NOW]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    status, printed, _ = run(
        tmp_path, "--wait-time-seconds", "2", clock=lambda: clock[0], sleep=sleep
    )
    assert (status, printed) == (0, None)
    assert NOW + 2 <= clock[0] < NOW + 2.2


def test_a_visibility_timeout_hides_what_was_read(tmp_path: Path) -> None:
    put_record(tmp_path, DEST, "once")
    _, first, _ = run(tmp_path, "--visibility-timeout", "30", clock=lambda: NOW)
    _, hidden, _ = run(tmp_path, clock=lambda: NOW + 10)
    _, back, _ = run(tmp_path, clock=lambda: NOW + 31)
    assert (len(first["Messages"]), hidden, len(back["Messages"])) == (1, None, 1)
    assert back["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-number-of-messages", "11"], "from 1 to 10"),
        (["--wait-time-seconds", "21"], "from 0 to 20"),
        (["--queue-name", "other"], "invalid choice"),
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


def test_a_configured_sqs_endpoint_is_pointed_out(tmp_path: Path) -> None:
    _, _, err = run(tmp_path, env={"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:4566"})
    assert "AWS_ENDPOINT_URL_SQS is set" in err


def test_it_runs_as_a_module(tmp_path: Path) -> None:
    put_record(tmp_path, DEST, '{"as": "module"}')
    done = run_receive_cli(tmp_path, "--delete")
    assert json.loads(done.stdout)["Messages"][0]["Body"] == '{"as": "module"}'
