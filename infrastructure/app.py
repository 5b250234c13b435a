"""The CDK app: ``cdk synth`` / ``cdk deploy`` from this directory, or ``make synth``.

It deploys the functions declared in the project's app.py (``@api.function``), the
project this directory belongs to. Context (``cdk deploy -c key=value``):

- ``stackName`` (default ``serverless-async-lambda-api``): a second stack (a
  stage) in the same account needs another name; its queue names are prefixed
  with it.
- ``apiGatewayCloudWatchRole`` (default true): create the account's API Gateway
  logging role, which access logs need; false where the account already has one.
- ``env:NAME`` (for example ``-c env:LOG_LEVEL=DEBUG``): an environment
  variable of every function. Checked at synth by each declaration's
  ``settings``, as the functions read them: a value a function would reject
  fails the synthesis instead of deploying a function that fails every call.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The project's root first: Chalice imports the project's app.py by the name
# "app", which this file's directory would otherwise shadow.
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from chalicelib.async_api import AsyncApi, DeclarationError  # noqa: E402
from infrastructure.stacks.async_api_stack import DEFAULT_STACK_NAME, AsyncApiStack  # noqa: E402

#: Context keys that set a function environment variable: ``env:NAME``.
ENVIRONMENT_PREFIX = "env:"


class InvalidContext(ValueError):
    """A ``-c key=value`` the stack or a deployed function would reject."""


def _flag(value: object, default: bool) -> bool:
    if value is None:
        return default
    return str(value).strip().lower() not in {"false", "0", "no", ""}


def function_environment(app: cdk.App, api: AsyncApi) -> dict[str, str]:
    """The functions' environment from ``-c env:NAME=value``, checked as they read it."""
    context = app.node.get_all_context()
    environment = {
        key[len(ENVIRONMENT_PREFIX) :]: str(value)
        for key, value in sorted(context.items())
        if key.startswith(ENVIRONMENT_PREFIX)
    }
    try:
        api.check_settings(environment)
    except DeclarationError as problem:
        raise InvalidContext(f"-c {ENVIRONMENT_PREFIX}NAME=value: {problem}") from None
    return environment


def build(app: cdk.App) -> AsyncApiStack:
    """The stack, configured from the app's context, checked by cdk-nag."""
    api = AsyncApi.of_project(str(REPO_ROOT))
    stack = AsyncApiStack(
        app,
        str(app.node.try_get_context("stackName") or DEFAULT_STACK_NAME),
        project_dir=REPO_ROOT,
        functions=api.functions,
        function_environment=function_environment(app, api),
        api_gateway_cloudwatch_role=_flag(
            app.node.try_get_context("apiGatewayCloudWatchRole"), default=True
        ),
        description=f"{api.app.app_name}: "
        + ", ".join(f"GET {function.route}" for function in api.functions)
        + ", sync or async",
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
