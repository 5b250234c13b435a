"""The engine's knobs (environment) and the function's limits (.chalice/config.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local_async.function_config import FunctionConfigError, read_local_function
from local_async.settings import PROJECT_DIR, EngineSettings, SettingsError, state_dir


def test_defaults(tmp_path: Path) -> None:
    settings = EngineSettings.from_environment({"HOME": str(tmp_path)})
    assert settings.retry_base_delay_seconds == 1.0
    assert settings.concurrency == 4
    assert settings.sqs_endpoint_url is None
    assert settings.region == "us-east-1"
    assert settings.stage == "dev"
    base = tmp_path / ".local" / "state" / "serverless-async-lambda-api"
    assert settings.state_dir.parent == base.resolve()
    assert re.fullmatch(r"[0-9a-f]{12}", settings.state_dir.name)


def test_the_default_store_is_keyed_by_project(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    one = state_dir(env, tmp_path / "checkout-one")
    two = state_dir(env, tmp_path / "checkout-two")
    assert one.parent == two.parent == (tmp_path / "serverless-async-lambda-api").resolve()
    assert one != two
    assert state_dir(env, tmp_path / "checkout-one") == one


def test_async_state_dir_moves_the_store(tmp_path: Path) -> None:
    assert state_dir({"ASYNC_STATE_DIR": str(tmp_path / "s")}) == (tmp_path / "s").resolve()


def test_a_store_inside_the_project_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"inside the project directory.*ASYNC_STATE_DIR"):
        state_dir({"ASYNC_STATE_DIR": str(PROJECT_DIR / ".state")})


def test_knobs_are_read(tmp_path: Path) -> None:
    settings = EngineSettings.from_environment(
        {
            "ASYNC_STATE_DIR": str(tmp_path),
            "ASYNC_RETRY_BASE_DELAY_SECONDS": "0.25",
            "ASYNC_CONCURRENCY": "8",
            "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:4566",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "API_STAGE": "prod",
        }
    )
    assert settings.retry_base_delay_seconds == 0.25
    assert settings.concurrency == 8
    assert settings.sqs_endpoint_url == "http://127.0.0.1:4566"
    assert settings.region == "eu-west-1"
    assert settings.stage == "prod"


def test_aws_region_wins_over_aws_default_region(tmp_path: Path) -> None:
    env = {"ASYNC_STATE_DIR": str(tmp_path), "AWS_REGION": "ap-south-1"}
    env["AWS_DEFAULT_REGION"] = "eu-west-1"
    assert EngineSettings.from_environment(env).region == "ap-south-1"


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf"])
def test_a_bad_base_delay_is_named(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match=r"ASYNC_RETRY_BASE_DELAY_SECONDS=.*seconds >= 0"):
        EngineSettings.from_environment(
            {"ASYNC_STATE_DIR": str(tmp_path), "ASYNC_RETRY_BASE_DELAY_SECONDS": value}
        )


@pytest.mark.parametrize("value", ["0", "65", "2.5", "four", "٣"])
def test_a_bad_concurrency_is_named(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match=r"ASYNC_CONCURRENCY=.*from 1 to 64"):
        EngineSettings.from_environment(
            {"ASYNC_STATE_DIR": str(tmp_path), "ASYNC_CONCURRENCY": value}
        )


def test_the_project_s_function_as_chalice_would_deploy_it() -> None:
    function = read_local_function(
        PROJECT_DIR, stage="dev", region="us-east-1", function_name="get_square_fn"
    )
    assert function.name == "serverless-async-lambda-api-dev-get_square_fn"
    assert function.latest_arn == (
        "arn:aws:lambda:us-east-1:123456789012:function:"
        "serverless-async-lambda-api-dev-get_square_fn:$LATEST"
    )
    assert function.timeout_seconds == 60
    assert function.memory_size_mb == 128


def write_config(project: Path, config: object) -> Path:
    (project / ".chalice").mkdir(parents=True)
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    return project


def test_stage_settings_override_function_settings_as_in_chalice(tmp_path: Path) -> None:
    project = write_config(
        tmp_path,
        {
            "app_name": "demo",
            "lambda_timeout": 30,
            "lambda_functions": {"fn": {"lambda_timeout": 10}},
            "stages": {"prod": {"lambda_functions": {"fn": {"lambda_timeout": 5}}}},
        },
    )
    prod = read_local_function(project, stage="prod", region="r", function_name="fn")
    dev = read_local_function(project, stage="dev", region="r", function_name="fn")
    other = read_local_function(project, stage="dev", region="r", function_name="other")
    assert (prod.timeout_seconds, dev.timeout_seconds, other.timeout_seconds) == (5, 10, 30)
    assert prod.name == "demo-prod-fn"


def test_chalice_s_defaults_apply_when_unset(tmp_path: Path) -> None:
    project = write_config(tmp_path, {"app_name": "demo"})
    function = read_local_function(project, stage="dev", region="r", function_name="fn")
    assert (function.timeout_seconds, function.memory_size_mb) == (60, 128)


def test_a_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FunctionConfigError, match=r"cannot read .*config\.json"):
        read_local_function(tmp_path, stage="dev", region="r", function_name="fn")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([], "must hold a JSON object"),
        ({}, "has no app_name"),
        ({"app_name": "a", "lambda_timeout": "soon"}, "lambda_timeout of fn must be"),
        ({"app_name": "a", "lambda_memory_size": -1}, "lambda_memory_size of fn must be"),
    ],
)
def test_a_bad_config_is_named(tmp_path: Path, config: object, message: str) -> None:
    project = write_config(tmp_path, config)
    with pytest.raises(FunctionConfigError, match=message):
        read_local_function(project, stage="dev", region="r", function_name="fn")
