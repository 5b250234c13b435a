"""Security properties of the synthesized template (issue 6), beyond test_stack.py's.

Already proven in test_stack.py, not repeated here: encrypted queues
(test_queues_are_encrypted_with_their_retention), TLS-only queue policies
(test_queues_refuse_requests_without_tls), the function role's exact
statements (test_function_role_may_only_log_and_send_to_the_two_queues), no
wildcard resource in IAM::Policy/IAM::Role documents
(test_no_iam_statement_allows_a_wildcard_resource), stage throttling
(test_stage_has_throttling_access_logs_and_no_extra_stage), and only this API
may invoke the function (test_only_this_api_may_invoke_the_function).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.infra.conftest import Synthesized

#: AWS managed policies the stack may attach: API Gateway's account-wide
#: logging role (logs actions only, no SQS or Lambda).
ALLOWED_MANAGED_POLICIES = ("service-role/AmazonAPIGatewayPushToCloudWatchLogs",)
#: Request data that must not reach the access log: the path holds the number.
REQUEST_DATA = re.compile(r"\$context\.path\b|\$input\b|\$method\.request\b|\$request\b")


def policy_statements(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every policy document anywhere under ``node``."""
    if isinstance(node, dict):
        statements = node.get("Statement")
        if isinstance(statements, list) and "Version" in node:
            for statement in statements:
                yield where, statement
        for key, value in node.items():
            yield from policy_statements(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from policy_statements(value, f"{where}[{index}]")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_walk_finds_every_policy_document(synthesized: Synthesized) -> None:
    resources = synthesized.template["Resources"]
    holders = {where.split(".")[1] for where, _ in policy_statements(resources, "Resources")}
    expected = {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::Role", "AWS::SQS::QueuePolicy")
    }
    assert expected and expected <= holders


def test_no_allow_on_sqs_or_lambda_uses_a_wildcard(synthesized: Synthesized) -> None:
    checked = 0
    for where, statement in policy_statements(synthesized.template["Resources"], "Resources"):
        if statement.get("Effect") != "Allow":
            continue
        assert "NotAction" not in statement and "NotResource" not in statement, where
        actions = [str(action) for action in as_list(statement.get("Action", []))]
        if not any(action.startswith(("sqs:", "lambda:")) or action == "*" for action in actions):
            continue
        checked += 1
        assert all("*" not in action for action in actions), (where, actions)
        if "Principal" not in statement:  # identity policies name their resources
            resources = json.dumps(statement.get("Resource"))
            assert statement.get("Resource") and "*" not in resources, (where, resources)
    assert checked >= 1, "no SQS or Lambda permission found: the walk is broken"


def test_only_the_api_gateway_logging_role_has_a_managed_policy(synthesized: Synthesized) -> None:
    for logical_id, resource in synthesized.template["Resources"].items():
        for arn in resource.get("Properties", {}).get("ManagedPolicyArns", []):
            text = json.dumps(arn)
            assert any(name in text for name in ALLOWED_MANAGED_POLICIES), (logical_id, text)
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Policies" not in resource["Properties"], logical_id


def test_api_execution_logs_record_no_payloads(synthesized: Synthesized) -> None:
    _, api = synthesized.resource("AWS::Serverless::Api")
    for settings in api["Properties"]["MethodSettings"]:
        assert settings.get("DataTraceEnabled") in (None, False), settings
        assert settings.get("LoggingLevel") in (None, "OFF", "ERROR"), settings


def test_access_log_lines_name_the_route_not_the_number(synthesized: Synthesized) -> None:
    _, api = synthesized.resource("AWS::Serverless::Api")
    log_format = api["Properties"]["AccessLogSetting"]["Format"]
    assert REQUEST_DATA.search(log_format) is None, log_format
    assert json.loads(log_format)["resourcePath"] == "$context.resourcePath"


def test_each_function_logs_at_info_or_above(synthesized: Synthesized) -> None:
    for logical_id, function in synthesized.resources("AWS::Serverless::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert variables.get("LOG_LEVEL", "INFO") in ("INFO", "WARNING", "ERROR"), logical_id
