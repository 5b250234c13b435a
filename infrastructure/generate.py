"""Files derived from the declarations: ``make generate`` writes them, ``--check`` compares.

- ``.chalice/config.json``: each declared function's ``lambda_timeout``,
  ``lambda_memory_size`` and ``iam_policy_file`` (every other key is kept as it is);
- ``.chalice/policy.json``: the API handler's policy under plain ``chalice deploy``
  (its logs, and ``lambda:InvokeFunction`` on each declared function);
- ``.chalice/policy-<name>.json``: each function's own policy (its logs);
- ``docs/openapi.yaml``: the API as clients see it, tested with schemathesis.

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

PROJECT_DIR = Path(__file__).resolve().parents[1]
#: The API handler's policy file, named at the top level of ``.chalice/config.json``.
API_HANDLER_POLICY = "policy.json"
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


def policy_file(function: AsyncFunction) -> str:
    """The name of ``function``'s IAM policy file in ``.chalice/``."""
    return f"policy-{function.name.replace('_', '-')}.json"


def chalice_config(
    existing: Mapping[str, Any], functions: Sequence[AsyncFunction]
) -> dict[str, Any]:
    """``.chalice/config.json`` with each function's entries set from its declaration."""
    config = dict(existing)
    config["autogen_policy"] = False
    config["iam_policy_file"] = API_HANDLER_POLICY
    lambda_functions = dict(config.get("lambda_functions", {}))
    for function in functions:
        lambda_functions[function.name] = {
            **lambda_functions.get(function.name, {}),
            "lambda_timeout": function.timeout_seconds,
            "lambda_memory_size": function.memory_mb,
            "iam_policy_file": policy_file(function),
        }
    config["lambda_functions"] = lambda_functions
    return config


def _logs_statement(resource: str) -> dict[str, Any]:
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": resource,
    }


def api_handler_policy(app_name: str, functions: Sequence[AsyncFunction]) -> dict[str, Any]:
    """The API handler may log and invoke the declared functions, nothing else.

    Chalice's generated policy does not cover the route's boto3 ``invoke``.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            _logs_statement(f"arn:*:logs:*:*:log-group:/aws/lambda/{app_name}-*"),
            {
                "Sid": "InvokeDeclaredFunctionsAsynchronously",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": [
                    f"arn:*:lambda:*:*:function:{app_name}-*-{function.name}"
                    for function in functions
                ],
            },
        ],
    }


def function_policy(app_name: str, function: AsyncFunction) -> dict[str, Any]:
    """A declared function may write its own logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _logs_statement(f"arn:*:logs:*:*:log-group:/aws/lambda/{app_name}-*-{function.name}*")
        ],
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
    config_path = project_dir / ".chalice" / "config.json"
    existing = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    existing.setdefault("version", "2.0")
    existing.setdefault("app_name", app_name)
    files = {
        config_path: _json(chalice_config(existing, functions)),
        project_dir / ".chalice" / API_HANDLER_POLICY: _json(
            api_handler_policy(app_name, functions)
        ),
        project_dir / "docs" / "openapi.yaml": "# Generated from app.py by `make generate`: "
        "do not edit.\n"
        + yaml.safe_dump(openapi(app_name, functions), sort_keys=False, allow_unicode=True),
    }
    for function in functions:
        files[project_dir / ".chalice" / policy_file(function)] = _json(
            function_policy(app_name, function)
        )
    return files


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
    if options.check:
        for path in stale:
            print(f"stale: {path.relative_to(project_dir)} (run `make generate`)", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(project_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
