"""The CDK app: ``cdk synth`` / ``cdk deploy`` from this directory, or ``make synth``.

It deploys the functions declared in the project's app.py (``@api.function``), the
project this directory belongs to. Context (``cdk deploy -c key=value``):

- ``stackName`` (default ``serverless-async-lambda-api``): a second stack (a
  stage) in the same account needs another name; its queue names are prefixed
  with it.
- ``apiGatewayCloudWatchRole`` (default false): create the region's API Gateway
  logging role, an account-wide setting that access logs need, and point the
  account at it. Only where the region has none (the synthesis says how to tell).
- ``queueReaders`` (default none): comma-separated ARNs of IAM roles or users
  that may read the queues, besides the stack's ``QueueReaderRole``.
- ``rateLimitPerIp`` (default off): a WAFv2 web ACL on the stage that answers
  429 to a client IP over this many requests in 5 minutes (10 or more; billed
  by AWS WAF, see docs/security.md).
- ``env:NAME`` (for example ``-c env:LOG_LEVEL=DEBUG``): an environment
  variable of every function. Checked at synth by each declaration's
  ``settings``, as the functions read them: a value a function would reject
  fails the synthesis instead of deploying a function that fails every call.

After the synthesis, the template is run through the SAM transform and checked
again (``infrastructure/translated.py``); an unacknowledged finding fails.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

# The project's root first: Chalice imports the project's app.py by the name
# "app", which this file's directory would otherwise shadow.
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from chalicelib.async_api import AsyncApi, DeclarationError  # noqa: E402
from infrastructure import translated  # noqa: E402
from infrastructure.stacks.async_api_stack import (  # noqa: E402
    DEFAULT_STACK_NAME,
    AsyncApiStack,
    check_rate_limit,
)

#: Context keys that set a function environment variable: ``env:NAME``.
ENVIRONMENT_PREFIX = "env:"
#: An IAM role's or user's ARN, as ``aws:PrincipalArn`` gives them (paths allowed).
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}")


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


def queue_readers(app: cdk.App) -> list[str]:
    """``-c queueReaders=arn,arn``: the IAM roles and users that may read the queues."""
    raw = str(app.node.try_get_context("queueReaders") or "")
    readers = [reader.strip() for reader in raw.split(",") if reader.strip()]
    for reader in readers:
        if _PRINCIPAL_ARN.fullmatch(reader) is None:
            raise InvalidContext(
                f"-c queueReaders: {reader!r} is not an IAM role or user ARN; expected "
                "comma-separated ARNs such as arn:aws:iam::123456789012:role/Reports"
            )
    return readers


def rate_limit(app: cdk.App) -> int | None:
    """``-c rateLimitPerIp=N``: requests per 5 minutes from one client IP, or None."""
    raw = str(app.node.try_get_context("rateLimitPerIp") or "").strip()
    if raw.lower() in ("", "false", "0", "no", "off"):
        return None
    try:
        requests = int(raw) if raw.isascii() and raw.isdigit() else raw
        check_rate_limit(requests)
    except ValueError as problem:
        raise InvalidContext(f"-c rateLimitPerIp={raw!r}: {problem}, or false") from None
    return int(raw)


def build(app: cdk.App, *, nag: bool = True) -> AsyncApiStack:
    """The stack, configured from the app's context, checked by cdk-nag unless ``nag`` is off."""
    api = AsyncApi.of_project(str(REPO_ROOT))
    stack = AsyncApiStack(
        app,
        str(app.node.try_get_context("stackName") or DEFAULT_STACK_NAME),
        project_dir=REPO_ROOT,
        functions=api.functions,
        function_environment=function_environment(app, api),
        api_gateway_cloudwatch_role=_flag(
            app.node.try_get_context("apiGatewayCloudWatchRole"), default=False
        ),
        queue_readers=queue_readers(app),
        rate_limit_per_ip=rate_limit(app),
        description=f"{api.app.app_name}: "
        + ", ".join(f"GET {function.route}" for function in api.functions)
        + ", sync or async",
    )
    # Acknowledgments and their reasons are written to each resource's Metadata
    # (cdk_nag.rules_to_suppress), where the check of the translated template reads them.
    checks = AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    if nag:
        # Unacknowledged findings fail the synthesis.
        cdk.Validations.of(app).add_plugins(checks)
    return stack


def synthesize(app: cdk.App, stack: AsyncApiStack) -> Sequence[translated.Finding]:
    """Write the cloud assembly, then the SAM-translated template; its unacknowledged findings."""
    assembly = app.synth()
    return translated.check_assembly(Path(assembly.directory), stack.stack_name)


if __name__ == "__main__":
    # An absolute output directory: the Chalice construct packages from another one.
    outdir = os.environ.get("CDK_OUTDIR")
    cdk_app = cdk.App(outdir=str(Path(outdir).resolve()) if outdir else None)
    problems = synthesize(cdk_app, build(cdk_app))
    for problem in problems:
        print(f"[SAM-translated template] {problem}", file=sys.stderr)
    if problems:
        sys.exit(
            f"{len(problems)} unacknowledged cdk-nag finding(s) in the SAM-translated template"
        )
