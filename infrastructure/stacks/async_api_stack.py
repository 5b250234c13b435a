"""The deployed system: the Chalice app, each declared function's destinations, one API.

- ``chalice.cdk.Chalice`` packages the project as a SAM template, with a
  canonical deployment zip (``packaging``): the same asset on every machine.
- Each ``@api.function`` declaration gets an :class:`AsyncFunctionResources`:
  its on-success and on-failure queues, ``AWS::Lambda::EventInvokeConfig``
  (retries, maximum event age), permissions, alarm, and its route in the API.
- The Chalice-generated API keeps its ``AWS::Serverless::Api`` resource, but
  each route becomes a non-proxy integration to its function
  (``api_definition``): API Gateway itself honours ``InvocationType`` and
  answers with the route's bodies. Chalice's proxy handler is not deployed.
- Nothing account-wide changes unless asked: the account's API Gateway logging
  role only with ``api_gateway_cloudwatch_role``; a per-client rate limit (a
  WAFv2 web ACL on the stage) only with ``rate_limit_per_ip``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sam as sam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from chalice.utils import to_cfn_resource_name
from constructs import Construct

from chalicelib.async_api.declaration import AsyncFunction
from infrastructure.stacks import api_definition, nag
from infrastructure.stacks.async_function import LOG_RETENTION, AsyncFunctionResources
from infrastructure.stacks.packaging import DeterministicChalice

#: The stack that keeps the declared queue names; any other stack prefixes them with its name.
DEFAULT_STACK_NAME = "serverless-async-lambda-api"
#: The API Gateway stage (Chalice's ``api_gateway_stage``): URLs end in ``/api/<route>``.
API_STAGE = "api"
#: Logical ids Chalice gives the resources it generates.
REST_API_ID = "RestAPI"
CHALICE_PROXY_RESOURCES = ("APIHandler", "ApiHandlerRole", "APIHandlerInvokePermission")
CHALICE_PROXY_OUTPUTS = ("APIHandlerName", "APIHandlerArn")
#: Stage-wide throttling (steady requests per second, burst).
THROTTLING_RATE_LIMIT = 50
THROTTLING_BURST_LIMIT = 100
#: Only used when no AWS_DEFAULT_REGION is set: nothing region-specific is packaged.
PACKAGING_REGION = "us-east-1"
#: The Lambda runtime of every function: the Python the project is locked and tested with
#: (the Makefile's LOCK_PYTHON). Chalice would take the synthesizing machine's Python.
LAMBDA_RUNTIME = "python3.11"
#: AWS WAF's rate-based rule: requests counted per client IP over this many seconds
#: (WAFv2 ``EvaluationWindowSec``: 60, 120, 300 or 600), limit from 10 to 2,000,000,000.
RATE_LIMIT_WINDOW_SECONDS = 300
RATE_LIMIT_RANGE = (10, 2_000_000_000)

#: One JSON line per request in the access log group. No ``$context.path``: the
#: path carries the client's input, the whole payload; ``resourcePath`` names the route.
#: No user agent either: client text of up to 10 KB, written into every line.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationStatus": "$context.integration.status",
        "integrationLatency": "$context.integration.latency",
        "integrationError": "$context.integration.error",
        "errorType": "$context.error.responseType",
        "errorMessage": "$context.error.message",
    },
    separators=(",", ":"),
)


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """The Chalice construct writes its packages to ``./chalice.out``: keep them in cdk.out."""
    path.mkdir(parents=True, exist_ok=True)
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _packaging_environment() -> Iterator[None]:
    """``os.environ`` for Chalice's packager, restored afterwards.

    The packager writes the stage's environment variables into ``os.environ``, and
    builds a botocore session, which needs a region even though the template it
    writes is region-agnostic.
    """
    saved = dict(os.environ)
    os.environ.setdefault("AWS_DEFAULT_REGION", PACKAGING_REGION)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def check_rate_limit(requests: object) -> None:
    """Refuse a per-IP rate limit AWS WAF would refuse: ``ValueError`` saying its range."""
    low, high = RATE_LIMIT_RANGE
    if isinstance(requests, bool) or not isinstance(requests, int) or not low <= requests <= high:
        raise ValueError(
            f"expected a whole number of requests per {RATE_LIMIT_WINDOW_SECONDS} s and "
            f"client IP from {low} to {high:,} (AWS WAF's range)"
        )


def resource_id(function: AsyncFunction) -> str:
    """The logical id Chalice gives a function (``build_report_fn`` is ``BuildReportFn``)."""
    resource: str = to_cfn_resource_name(function.name)
    return resource


class AsyncApiStack(cdk.Stack):
    """Every declared function of a Chalice project, synchronous or asynchronous as asked."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str = DEFAULT_STACK_NAME,
        *,
        project_dir: Path,
        functions: Sequence[AsyncFunction],
        function_environment: Mapping[str, str] | None = None,
        api_gateway_cloudwatch_role: bool = False,
        queue_readers: Sequence[str] = (),
        rate_limit_per_ip: int | None = None,
        **kwargs: Any,
    ) -> None:
        """The stack of ``functions`` (app.py's declarations) in the project at ``project_dir``.

        ``queue_readers``: ARNs of IAM roles or users that may read the queues,
        besides the stack's ``QueueReaderRole``. ``rate_limit_per_ip``: requests a
        client IP may make in :data:`RATE_LIMIT_WINDOW_SECONDS` before AWS WAF
        answers 429 (``None``: no web ACL).
        """
        super().__init__(scope, construct_id, **kwargs)
        self.declarations = tuple(functions)
        self.chalice = self._chalice_app(project_dir, function_environment or {})
        self.rest_api = cast(sam.CfnApi, self.chalice.get_resource(REST_API_ID))
        self._drop_chalice_proxy_handler()
        self.alarm_topic = self._alarm_topic()
        self.queue_reader_role = iam.Role(
            self,
            "QueueReaderRole",
            assumed_by=iam.AccountRootPrincipal(),
            description=f"Reads the on-success and on-failure queues of {self.stack_name}",
        )
        queue_prefix = "" if construct_id == DEFAULT_STACK_NAME else construct_id
        self.functions: dict[str, AsyncFunctionResources] = {}
        for declaration in self.declarations:
            logical_id = resource_id(declaration)
            function = cast(sam.CfnFunction, self.chalice.get_resource(logical_id))
            function.runtime = LAMBDA_RUNTIME
            # Chalice's role carries the inline policy of its packaging (an empty one,
            # see _chalice_app); the construct's policy names what the function may use.
            cast(iam.CfnRole, self.chalice.get_resource(f"{logical_id}Role")).policies = None
            self.functions[declaration.name] = AsyncFunctionResources(
                self,
                f"{logical_id}Async",
                declaration=declaration,
                function=function,
                role=self.chalice.get_role(f"{logical_id}Role"),
                rest_api=self.rest_api,
                api_stage=API_STAGE,
                alarm_topic=self.alarm_topic,
                alarm_name_prefix=self.stack_name,
                queue_prefix=queue_prefix,
                queue_readers=[self.queue_reader_role.role_arn, *queue_readers],
            )
            self.functions[declaration.name].grant_read(self.queue_reader_role)
        self._allow_alarms_to_publish()
        self.replay_policy = self._replay_policy()
        self.api_gateway_cloudwatch_role: iam.Role | None = None
        self._api(api_gateway_cloudwatch_role)
        self.web_acl = None if rate_limit_per_ip is None else self._rate_limit(rate_limit_per_ip)
        self._outputs()
        self._nag_acknowledgments()

    # -- the Chalice app ----------------------------------------------------

    def _chalice_app(self, project_dir: Path, function_environment: Mapping[str, str]) -> Any:
        outdir = Path(cdk.Stage.of(self).outdir).resolve()  # type: ignore[union-attr]
        # .chalice/policy-<stage>*.json are plain `chalice deploy`'s, one set per stage
        # of config.json, and Chalice's packaging (for a stage named after this stack)
        # reads one for every role it writes. Here each role's policy is the stack's
        # (AsyncFunctionResources), so Chalice is handed one that allows nothing.
        no_policy = outdir / "chalice-packaging-policy.json"
        no_policy.parent.mkdir(parents=True, exist_ok=True)
        no_policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": []}))
        # Chalice applies a stage config's variables to every function.
        stage_config: dict[str, Any] = {
            "api_gateway_stage": API_STAGE,
            "environment_variables": dict(function_environment),
            # An absolute path: Chalice joins it to the project's .chalice/.
            "iam_policy_file": str(no_policy),
        }
        with _working_directory(outdir), _packaging_environment():
            return DeterministicChalice(
                self, "ChaliceApp", source_dir=str(project_dir), stage_config=stage_config
            )

    def _drop_chalice_proxy_handler(self) -> None:
        """Each route's Lambda proxy is replaced by API Gateway's own integration."""
        template = self.chalice.sam_template
        outputs = template.node.find_child("$Outputs")
        for scope, logical_id in (
            *((template, name) for name in CHALICE_PROXY_RESOURCES),
            *((outputs, name) for name in CHALICE_PROXY_OUTPUTS),
        ):
            if not scope.node.try_remove_child(logical_id):
                raise RuntimeError(f"Chalice's template no longer has {logical_id}")

    # -- API Gateway --------------------------------------------------------

    def _api(self, api_gateway_cloudwatch_role: bool) -> None:
        definition = self._definition_body()
        definition["paths"] = {
            resources.declaration.route: {"get": resources.operation()}
            for resources in self.functions.values()
        }
        definition["x-amazon-apigateway-gateway-responses"] = api_definition.gateway_responses(
            [declaration.route for declaration in self.declarations]
        )
        definition.pop("x-amazon-apigateway-binary-media-types", None)
        self.rest_api.definition_body = definition
        # Any OpenApiVersion stops SAM from also deploying a stage named "Stage",
        # which would have neither the throttling nor the access logs below.
        self.rest_api.open_api_version = "2.0"
        self.access_log_group = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.rest_api.access_log_setting = sam.CfnApi.AccessLogSettingProperty(
            destination_arn=self.access_log_group.log_group_arn,
            format=ACCESS_LOG_FORMAT,
        )
        self.rest_api.method_settings = [
            {
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingRateLimit": THROTTLING_RATE_LIMIT,
                "ThrottlingBurstLimit": THROTTLING_BURST_LIMIT,
                "MetricsEnabled": True,
            }
        ]
        if api_gateway_cloudwatch_role:
            self.rest_api.add_resource_dependency(self._api_gateway_account())
        else:
            cdk.Annotations.of(self).add_info(ACCOUNT_ROLE_NOTICE)

    def _definition_body(self) -> dict[str, Any]:
        """Chalice's swagger, checked to hold exactly the declared routes.

        A plain ``@app.route`` would reach Chalice's proxy handler, which this
        stack does not deploy.
        """
        definition = dict(self.rest_api.definition_body)
        routes = set(definition.get("paths", {}))
        declared = {declaration.route for declaration in self.declarations}
        if routes != declared:
            raise RuntimeError(
                f"the app's routes are {sorted(routes)}; the stack maps only the routes of "
                f"@api.function declarations, {sorted(declared)}: declare the others with "
                "@api.function, or give them an integration of their own"
            )
        return definition

    def _api_gateway_account(self) -> cdk.CfnResource:
        """The account's role for API Gateway logging, which access logs need.

        An account-wide setting, one per region, that every API of the region uses:
        created only when asked (``-c apiGatewayCloudWatchRole=true``), in an account
        whose region has none. The role is retained on stack deletion so that the
        account setting never points at a deleted role.
        """
        role = iam.Role(
            self,
            "ApiGatewayCloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        account = apigateway.CfnAccount(
            self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn
        )
        account.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        self.api_gateway_cloudwatch_role = role
        return account

    # -- monitoring and outputs ---------------------------------------------

    def _rate_limit(self, requests: int) -> wafv2.CfnWebACL:
        """A regional WAFv2 web ACL on the stage: 429 for a client IP over ``requests``.

        Counted per client IP over :data:`RATE_LIMIT_WINDOW_SECONDS` (a rate-based
        rule); everything else is allowed. AWS WAF evaluates its rules before API
        Gateway's own access control and throttling. Billed per web ACL, per rule
        and per million requests (docs/security.md).
        """
        check_rate_limit(requests)
        metric = f"{self.stack_name}-rate-limit"
        web_acl = wafv2.CfnWebACL(
            self,
            "RateLimit",
            scope="REGIONAL",
            description=f"{self.stack_name}: at most {requests} requests per "
            f"{RATE_LIMIT_WINDOW_SECONDS} s from one client IP",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            custom_response_bodies={
                "TooManyRequests": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(
                        {
                            "error": "TooManyRequests",
                            "message": f"more than {requests} requests in "
                            f"{RATE_LIMIT_WINDOW_SECONDS} seconds from this address",
                            "accepted": f"at most {requests} requests per "
                            f"{RATE_LIMIT_WINDOW_SECONDS} seconds; retry later",
                        }
                    ),
                )
            },
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RequestsPerClientIp",
                    priority=0,
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=requests,
                            evaluation_window_sec=RATE_LIMIT_WINDOW_SECONDS,
                        )
                    ),
                    action=wafv2.CfnWebACL.RuleActionProperty(
                        block=wafv2.CfnWebACL.BlockActionProperty(
                            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                                response_code=429,
                                custom_response_body_key="TooManyRequests",
                            )
                        )
                    ),
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True,
                        metric_name=f"{metric}-per-ip",
                        sampled_requests_enabled=False,
                    ),
                )
            ],
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=metric,
                sampled_requests_enabled=False,
            ),
        )
        wafv2.CfnWebACLAssociation(
            self,
            "RateLimitAssociation",
            web_acl_arn=web_acl.attr_arn,
            # SAM resolves ${RestAPI.Stage} to the stage it creates (so the
            # association is made after it), as it resolves ${RestAPI} to the API.
            resource_arn=cdk.Fn.sub(
                "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/"
                f"${{{REST_API_ID}}}/stages/${{{REST_API_ID}.Stage}}"
            ),
        )
        return web_acl

    # -- monitoring and outputs ---------------------------------------------

    def _alarm_topic(self) -> sns.Topic:
        """Where the on-failure alarms notify: subscribe (e-mail, chat, pager) to hear of them.

        Encrypted with a customer managed key: CloudWatch cannot publish to a topic
        under the AWS managed key alias/aws/sns, whose policy cannot grant it
        kms:Decrypt and kms:GenerateDataKey.
        """
        self.alarm_topic_key = key = kms.Key(
            self,
            "OnFailureAlarmTopicKey",
            description=f"Encrypts the SNS topic of {self.stack_name}'s on-failure alarms",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            pending_window=cdk.Duration.days(7),
        )
        return sns.Topic(
            self,
            "OnFailureAlarmTopic",
            display_name=f"{self.stack_name} on-failure alarms",
            master_key=key,
            enforce_ssl=True,
        )

    def _allow_alarms_to_publish(self) -> None:
        # The key's grant names the alarms by ARN, built from their names: an
        # attribute of the alarms would make the key depend on them, and they on it
        # (through the topic). With aws:SourceAccount and aws:SourceArn, as the SNS
        # developer guide asks of service principals on a topic's key.
        self.alarm_topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ThisStacksAlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": [
                            self.format_arn(
                                service="cloudwatch",
                                resource="alarm",
                                resource_name=resources.on_failure_alarm_name,
                                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                            )
                            for resources in self.functions.values()
                        ]
                    },
                    "StringEquals": {"aws:SourceAccount": self.account},
                },
            )
        )
        # The topic's policy (TLS only) replaces SNS's default one: CloudWatch may
        # publish to it, for this stack's alarms only.
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ThisStacksAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": [
                            resources.on_failure_alarm.alarm_arn
                            for resources in self.functions.values()
                        ]
                    },
                    "StringEquals": {"aws:SourceAccount": self.account},
                },
            )
        )

    def _replay_policy(self) -> iam.ManagedPolicy:
        """What ``python -m local_async.replay --from aws`` calls, on this stack's resources only.

        Attached to ``QueueReaderRole``; attach it to a ``-c queueReaders`` principal
        that replays failed events too. It reads the stack's outputs,
        reads and deletes the on-failure queues' records (and shows kept ones again),
        and invokes the functions. The queues are SQS-managed encrypted: no KMS key
        permission is needed.
        """
        # The queues refuse readers other than QueueReaderRole and -c queueReaders: the
        # policy serves those principals, and QueueReaderRole has it.
        return iam.ManagedPolicy(
            self,
            "ReplayPolicy",
            description=f"Replay the failed events of {self.stack_name}",
            roles=[self.queue_reader_role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadTheStackOutputs",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[self.stack_id],
                ),
                iam.PolicyStatement(
                    sid="ReadAndDeleteFailedEventRecords",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                    ],
                    resources=[r.on_failure_queue.queue_arn for r in self.functions.values()],
                ),
                iam.PolicyStatement(
                    sid="InvokeTheFunctionsAgain",
                    actions=["lambda:InvokeFunction"],
                    resources=[
                        r.function.get_att("Arn").to_string() for r in self.functions.values()
                    ],
                ),
            ],
        )

    def _outputs(self) -> None:
        """Per function: its name and queue URLs. Chalice's ``EndpointURL`` is the API's URL."""
        cdk.CfnOutput(
            self,
            "OnFailureAlarmTopicArn",
            description="SNS topic of the on-failure alarms: subscribe to be told when events fail",
            value=self.alarm_topic.topic_arn,
        )
        cdk.CfnOutput(
            self,
            "QueueReaderRoleArn",
            description="Assume this role to read the queues and replay failed events: the "
            "queues refuse every other reader but those named with -c queueReaders",
            value=self.queue_reader_role.role_arn,
        )
        cdk.CfnOutput(
            self,
            "ReplayPolicyArn",
            description="Managed policy to replay failed events (python -m local_async.replay "
            "--from aws), attached to QueueReaderRole; attach it to a -c queueReaders principal",
            value=self.replay_policy.managed_policy_arn,
        )
        for resources in self.functions.values():
            prefix = resource_id(resources.declaration)
            route = resources.declaration.route
            cdk.CfnOutput(
                self,
                f"{prefix}Url",
                description=f"GET {route}: this URL, then the path parameters; optional "
                "header InvocationType: Event",
                value=cdk.Fn.sub(
                    "https://${RestApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
                    f"/{API_STAGE}{route[: route.index('{')]}",
                    {"RestApiId": self.rest_api.ref},
                ),
            )
            cdk.CfnOutput(
                self,
                f"{prefix}Name",
                description=f"The Lambda function of GET {resources.declaration.route}",
                value=resources.function.ref,
            )
            cdk.CfnOutput(
                self,
                f"{prefix}OnSuccessQueueUrl",
                description="On-success destination: one record per asynchronous call",
                value=resources.on_success_queue.queue_url,
            )
            cdk.CfnOutput(
                self,
                f"{prefix}OnFailureQueueUrl",
                description="On-failure destination: events that exhausted their retries or age",
                value=resources.on_failure_queue.queue_url,
            )

    # -- cdk-nag --------------------------------------------------------------

    def _nag_acknowledgments(self) -> None:
        """Each AwsSolutions finding the stack accepts, with its reason.

        Those on the SAM resources (the API, the functions) are found only in the
        SAM-translated template (infrastructure/translated.py): cdk-nag's rules for
        API Gateway and Lambda skip ``AWS::Serverless::*`` resources.
        """
        if self.api_gateway_cloudwatch_role is not None:
            nag.acknowledge(
                cast(Construct, self.api_gateway_cloudwatch_role.node.default_child),
                "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:"
                "policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the "
                "account's API Gateway logging role.",
            )
        for rule, reason in API_ACKNOWLEDGMENTS.items():
            nag.acknowledge(self.rest_api, rule, reason)
        if self.web_acl is None:
            nag.acknowledge(
                self.rest_api,
                "AwsSolutions::AwsSolutions-APIG3",
                "A web ACL costs a monthly fee and a fee per request: the per-client rate "
                "limit is opt-in (-c rateLimitPerIp=N); the stage's throttling and each "
                "function's reserved concurrency bound the load without it.",
            )
        for resources in self.functions.values():
            nag.acknowledge(
                resources.function,
                "AwsSolutions::AwsSolutions-L1",
                f"{LAMBDA_RUNTIME} is the Python the project is locked and tested with "
                "(Makefile LOCK_PYTHON); the runtime moves with the lock, the type "
                "checks and the tests, in one change. cfn-lint on the translated "
                "template warns once Lambda deprecates it.",
            )


