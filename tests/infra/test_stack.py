"""The synthesized template holds every resource and property of the stack (issue 4)."""

from __future__ import annotations

import json
import re
from types import ModuleType
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from chalicelib.async_api import AsyncFunction
from infrastructure.stacks import api_definition
from infrastructure.stacks.async_api_stack import ACCOUNT_ROLE_NOTICE, LAMBDA_RUNTIME, resource_id
from tests.infra.conftest import REPO_ROOT, Synthesized, arn_of, queue_id
from tests.support.declared import DEST, DLQ, FUNCTIONS, SQUARE

#: The example's function and role; the stack has one of each per declared function.
FUNCTION = resource_id(SQUARE)
FUNCTION_ROLE = f"{FUNCTION}Role"
REST_API = "RestAPI"
#: Every declared function's on-success and on-failure queue, in declaration order.
DECLARED_QUEUES = [name for function in FUNCTIONS for name in function.queues]


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> Template:
    return Template.from_json(synthesized.template)


# -- SQS ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "retention_days"),
    [(DEST, 4), (DLQ, 14)],
)
def test_queues_are_encrypted_with_their_retention(
    template: Template, name: str, retention_days: int
) -> None:
    template.has_resource(
        "AWS::SQS::Queue",
        {
            "Properties": {
                "QueueName": name,
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": retention_days * 86400,
            },
            "DeletionPolicy": "Delete",
        },
    )


def queue_policy(synthesized: Synthesized, name: str) -> list[dict[str, Any]]:
    """The statements of queue ``name``'s resource policy."""
    queue = queue_id(synthesized, name)
    (policy,) = (
        policy
        for policy in synthesized.resources("AWS::SQS::QueuePolicy").values()
        if policy["Properties"]["Queues"] == [{"Ref": queue}]
    )
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize("name", [DEST, DLQ])
def test_queues_refuse_requests_without_tls(synthesized: Synthesized, name: str) -> None:
    assert {
        "Effect": "Deny",
        "Action": "sqs:*",
        "Principal": {"AWS": "*"},
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Resource": arn_of(queue_id(synthesized, name)),
    } in queue_policy(synthesized, name)


@pytest.mark.parametrize("name", [DEST, DLQ])
def test_only_the_function_s_role_may_send_to_its_queues(
    synthesized: Synthesized, name: str
) -> None:
    # Within the account an identity policy alone grants sqs:SendMessage: only a deny
    # in the queue's policy keeps other principals from forging records.
    assert {
        "Sid": "OnlyTheFunctionSends",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sqs:SendMessage",
        "Resource": arn_of(queue_id(synthesized, name)),
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": arn_of(FUNCTION_ROLE)}},
    } in queue_policy(synthesized, name)


@pytest.mark.parametrize("name", [DEST, DLQ])
def test_only_the_named_readers_may_read_the_queues(synthesized: Synthesized, name: str) -> None:
    (reader_role,) = (
        logical_id
        for logical_id in synthesized.resources("AWS::IAM::Role")
        if logical_id.startswith("QueueReaderRole")
    )
    assert {
        "Sid": "OnlyNamedReadersRead",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:PurgeQueue",
        ],
        "Resource": arn_of(queue_id(synthesized, name)),
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [arn_of(reader_role)]}},
    } in queue_policy(synthesized, name)
    assert synthesized.template["Outputs"]["QueueReaderRoleArn"]["Value"] == arn_of(reader_role)


