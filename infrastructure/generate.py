"""Files derived from the declarations: ``make generate`` writes them, ``--check`` compares.

- ``.chalice/config.json``: each declared function's ``lambda_timeout``,
  ``lambda_memory_size`` and ``reserved_concurrency``; the API handler's
  ``reserved_concurrency``, the sum of theirs (under plain ``chalice deploy`` the
  handler runs synchronous calls itself); and, for each stage in its
  ``stages`` (``dev`` when there is none), the IAM policy files below; every other
  key is kept as it is;
- ``.chalice/policy-<stage>.json``: the stage's API handler under plain
  ``chalice deploy``: its own logs, and ``lambda:InvokeFunction`` on the stage's
  declared functions;
- ``.chalice/policy-<stage>-<name>.json``: each function's own policy in the stage
  (its logs);
- ``docs/openapi.yaml``: the API as clients see it, tested with schemathesis.

The policies name each resource by its stage's name (Chalice names functions
``<app>-<stage>-<function>``) and, by a condition, the caller's own account: a
policy variable cannot stand for the account or the region in an ARN (IAM User
Guide, "Where you can use policy variables"), ``aws:ResourceAccount`` compared with
``${aws:PrincipalAccount}`` can. The region stays open: nothing at generation time
says where a stage will be deployed. A stage missing from ``config.json`` gets no
policy file, so Chalice looks for ``.chalice/policy-<stage>.json``, finds none and
refuses to deploy it; ``.chalice/policy*.json`` files no stage uses are stale (and
``make generate`` removes them).

Usage: ``python -m infrastructure.generate [--check]`` from the project directory.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from chalicelib.async_api import AsyncApi, AsyncFunction, contract
from chalicelib.async_api.declaration import TIMEOUT_RANGE_SECONDS
from chalicelib.async_api.invokers import SYNC_READ_MARGIN_SECONDS

PROJECT_DIR = Path(__file__).resolve().parents[1]
#: Chalice's name for the function that serves the routes.
API_HANDLER = "api_handler"
#: Chalice's stage when config.json declares none (``chalice deploy`` without ``--stage``).
DEFAULT_STAGE = "dev"
#: The IAM policy files of plain ``chalice deploy``, all generated.
POLICY_FILES = "policy*.json"
#: The statuses every route can answer, with what they mean.
_STATUSES = {
    "200": "The result, computed synchronously.",
    "202": "Accepted; the result goes to the function's on-success queue.",
    "400": "A path parameter or the InvocationType value is not accepted.",
    "404": "No route answers this method and path (an empty path parameter, an undeclared "
    "path or method), as the stack's gateway response answers.",
    "414": "The URL is longer than API Gateway's 10240 characters.",
    "415": "The Content-Type is not application/json.",
    "431": "The header values total more than API Gateway's 10240 bytes.",
    "502": "The function failed during a synchronous call; the body names the error's type.",
    "503": "The event could not be queued; nothing was accepted.",
}
#: Every statement applies only to resources of the caller's own account.
_OWN_ACCOUNT = {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}


def api_handler_timeout(functions: Sequence[AsyncFunction]) -> int:
    """The API handler's Lambda timeout in seconds: it outlives the synchronous calls it waits for.

    Its client waits the longest function timeout plus
    :data:`invokers.SYNC_READ_MARGIN_SECONDS` for Lambda's answer (a timed-out
    function's ``Sandbox.Timedout`` included); the handler needs a few more
    seconds to answer. At most Lambda's 900.
    """
    longest = max(function.timeout_seconds for function in functions)
    return min(TIMEOUT_RANGE_SECONDS[1], longest + SYNC_READ_MARGIN_SECONDS + 5)


def api_handler_policy_file(stage: str) -> str:
    """The name of the API handler's IAM policy file for ``stage`` in ``.chalice/``."""
    return f"policy-{stage}.json"


def policy_file(stage: str, function: AsyncFunction) -> str:
    """The name of ``function``'s IAM policy file for ``stage`` in ``.chalice/``."""
    return f"policy-{stage}-{function.name.replace('_', '-')}.json"


def stages(config: Mapping[str, Any]) -> list[str]:
    """The Chalice stages ``config`` (``.chalice/config.json``) declares, or ``dev``."""
    return list(config.get("stages") or {DEFAULT_STAGE: {}})