#: What the stack's API accepts of cdk-nag's API Gateway rules, and why.
API_ACKNOWLEDGMENTS = {
    "AwsSolutions::AwsSolutions-APIG2": "Each function validates its own input and "
    "answers 400 with the contract's body naming what is accepted; a request validator "
    "could only check that the path parameter is present, which the route match "
    "already requires.",
    "AwsSolutions::AwsSolutions-APIG4": "A public API by design (the article's and the "
    "contract's): no caller identity. Abuse is bounded by stage throttling, reserved "
    "concurrency and the optional per-IP rate limit; add an authorizer to the "
    "operation in api_definition.py where callers must be known.",
    "AwsSolutions::AwsSolutions-COG4": "A public API by design: no Cognito user pool "
    "(see AwsSolutions-APIG4).",
    "AwsSolutions::AwsSolutions-APIG6": "Execution logs can hold request parameter "
    "values and payloads (API Gateway developer guide, set-up-logging), and the path "
    "parameter is the payload; the access log (AwsSolutions-APIG1) and the stage's "
    "metrics record every request without it.",
}

#: Said at synthesis when the stack leaves the account's API Gateway settings alone.
ACCOUNT_ROLE_NOTICE = (
    "The stage writes access logs, which need the region's API Gateway CloudWatch role "
    "(an account-wide setting this stack leaves alone). If "
    "`aws apigateway get-account --query cloudwatchRoleArn` prints None, set one up once "
    "per region, or deploy once with -c apiGatewayCloudWatchRole=true; otherwise the "
    "deployment fails with 'CloudWatch Logs role ARN must be set in account settings "
    "to enable logging'."
)