def test_the_queue_reader_role_is_assumed_from_the_account_and_may_only_read_the_queues(
    synthesized: Synthesized,
) -> None:
    (role_id, role) = next(
        item
        for item in synthesized.resources("AWS::IAM::Role").items()
        if item[0].startswith("QueueReaderRole")
    )
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root"
    (policy,) = (
        policy
        for policy in synthesized.resources("AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"] == [{"Ref": role_id}]
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {action for statement in statements for action in statement["Action"]} == {
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    assert [statement["Resource"] for statement in statements] == [
        arn_of(queue_id(synthesized, name)) for name in DECLARED_QUEUES
    ]


def test_there_are_exactly_the_two_queues_of_each_declared_function(
    synthesized: Synthesized,
) -> None:
    names = [
        q["Properties"]["QueueName"] for q in synthesized.resources("AWS::SQS::Queue").values()
    ]
    assert sorted(names) == sorted(DECLARED_QUEUES)


# -- Lambda asynchronous configuration ----------------------------------------


def test_event_invoke_config_comes_from_the_async_policy(
    synthesized: Synthesized, template: Template
) -> None:
    template.resource_count_is("AWS::Lambda::EventInvokeConfig", len(FUNCTIONS))
    (config,) = (
        config
        for config in synthesized.resources("AWS::Lambda::EventInvokeConfig").values()
        if config["Properties"]["FunctionName"] == {"Ref": FUNCTION}
    )
    assert config["Properties"] == {
        "FunctionName": {"Ref": FUNCTION},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": SQUARE.config.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": SQUARE.config.maximum_event_age_seconds,
        "DestinationConfig": {
            "OnSuccess": {"Destination": arn_of(queue_id(synthesized, DEST))},
            "OnFailure": {"Destination": arn_of(queue_id(synthesized, DLQ))},
        },
    }
    # Lambda checks, when the config is created, that the role may send to both queues.
    policy_id, _ = function_policy(synthesized)
    assert config["DependsOn"] == [policy_id]


def function_policy(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    """The IAM policy the stack gives the example function's role."""
    (found,) = (
        (logical_id, policy)
        for logical_id, policy in synthesized.resources("AWS::IAM::Policy").items()
        # Roles names the role by its ARN's last part: {"Fn::Select": [..., GetAtt Arn]}.
        if json.dumps(arn_of(FUNCTION_ROLE)) in json.dumps(policy["Properties"]["Roles"])
    )
    return found


def test_function_is_chalices_pure_function(synthesized: Synthesized) -> None:
    function = synthesized.template["Resources"][FUNCTION]
    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Properties"]["Handler"] == "app.get_square_fn"
    assert function["Properties"]["Role"] == arn_of(FUNCTION_ROLE)


def test_the_function_s_reserved_concurrency_is_its_declaration_s(
    synthesized: Synthesized, fixture_synthesized: Synthesized
) -> None:
    for stack in (synthesized, fixture_synthesized):
        for function in stack.resources("AWS::Serverless::Function").values():
            assert function["Properties"]["ReservedConcurrentExecutions"] == 10
    assert SQUARE.reserved_concurrency == 10


def test_the_runtime_is_pinned_to_the_python_the_project_is_locked_and_tested_with(
    synthesized: Synthesized,
) -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    (locked,) = re.findall(r"^LOCK_PYTHON := (\S+)$", makefile, re.MULTILINE)
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'python_version = "{locked}"' in pyproject, "mypy checks the locked Python"
    for template in (synthesized.template, synthesized.translated):
        runtimes = {
            resource["Properties"]["Runtime"]
            for resource in template["Resources"].values()
            if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
        }
        assert runtimes == {f"python{locked}"} == {LAMBDA_RUNTIME}


def test_function_role_may_only_log_and_send_to_the_two_queues(
    synthesized: Synthesized,
) -> None:
    role = synthesized.template["Resources"][FUNCTION_ROLE]
    assert "Policies" not in role["Properties"], "Chalice's packaging policy must be gone"
    _, policy = function_policy(synthesized)
    (log_group,) = (
        logical_id
        for logical_id, group in synthesized.resources("AWS::Logs::LogGroup").items()
        if group["Properties"].get("LogGroupName")
        == {"Fn::Join": ["", ["/aws/lambda/", {"Ref": FUNCTION}]]}
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements == [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": arn_of(log_group),
        },
        {
            "Sid": "SendToAsyncDestinations",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": [
                arn_of(queue_id(synthesized, DEST)),
                arn_of(queue_id(synthesized, DLQ)),
            ],
        },
    ]


def test_no_iam_statement_allows_a_wildcard_resource(synthesized: Synthesized) -> None:
    for logical_id, resource in synthesized.template["Resources"].items():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::Role"):
            continue
        documents = [resource["Properties"].get("PolicyDocument")] + [
            inline["PolicyDocument"] for inline in resource["Properties"].get("Policies", [])
        ]
        for document in filter(None, documents):
            for statement in document["Statement"]:
                if statement["Effect"] == "Allow":
                    assert "*" not in json.dumps(statement.get("Resource")), logical_id


def test_function_log_group_has_a_retention(template: Template) -> None:
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": FUNCTION}]]},
                "RetentionInDays": 30,
            },
            "DeletionPolicy": "Delete",
        },
    )