def chalice_config(
    existing: Mapping[str, Any], functions: Sequence[AsyncFunction]
) -> dict[str, Any]:
    """``.chalice/config.json`` with each function's entries set from its declaration.

    Chalice reads a function's ``iam_policy_file`` from
    ``stages.<stage>.lambda_functions.<name>`` first and from ``stages.<stage>``
    before the top level (``chalice.config.Config._chain_lookup``): so the files
    are named per stage, and not at the top level, where any stage would find them.
    """
    config = dict(existing)
    config["autogen_policy"] = False
    config.pop("iam_policy_file", None)
    lambda_functions = dict(config.get("lambda_functions", {}))
    for function in functions:
        entry = {
            key: value
            for key, value in lambda_functions.get(function.name, {}).items()
            if key not in ("iam_policy_file", "reserved_concurrency")
        }
        entry.update(lambda_timeout=function.timeout_seconds, lambda_memory_size=function.memory_mb)
        if function.reserved_concurrency is not None:
            entry["reserved_concurrency"] = function.reserved_concurrency
        lambda_functions[function.name] = entry
    handler = {
        key: value
        for key, value in lambda_functions.get(API_HANDLER, {}).items()
        if key not in ("reserved_concurrency", "lambda_timeout")
    }
    reservations = [function.reserved_concurrency for function in functions]
    if reservations and None not in reservations:
        # A synchronous call waits in the API handler: bounded as the functions together.
        handler["reserved_concurrency"] = sum(r for r in reservations if r is not None)
    if functions:
        handler["lambda_timeout"] = api_handler_timeout(functions)
    if handler:
        lambda_functions[API_HANDLER] = handler
    else:
        lambda_functions.pop(API_HANDLER, None)
    config["lambda_functions"] = lambda_functions
    config["stages"] = {
        stage: _stage_config(stage, dict(config.get("stages", {}).get(stage, {})), functions)
        for stage in stages(config)
    }
    return config


def _stage_config(
    stage: str, existing: dict[str, Any], functions: Sequence[AsyncFunction]
) -> dict[str, Any]:
    stage_functions = dict(existing.get("lambda_functions", {}))
    for function in functions:
        stage_functions[function.name] = {
            **stage_functions.get(function.name, {}),
            "iam_policy_file": policy_file(stage, function),
        }
    return {
        **existing,
        "iam_policy_file": api_handler_policy_file(stage),
        "lambda_functions": stage_functions,
    }


def deployed_name(app_name: str, stage: str, function: str | None = None) -> str:
    """A Lambda function's name under ``chalice deploy``: ``<app>-<stage>[-<function>]``."""
    return f"{app_name}-{stage}" + (f"-{function}" if function else "")


def _logs_statement(function_name: str) -> dict[str, Any]:
    log_group = f"arn:*:logs:*:*:log-group:/aws/lambda/{function_name}"
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [log_group, f"{log_group}:*"],
        "Condition": _OWN_ACCOUNT,
    }


