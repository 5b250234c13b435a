"""The local engine's settings, read from environment variables.

- ``ASYNC_STATE_DIR``: where the durable store lives. Default:
  ``$XDG_STATE_HOME`` (or ``~/.local/state``) ``/serverless-async-lambda-api/``
  ``<hash of the project path>``. Never inside the project: ``chalice local``
  restarts on any file change under the project directory.
- ``ASYNC_RETRY_BASE_DELAY_SECONDS``: the delay before retry n is n x this
  (default 1; AWS behaves like about 60).
- ``ASYNC_CONCURRENCY``: how many attempts run at once (default 4).
- ``AWS_ENDPOINT_URL_SQS``: send records to this SQS endpoint instead of the
  embedded store (https, or http to this machine; with dummy credentials unless
  ``ASYNC_SQS_AWS_CREDENTIALS=true``: :mod:`local_async.destinations`).
- ``AWS_REGION`` / ``AWS_DEFAULT_REGION``: the region in ARNs and for SQS
  (default us-east-1).
- ``API_STAGE``: the Chalice stage, part of the function's deployed name
  (default dev, as in ``chalicelib.async_api.runtime``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chalicelib.async_api import runtime
from chalicelib.async_api.environment import float_variable

APP_NAME = "serverless-async-lambda-api"
#: The Chalice project directory: ``local_async`` sits beside app.py.
PROJECT_DIR = Path(__file__).resolve().parents[1]

STATE_DIR_VARIABLE = "ASYNC_STATE_DIR"
RETRY_BASE_DELAY_VARIABLE = "ASYNC_RETRY_BASE_DELAY_SECONDS"
CONCURRENCY_VARIABLE = "ASYNC_CONCURRENCY"
SQS_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SQS"

DEFAULT_RETRY_BASE_DELAY_SECONDS = 1.0
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
DEFAULT_REGION = "us-east-1"


class SettingsError(ValueError):
    """An environment variable holds a value the engine cannot use."""


@dataclass(frozen=True)
class EngineSettings:
    """Everything the engine reads from the environment."""

    state_dir: Path
    retry_base_delay_seconds: float
    concurrency: int
    sqs_endpoint_url: str | None
    region: str
    stage: str

    @classmethod
    def from_environment(
        cls, env: Mapping[str, str], project_dir: Path = PROJECT_DIR
    ) -> EngineSettings:
        """Read and check every setting; a bad value raises :class:`SettingsError`."""
        return cls(
            state_dir=state_dir(env, project_dir),
            retry_base_delay_seconds=_base_delay(env),
            concurrency=_concurrency(env),
            sqs_endpoint_url=env.get(SQS_ENDPOINT_VARIABLE) or None,
            region=region(env),
            stage=runtime.stage(env),
        )


def state_dir(env: Mapping[str, str], project_dir: Path = PROJECT_DIR) -> Path:
    """The store's directory for the project in ``project_dir``: an absolute path.

    Keyed by a hash of the project's path, so two checkouts never share a
    store; refused when inside the project, where every write would restart
    ``chalice local``. Symbolic links in it are left for :meth:`Store.open`,
    which refuses a directory that is one.
    """
    explicit = env.get(STATE_DIR_VARIABLE)
    if explicit:
        chosen = Path(os.path.abspath(Path(explicit).expanduser()))
    else:
        home = Path(env["HOME"]) if env.get("HOME") else Path.home()
        base = env.get("XDG_STATE_HOME") or str(home / ".local" / "state")
        key = hashlib.sha256(str(project_dir.resolve()).encode("utf-8")).hexdigest()[:12]
        chosen = Path(os.path.abspath(Path(base).expanduser())) / APP_NAME / key
    if chosen.resolve().is_relative_to(project_dir.resolve()):
        raise SettingsError(
            f"the async engine's store {chosen} is inside the project directory "
            f"{project_dir}: chalice local would restart on every write; "
            f"set {STATE_DIR_VARIABLE} to a directory outside the project"
        )
    return chosen


def region(env: Mapping[str, str]) -> str:
    """The AWS region: ``AWS_REGION``, then ``AWS_DEFAULT_REGION``, then us-east-1."""
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def _base_delay(env: Mapping[str, str]) -> float:
    try:
        return float_variable(
            env,
            RETRY_BASE_DELAY_VARIABLE,
            default=DEFAULT_RETRY_BASE_DELAY_SECONDS,
            low=0.0,
            what="a number of seconds",
            hint=f" (default {DEFAULT_RETRY_BASE_DELAY_SECONDS:g}; AWS waits about 60)",
        )
    except ValueError as problem:
        raise SettingsError(str(problem)) from None


def _concurrency(env: Mapping[str, str]) -> int:
    raw = env.get(CONCURRENCY_VARIABLE, "").strip()
    if raw == "":
        return DEFAULT_CONCURRENCY
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_CONCURRENCY:
        raise SettingsError(
            f"{CONCURRENCY_VARIABLE}={raw!r}: expected a whole number from 1 to "
            f"{MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY})"
        )
    return int(raw)