# -- API Gateway ----------------------------------------------------------------


def test_chalices_proxy_handler_is_not_deployed(synthesized: Synthesized) -> None:
    resources = synthesized.template["Resources"]
    assert not {"APIHandler", "ApiHandlerRole", "APIHandlerInvokePermission"} & set(resources)
    handlers = [
        r["Properties"]["Handler"]
        for r in synthesized.resources("AWS::Serverless::Function").values()
    ]
    assert sorted(handlers) == sorted(f"app.{function.name}" for function in FUNCTIONS)
    assert not {"APIHandlerName", "APIHandlerArn"} & set(synthesized.template["Outputs"])


def test_the_api_has_only_the_declared_routes(synthesized: Synthesized) -> None:
    _, api = synthesized.resource("AWS::Serverless::Api")
    body = api["Properties"]["DefinitionBody"]
    assert sorted(body["paths"]) == sorted(function.route for function in FUNCTIONS)
    for route, operations in body["paths"].items():
        assert list(operations) == ["get"], route
    assert "x-amazon-apigateway-binary-media-types" not in body


def test_method_request_declares_the_path_parameter_and_the_header(
    synthesized: Synthesized,
) -> None:
    parameters = synthesized.operation(SQUARE.route)["parameters"]
    assert {"name": "number", "in": "path", "required": True, "type": "string"} in parameters
    assert {
        "name": "InvocationType",
        "in": "header",
        "required": False,
        "type": "string",
    } in parameters


def test_integration_is_non_proxy_lambda_with_the_header_mapping(
    synthesized: Synthesized,
) -> None:
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws"
    assert integration["httpMethod"] == "POST"
    assert integration["uri"] == {
        "Fn::Sub": [
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
            "/functions/${FunctionArn}/invocations",
            {"FunctionArn": arn_of(FUNCTION)},
        ]
    }
    assert integration["requestParameters"] == {
        "integration.request.header.X-Amz-Invocation-Type": "method.request.header.InvocationType"
    }
    assert integration["passthroughBehavior"] == "never"
    assert integration["timeoutInMillis"] == 29000


def test_mapping_templates_are_the_vtl_files(synthesized: Synthesized) -> None:
    integration = synthesized.operation(SQUARE.route)["x-amazon-apigateway-integration"]
    request = api_definition.REQUEST_TEMPLATE.read_text(encoding="utf-8")
    lookup = api_definition.INVOCATION_TYPE_TEMPLATE.read_text(encoding="utf-8")
    response = lookup + api_definition.RESPONSE_TEMPLATE.read_text(encoding="utf-8")
    # The stack names the route's path parameters in one line before the shared templates,
    # and both templates read the InvocationType header with the same lines.
    assert integration["requestTemplates"] == {
        "application/json": '#set($pathParameters = ["number"])\n' + lookup + request
    }
    assert integration["responses"] == {
        "default": {"statusCode": "200", "responseTemplates": {"application/json": response}},
        ".+": {"statusCode": "502", "responseTemplates": {"application/json": response}},
    }
    assert "$context.requestOverride.header.X-Amz-Invocation-Type" in request
    assert "$context.responseOverride.status" in response


def test_method_responses_cover_every_status_the_template_sets(synthesized: Synthesized) -> None:
    responses = synthesized.operation(SQUARE.route)["responses"]
    assert set(responses) == {"200", "202", "400", "502"}
    response = api_definition.RESPONSE_TEMPLATE.read_text(encoding="utf-8")
    overridden = set(re.findall(r"responseOverride\.status = (\d+)", response))
    assert overridden <= set(responses)