def api_handler_policy(
    app_name: str, stage: str, functions: Sequence[AsyncFunction]
) -> dict[str, Any]:
    """The stage's API handler may log and invoke the stage's declared functions, nothing else.

    Chalice's generated policy does not cover the route's boto3 ``invoke``.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            _logs_statement(deployed_name(app_name, stage)),
            {
                "Sid": "InvokeDeclaredFunctions",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": [
                    f"arn:*:lambda:*:*:function:{deployed_name(app_name, stage, function.name)}"
                    for function in functions
                ],
                "Condition": _OWN_ACCOUNT,
            },
        ],
    }


def function_policy(app_name: str, stage: str, function: AsyncFunction) -> dict[str, Any]:
    """A declared function may write its own logs in its stage."""
    return {
        "Version": "2012-10-17",
        "Statement": [_logs_statement(deployed_name(app_name, stage, function.name))],
    }


def openapi(app_name: str, functions: Sequence[AsyncFunction]) -> dict[str, Any]:
    """The OpenAPI 3 document of the declared routes, as chalice local and the stack serve them."""
    schemas: dict[str, Any] = {
        "Context": {
            "type": "object",
            "required": list(contract.CONTEXT_KEYS),
            "properties": {
                "api_stage": {"type": "string"},
                "api_request_id": {"type": "string", "minLength": 1},
                "api_resource_path": {"type": "string"},
                "http_method": {"type": "string", "enum": ["GET"]},
                "source_ip": {"type": "string"},
                "user-agent": {"type": "string"},
            },
        },
        "AcceptedBody": {
            "allOf": [
                {"$ref": "#/components/schemas/Context"},
                {
                    "type": "object",
                    "required": [contract.ASYNC_FLAG, "message"],
                    "properties": {
                        contract.ASYNC_FLAG: {"type": "string", "enum": ["true"]},
                        "message": {"type": "string", "enum": [contract.ACCEPTED_MESSAGE]},
                    },
                },
            ]
        },
        "ErrorBody": {
            "type": "object",
            "required": ["error", "message", "accepted", "api_request_id"],
            "additionalProperties": False,
            "properties": {
                "error": {"type": "string", "minLength": 1},
                "message": {"type": "string", "minLength": 1},
                "accepted": {"type": "string"},
                "api_request_id": {"type": "string"},
                "error_type": {"type": "string"},
            },
        },
    }
    paths: dict[str, Any] = {}
    for function in functions:
        body_name = "".join(part.capitalize() for part in function.name.split("_")) + "Body"
        schemas[body_name] = {
            "allOf": [
                {"$ref": "#/components/schemas/Context"},
                {
                    "type": "object",
                    "required": [contract.SYNC_FLAG, *function.result_schema],
                    "properties": {
                        contract.SYNC_FLAG: {"type": "string", "enum": ["true"]},
                        **function.result_schema,
                    },
                },
            ]
        }
        paths[function.route] = {"get": _operation(function, body_name)}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": app_name,
            "version": "1.0",
            "description": "Each route answers synchronously (200), or with the header "
            "InvocationType: Event accepts the call (202) and puts the result on the "
            "function's on-success queue. The same document describes `chalice local` and "
            "the deployed stack. Generated from app.py by `make generate`.",
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _operation(function: AsyncFunction, body_name: str) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    for name in function.path_parameters:
        declared = function.parameters.get(name)
        schema: dict[str, Any] = {"type": "string", "minLength": 1}
        if declared is not None and declared.pattern is not None:
            schema["pattern"] = declared.pattern
        if declared is not None and declared.max_length is not None:
            schema["maxLength"] = declared.max_length
        parameter: dict[str, Any] = {
            "name": name,
            "in": "path",
            "required": True,
            "schema": schema,
        }
        if declared is not None:
            parameter["description"] = declared.accepted
            if declared.example is not None:
                parameter["example"] = declared.example
        parameters.append(parameter)
    parameters.append(
        {
            "name": contract.INVOCATION_TYPE_HEADER,
            "in": "header",
            "required": False,
            "description": "Lambda's invocation type, spelled as Lambda spells it. "
            f"Absent means {contract.REQUEST_RESPONSE}.",
            "schema": {"type": "string", "enum": list(contract.ACCEPTED_INVOCATION_TYPES)},
        }
    )
    bodies = {
        "200": body_name,
        "202": "AcceptedBody",
        "400": "ErrorBody",
        "404": "ErrorBody",
        "414": "ErrorBody",
        "415": "ErrorBody",
        "431": "ErrorBody",
        "502": "ErrorBody",
        "503": "ErrorBody",
    }
    return {
        "operationId": function.name,
        "summary": function.summary or function.name,
        "parameters": parameters,
        "responses": {
            status: {
                "description": _STATUSES[status],
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                },
            }
            for status, schema in bodies.items()
        },
    }


def rendered_files(project_dir: Path, api: AsyncApi) -> dict[Path, str]:
    """Every generated file of ``project_dir``, by path, as its text should be."""
    app_name = api.app.app_name
    functions = api.functions
    chalice_dir = project_dir / ".chalice"
    config_path = chalice_dir / "config.json"
    existing = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    existing.setdefault("version", "2.0")
    existing.setdefault("app_name", app_name)
    config = chalice_config(existing, functions)
    files = {
        config_path: _json(config),
        project_dir / "docs" / "openapi.yaml": "# Generated from app.py by `make generate`: "
        "do not edit.\n"
        + yaml.safe_dump(openapi(app_name, functions), sort_keys=False, allow_unicode=True),
    }
    for stage in stages(config):
        files[chalice_dir / api_handler_policy_file(stage)] = _json(
            api_handler_policy(app_name, stage, functions)
        )
        for function in functions:
            files[chalice_dir / policy_file(stage, function)] = _json(
                function_policy(app_name, stage, function)
            )
    return files


def stale_policy_files(project_dir: Path, files: Mapping[Path, str]) -> list[Path]:
    """``.chalice/policy*.json`` files that no stage uses any more."""
    return sorted(set((project_dir / ".chalice").glob(POLICY_FILES)) - set(files))


def _json(document: Any) -> str:
    return json.dumps(document, indent=2) + "\n"


def main(argv: Sequence[str] | None = None, project_dir: Path = PROJECT_DIR) -> int:
    """Write the files (exit 0), or with ``--check`` list the stale ones (exit 1 if any)."""
    parser = argparse.ArgumentParser(prog="python -m infrastructure.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    options = parser.parse_args(argv)
    files = rendered_files(project_dir, AsyncApi.of_project(str(project_dir)))
    stale = [
        path
        for path, text in files.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    unused = stale_policy_files(project_dir, files)
    if options.check:
        for path in stale:
            print(f"stale: {path.relative_to(project_dir)} (run `make generate`)", file=sys.stderr)
        for path in unused:
            print(
                f"unused: {path.relative_to(project_dir)} is no stage's policy "
                "(run `make generate`, which removes it)",
                file=sys.stderr,
            )
        return 1 if stale or unused else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(project_dir)}")
    for path in unused:
        path.unlink()
        print(f"removed {path.relative_to(project_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
