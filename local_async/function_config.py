"""The emulated function's identity and limits, read from ``.chalice/config.json``.

The timeout and memory size are resolved with Chalice's own ``Config`` (stage
and per-function overrides, in Chalice's order) and Chalice's defaults, so the
local engine enforces what ``chalice deploy`` would configure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from chalice.config import Config
from chalice.constants import DEFAULT_LAMBDA_MEMORY_SIZE, DEFAULT_LAMBDA_TIMEOUT

#: The account in local ARNs: AWS's documentation example account, so a local
#: ARN can never be mistaken for a real resource.
LOCAL_ACCOUNT_ID = "123456789012"


class FunctionConfigError(ValueError):
    """``.chalice/config.json`` is missing or does not describe the function."""


@dataclass(frozen=True)
class LocalFunction:
    """One Lambda function as ``chalice deploy`` would name and size it."""

    #: The deployed name, Chalice's ``<app>-<stage>-<function>``.
    name: str
    region: str
    account_id: str
    timeout_seconds: float
    memory_size_mb: int

    @property
    def arn(self) -> str:
        """The unqualified ARN, the one an invoke by name resolves to."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"

    @property
    def latest_arn(self) -> str:
        """The ARN qualified with ``$LATEST``, as in invocation records."""
        return f"{self.arn}:$LATEST"

    @property
    def log_group_name(self) -> str:
        """The CloudWatch log group Lambda would write to."""
        return f"/aws/lambda/{self.name}"


def read_local_function(
    project_dir: Path, *, stage: str, region: str, function_name: str
) -> LocalFunction:
    """Describe ``function_name`` of the Chalice project in ``project_dir``."""
    config_path = project_dir / ".chalice" / "config.json"
    try:
        from_disk = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise FunctionConfigError(f"cannot read {config_path}: {problem}") from problem
    if not isinstance(from_disk, dict):
        raise FunctionConfigError(f"{config_path} must hold a JSON object")
    config = Config(chalice_stage=stage, function_name=function_name, config_from_disk=from_disk)
    app_name = config.app_name
    if not app_name:
        raise FunctionConfigError(f"{config_path} has no app_name")
    timeout = config.lambda_timeout or DEFAULT_LAMBDA_TIMEOUT
    memory = config.lambda_memory_size or DEFAULT_LAMBDA_MEMORY_SIZE
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise FunctionConfigError(
            f"{config_path}: lambda_timeout of {function_name} must be a positive number of seconds"
        )
    if isinstance(memory, bool) or not isinstance(memory, int) or memory <= 0:
        raise FunctionConfigError(
            f"{config_path}: lambda_memory_size of {function_name} must be a positive integer"
        )
    return LocalFunction(
        name=f"{app_name}-{stage}-{function_name}",
        region=region,
        account_id=LOCAL_ACCOUNT_ID,
        timeout_seconds=float(timeout),
        memory_size_mb=memory,
    )