def test_gateway_responses_are_json_with_the_request_id(synthesized: Synthesized) -> None:
    _, api = synthesized.resource("AWS::Serverless::Api")
    responses = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {
        "MISSING_AUTHENTICATION_TOKEN",
        "UNSUPPORTED_MEDIA_TYPE",
        "REQUEST_TOO_LARGE",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    }
    # An undeclared method or path is a 404 here as under chalice local, not AWS's 403.
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert responses["UNSUPPORTED_MEDIA_TYPE"]["statusCode"] == "415"
    # A body over the 10 MB quota: chalice local's 413 body, error "RequestTooLarge".
    too_large = json.loads(responses["REQUEST_TOO_LARGE"]["responseTemplates"]["application/json"])
    assert (responses["REQUEST_TOO_LARGE"]["statusCode"], too_large["error"]) == (
        "413",
        "RequestTooLarge",
    )
    for response in responses.values():
        body = response["responseTemplates"]["application/json"]
        assert '"api_request_id": "$context.requestId"' in body
        # Only simple substitution happens: with a sample message it is valid JSON.
        sample = body.replace("$context.error.messageString", '"a message"')
        assert set(json.loads(sample)) == {"error", "message", "accepted", "api_request_id"}


def test_stage_has_throttling_access_logs_and_no_extra_stage(synthesized: Synthesized) -> None:
    _, api = synthesized.resource("AWS::Serverless::Api")
    properties = api["Properties"]
    assert properties["StageName"] == "api"
    # Without an OpenApiVersion, SAM also deploys an unthrottled, unlogged stage "Stage".
    assert properties["OpenApiVersion"] == "2.0"
    (settings,) = properties["MethodSettings"]
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    access = properties["AccessLogSetting"]
    log_group_id, attribute = access["DestinationArn"]["Fn::GetAtt"]
    assert attribute == "Arn"
    log_group = synthesized.template["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert log_group["DeletionPolicy"] == "Delete"
    fields = json.loads(access["Format"])
    assert "userAgent" not in fields, "client text stays out of the access log"
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"


def test_the_account_wide_api_gateway_logging_role_is_left_alone_by_default(
    synthesized: Synthesized,
) -> None:
    assert synthesized.resources("AWS::ApiGateway::Account") == {}
    assert "DependsOn" not in synthesized.template["Resources"][REST_API]
    metadata = json.loads(
        (synthesized.outdir / "serverless-async-lambda-api.metadata.json").read_text()
    )
    notices = [
        entry["data"]
        for entries in metadata.values()
        for entry in entries
        if entry["type"] == "aws:cdk:info"
    ]
    assert notices == [ACCOUNT_ROLE_NOTICE]
    assert "aws apigateway get-account --query cloudwatchRoleArn" in ACCOUNT_ROLE_NOTICE
    assert "-c apiGatewayCloudWatchRole=true" in ACCOUNT_ROLE_NOTICE


def test_only_this_api_s_stage_may_invoke_the_function(template: Template) -> None:
    template.resource_count_is("AWS::Lambda::Permission", len(FUNCTIONS))
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": FUNCTION},
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {
                "Fn::Sub": [
                    Match.string_like_regexp(r":\$\{RestApiId\}/api/GET/square/\*$"),
                    {"RestApiId": {"Ref": REST_API}},
                ]
            },
        },
    )


# -- monitoring and outputs ---------------------------------------------------


def test_alarm_on_visible_messages_in_the_dlq(synthesized: Synthesized, template: Template) -> None:
    dlq = queue_id(synthesized, DLQ)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "EvaluationPeriods": 1,
            "TreatMissingData": "notBreaching",
        },
    )


def alarm_names(synthesized: Synthesized) -> list[str]:
    """The stack's alarms' names, in the template's order."""
    return [
        alarm["Properties"]["AlarmName"]
        for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values()
    ]


def test_each_alarm_is_named_after_the_stack_and_its_function(synthesized: Synthesized) -> None:
    assert sorted(alarm_names(synthesized)) == sorted(
        f"serverless-async-lambda-api-{function.name}-on-failure" for function in FUNCTIONS
    )


def test_the_dlq_alarms_notify_an_sns_topic(synthesized: Synthesized) -> None:
    topic_id, topic = synthesized.resource("AWS::SNS::Topic")
    for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    assert synthesized.template["Outputs"]["OnFailureAlarmTopicArn"]["Value"] == {"Ref": topic_id}
    # Encrypted with a customer managed key (CloudWatch cannot use alias/aws/sns).
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synthesized.template["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    (cloudwatch_grant,) = (
        statement
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    )
    assert cloudwatch_grant["Effect"] == "Allow"
    assert cloudwatch_grant["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # The SNS developer guide's confused-deputy conditions: this account, these alarms.
    assert cloudwatch_grant["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {
            "aws:SourceArn": [
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":cloudwatch:",
                            {"Ref": "AWS::Region"},
                            ":",
                            {"Ref": "AWS::AccountId"},
                            f":alarm:{name}",
                        ],
                    ]
                }
                for name in alarm_names(synthesized)
            ]
        },
    }


