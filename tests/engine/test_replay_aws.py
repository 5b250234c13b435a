"""``python -m local_async.replay --from aws``: a deployed stack, on loopback stand-ins.

moto's server plays CloudFormation (a stack with this project's outputs) and
SQS (its on-failure queue); a loopback Lambda Invoke endpoint
(``tests.support.fake_lambda``) accepts or refuses the new invocations. The
command reaches them with boto3's ordinary configuration (``AWS_ENDPOINT_URL_*``,
credentials and region from the environment), as it would reach AWS.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

from chalicelib.async_api import AsyncFunction
from local_async.replay.cli import NAME_OUTPUT, ON_FAILURE_QUEUE_URL_OUTPUT, stack_output_key
from tests.engine.helpers import DLQ, SQUARE
from tests.support.declared import FUNCTIONS
from tests.support.fake_lambda import FakeLambda, fake_lambda
from tests.support.moto_sqs import MotoSqs
from tests.support.replay import (
    queued_ids,
    replay,
    run_replay_cli,
    send_failures,
    square_event,
    table_rows,
)

STACK = "serverless-async-lambda-api"


def deployed_name(function: AsyncFunction) -> str:
    """The name CloudFormation gives a declared function (its ``<Function>Name`` output)."""
    return f"{STACK}-{to_cfn_resource_name(function.name)}-4ZJ8XKQ1R2T3"


DEPLOYED = deployed_name(SQUARE)
DEPLOYED_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{DEPLOYED}:$LATEST"


def deploy(moto: MotoSqs, stack: str = STACK, outputs: bool = True) -> str:
    """A stack with the outputs and on-failure queues of every declared function.

    Returns the example's on-failure queue's URL.
    """
    template: dict[str, Any] = {"Resources": {}, "Outputs": {}}
    for function in FUNCTIONS:
        queue = stack_output_key(function, "OnFailureQueue")
        template["Resources"][queue] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": function.on_failure_queue},
        }
        template["Outputs"][stack_output_key(function, ON_FAILURE_QUEUE_URL_OUTPUT)] = {
            "Value": {"Ref": queue}
        }
        template["Outputs"][stack_output_key(function, NAME_OUTPUT)] = {
            "Value": deployed_name(function)
        }
    if not outputs:
        del template["Outputs"]
    cloudformation = moto.client("cloudformation")
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(template))
    url: str = moto.client().get_queue_url(QueueName=DLQ)["QueueUrl"]
    return url


def put_failures(moto: MotoSqs, url: str, ids: list[str], function_arn: str = DEPLOYED_ARN) -> None:
    send_failures(moto.client(), url, ids, function_arn)


def aws_env(moto: MotoSqs, lambda_: FakeLambda, tmp_path: Path) -> dict[str, str]:
    """boto3's ordinary configuration, pointed at the stand-ins; no profile, no metadata service."""
    return {
        "AWS_ENDPOINT_URL_CLOUDFORMATION": moto.url,
        "AWS_ENDPOINT_URL_SQS": moto.url,
        "AWS_ENDPOINT_URL_LAMBDA": lambda_.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "ASYNC_STATE_DIR": str(tmp_path),
    }


def api_ids(invocations: list[dict[str, Any]]) -> list[str]:
    return sorted(invocation["event"]["api_request_id"] for invocation in invocations)


def test_each_record_is_invoked_again_as_an_event_and_deleted(
    moto: MotoSqs, tmp_path: Path
) -> None:
    url = deploy(moto)
    ids = [f"id-{n}" for n in range(12)]
    put_failures(moto, url, ids)
    with fake_lambda() as lambda_:
        done = replay("--from", "aws", env=aws_env(moto, lambda_, tmp_path))
    assert done.returncode == 0, done.stderr
    assert {tuple(row[1:]) for row in table_rows(done.stdout).values()} == {
        (SQUARE.name, "RetriesExhausted", "SimulatedFailure", "replayed")
    }
    assert api_ids(lambda_.invocations) == sorted(ids)
    for invocation in lambda_.invocations:
        assert invocation["function"] == DEPLOYED, "the stack's function, unqualified: $LATEST"
        assert invocation["invocation_type"] == "Event"
        number = ids.index(invocation["event"]["api_request_id"])
        assert invocation["event"] == square_event(f"id-{number}", str(number)), "unchanged"
    assert queued_ids(moto, url) == []
    assert "Lambda runs the replayed events" in done.stderr


