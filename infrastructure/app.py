"""The CDK app: ``cdk synth`` / ``cdk deploy`` from this directory, or ``make synth``.

Context (``cdk deploy -c key=value``):

- ``apiGatewayCloudWatchRole`` (default true): create the account's API Gateway
  logging role, which access logs need; false where the account already has one.
- ``squareWorkSeconds``, ``squareFaultRate``: the function's simulation knobs
  (``SQUARE_WORK_SECONDS``, ``SQUARE_FAULT_RATE``), to watch retries and the DLQ.
  Checked at synth as the function reads them (``Knobs.from_environment``): a
  value the function would reject, such as ``squareFaultRate=2``, fails the
  synthesis instead of deploying a function that fails every call.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The repository root first: Chalice imports the project's app.py by the name
# "app", which this file's directory would otherwise shadow.
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from chalicelib.square_function import Knobs  # noqa: E402
from infrastructure.stacks.square_stack import STACK_NAME, SquareStack  # noqa: E402

KNOBS = {"squareWorkSeconds": "SQUARE_WORK_SECONDS", "squareFaultRate": "SQUARE_FAULT_RATE"}


def _flag(value: object, default: bool) -> bool:
    if value is None:
        return default
    return str(value).strip().lower() not in {"false", "0", "no", ""}


class InvalidContext(ValueError):
    """A ``-c key=value`` the deployed function would reject."""


def knob_environment(app: cdk.App) -> dict[str, str]:
    """The function's knob variables from the app's context, validated as it reads them."""
    environment: dict[str, str] = {}
    for key, variable in KNOBS.items():
        value = app.node.try_get_context(key)
        if value is None:
            continue
        environment[variable] = str(value)
        try:
            Knobs.from_environment({variable: environment[variable]})
        except ValueError as problem:
            raise InvalidContext(f"-c {key}={value}: {problem}") from None
    return environment


def build(app: cdk.App) -> SquareStack:
    """The stack, configured from the app's context, checked by cdk-nag."""
    environment = knob_environment(app)
    stack = SquareStack(
        app,
        STACK_NAME,
        function_environment=environment,
        api_gateway_cloudwatch_role=_flag(
            app.node.try_get_context("apiGatewayCloudWatchRole"), default=True
        ),
        description="serverless-async-lambda-api: GET /square/{number}, sync or async",
    )
    # Unacknowledged findings fail the synthesis; acknowledgments and their reasons
    # are written to each resource's Metadata (cdk_nag.rules_to_suppress).
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )
    return stack


if __name__ == "__main__":
    # An absolute output directory: the Chalice construct packages from another one.
    outdir = os.environ.get("CDK_OUTDIR")
    cdk_app = cdk.App(outdir=str(Path(outdir).resolve()) if outdir else None)
    build(cdk_app)
    cdk_app.synth()