def test_the_alarm_topic_takes_tls_only_and_only_the_stack_s_alarms_publish(
    synthesized: Synthesized,
) -> None:
    alarm_ids = list(synthesized.resources("AWS::CloudWatch::Alarm"))
    topic_id, _ = synthesized.resource("AWS::SNS::Topic")
    _, policy = synthesized.resource("AWS::SNS::TopicPolicy")
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    deny, allow = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow == {
        "Sid": "ThisStacksAlarmsPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": {"Ref": topic_id},
        "Condition": {
            "ArnLike": {"aws:SourceArn": [arn_of(alarm_id) for alarm_id in alarm_ids]},
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        },
    }


def test_outputs_the_function_s_url_name_and_both_queue_urls(
    synthesized: Synthesized, template: Template
) -> None:
    template.has_output(
        "GetSquareFnUrl",
        {
            "Value": {
                "Fn::Sub": [
                    "https://${RestApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/square/",
                    {"RestApiId": {"Ref": REST_API}},
                ]
            }
        },
    )
    template.has_output("GetSquareFnName", {"Value": {"Ref": FUNCTION}})
    template.has_output(
        "GetSquareFnOnSuccessQueueUrl",
        {"Value": {"Ref": queue_id(synthesized, DEST)}},
    )
    template.has_output(
        "GetSquareFnOnFailureQueueUrl",
        {"Value": {"Ref": queue_id(synthesized, DLQ)}},
    )


def test_make_synth_file_is_where_the_makefile_says(synthesized: Synthesized) -> None:
    assert synthesized.template_path.name == "serverless-async-lambda-api.template.json"
    assert synthesized.template["Transform"] == "AWS::Serverless-2016-10-31"


# -- many functions: the fixture project ----------------------------------------


def test_each_declared_function_gets_its_own_async_resources_in_one_api(
    fixture_synthesized: Synthesized, fixture_app: ModuleType
) -> None:
    declared: tuple[AsyncFunction, ...] = fixture_app.api.functions
    assert {SQUARE.name, "build_report_fn"} <= {function.name for function in declared}
    configs = fixture_synthesized.resources("AWS::Lambda::EventInvokeConfig")
    assert len(configs) == len(declared)
    by_function = {
        c["Properties"]["FunctionName"]["Ref"]: c["Properties"] for c in configs.values()
    }
    assert by_function["BuildReportFn"]["MaximumRetryAttempts"] == 1
    assert by_function["BuildReportFn"]["MaximumEventAgeInSeconds"] == 600
    assert by_function["GetSquareFn"]["MaximumRetryAttempts"] == 2
    names = {
        q["Properties"]["QueueName"]
        for q in fixture_synthesized.resources("AWS::SQS::Queue").values()
    }
    assert names == {name for function in declared for name in function.queues}
    assert {DEST, DLQ, "async_build_report_fn_dest_queue", "async_build_report_fn_dlq"} <= names
    (api,) = fixture_synthesized.resources("AWS::Serverless::Api").values()
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert set(paths) == {function.route for function in declared}
    for route, path in paths.items():
        integration = path["get"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws", route
    report = paths["/reports/{account}/{month}"]["get"]["x-amazon-apigateway-integration"]
    assert report["requestTemplates"]["application/json"].startswith(
        '#set($pathParameters = ["account", "month"])\n'
    )
    functions = fixture_synthesized.resources("AWS::Serverless::Function")
    assert functions["BuildReportFn"]["Properties"]["Timeout"] == 10
    assert functions["BuildReportFn"]["Properties"]["MemorySize"] == 256
    assert len(fixture_synthesized.resources("AWS::Lambda::Permission")) == len(declared)
    assert len(fixture_synthesized.resources("AWS::CloudWatch::Alarm")) == len(declared)