def test_a_refused_invocation_leaves_its_record_for_the_next_run(
    moto: MotoSqs, tmp_path: Path
) -> None:
    url = deploy(moto)
    ids = ["throttled", "answered-200", "fine"]
    put_failures(moto, url, ids)
    statuses = {"throttled": 429, "answered-200": 200}

    def answer(invocation: dict[str, Any]) -> int:
        return statuses.get(invocation["event"]["api_request_id"], 202)

    with fake_lambda(answer) as lambda_:
        done = replay("--from", "aws", env=aws_env(moto, lambda_, tmp_path))
        assert done.returncode == 1
        outcomes = {i: row[-1] for i, row in table_rows(done.stdout).items()}
        assert outcomes == {
            "throttled": "left: not accepted: TooManyRequestsException: Rate Exceeded.",
            "answered-200": "left: not accepted: Lambda answered 200, not 202",
            "fine": "replayed",
        }
        assert done.stdout.splitlines()[-1] == "3 records: 1 replayed, 2 left behind"
        assert queued_ids(moto, url) == ["answered-200", "throttled"], "visible again at once"
        statuses.clear()
        again = replay("--from", "aws", env=aws_env(moto, lambda_, tmp_path))
    assert again.returncode == 0, again.stderr
    assert sorted(table_rows(again.stdout)) == ["answered-200", "throttled"]
    assert api_ids(lambda_.accepted) == sorted(ids)
    assert queued_ids(moto, url) == []


def test_a_replay_killed_half_way_loses_nothing(moto: MotoSqs, tmp_path: Path) -> None:
    url = deploy(moto)
    ids = [f"id-{n}" for n in range(6)]
    put_failures(moto, url, ids)
    with fake_lambda() as lambda_:
        env = aws_env(moto, lambda_, tmp_path)
        lambda_.hold_invocations_after(2)
        process = run_replay_cli("--from", "aws", "--visibility-timeout", "2", env=env)
        try:
            assert lambda_.held.wait(60), "the third invocation never came"
        finally:
            process.kill()  # kill -9, while Lambda has not answered the third invocation
            process.communicate()
        lambda_.release()
        assert len(lambda_.accepted) == 2
        deadline = time.monotonic() + 30  # the killed run's records show again after 2 s
        while len(queued_ids(moto, url)) < len(ids) - 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(queued_ids(moto, url)) == len(ids) - 2
        lambda_.hold_after = None
        done = replay("--from", "aws", env=env)
    assert done.returncode == 0, done.stderr
    assert len(table_rows(done.stdout)) == len(ids) - 2
    assert api_ids(lambda_.accepted) == sorted(ids), "nothing lost"
    assert queued_ids(moto, url) == []


def test_a_record_of_a_function_outside_the_stack_is_never_invoked(
    moto: MotoSqs, tmp_path: Path
) -> None:
    url = deploy(moto)
    elsewhere = DEPLOYED_ARN.replace(DEPLOYED, "someone-elses-function")
    put_failures(moto, url, ["foreign"], function_arn=elsewhere)
    with fake_lambda() as lambda_:
        done = replay("--from", "aws", env=aws_env(moto, lambda_, tmp_path))
    assert done.returncode == 1
    assert table_rows(done.stdout)["foreign"][-1] == (
        f"left: names someone-elses-function, not a function of the stack {STACK}"
    )
    assert lambda_.invocations == []
    assert queued_ids(moto, url) == ["foreign"]


def test_a_stack_without_the_outputs_is_refused_saying_which(moto: MotoSqs, tmp_path: Path) -> None:
    deploy(moto, stack="another-stack", outputs=False)
    with fake_lambda() as lambda_:
        env = aws_env(moto, lambda_, tmp_path)
        missing = replay("--from", "aws", env=env)
        other = replay("--from", "aws", "--stack-name", "another-stack", env=env)
    assert missing.returncode == 2
    assert f"error: cannot describe the stack {STACK}: ValidationError" in missing.stderr
    assert other.returncode == 2
    # Refused at the first declared function's.
    first = stack_output_key(FUNCTIONS[0], NAME_OUTPUT)
    assert f"error: the stack another-stack has no output {first}" in other.stderr


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_the_region_is_read_from_either_variable(
    moto: MotoSqs, tmp_path: Path, variable: str
) -> None:
    url = deploy(moto)
    put_failures(moto, url, ["id-0"])
    with fake_lambda() as lambda_:
        env = aws_env(moto, lambda_, tmp_path)
        del env["AWS_DEFAULT_REGION"]
        done = replay("--from", "aws", env={**env, variable: "us-east-1"})
    assert done.returncode == 0, done.stderr
    assert api_ids(lambda_.invocations) == ["id-0"]


def test_without_a_region_the_refusal_says_where_one_comes_from(
    moto: MotoSqs, tmp_path: Path
) -> None:
    with fake_lambda() as lambda_:
        env = aws_env(moto, lambda_, tmp_path)
        del env["AWS_DEFAULT_REGION"]
        done = replay("--from", "aws", env=env)
    assert done.returncode == 2
    assert "AWS_REGION, AWS_DEFAULT_REGION or the profile" in done.stderr
