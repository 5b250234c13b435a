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
        api_gateway_cloudwatch_role: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.declarations = tuple(functions)
        self.chalice = self._chalice_app(project_dir, function_environment or {})
        self.rest_api = cast(sam.CfnApi, self.chalice.get_resource(REST_API_ID))
        self._drop_chalice_proxy_handler()
        self.alarm_topic = self._alarm_topic()
        queue_prefix = "" if construct_id == DEFAULT_STACK_NAME else construct_id
        self.functions: dict[str, AsyncFunctionResources] = {}
        for declaration in self.declarations:
            logical_id = resource_id(declaration)
            function = cast(sam.CfnFunction, self.chalice.get_resource(logical_id))
            # The role Chalice generated from .chalice/policy-<name>.json (for plain
            # `chalice deploy`) allows logs:CreateLogGroup on a name pattern; here the
            # stack owns the log group, so that inline policy gives way to the
            # construct's, which names it.
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
                queue_prefix=queue_prefix,
            )
        self._allow_alarms_to_publish()
        self.replay_policy = self._replay_policy()
        self.api_gateway_cloudwatch_role: iam.Role | None = None
        self._api(api_gateway_cloudwatch_role)
        self._outputs()
        self._nag_acknowledgments()

    # -- the Chalice app ----------------------------------------------------

    def _chalice_app(self, project_dir: Path, function_environment: Mapping[str, str]) -> Any:
        # Chalice applies a stage config's variables to every function.
        stage_config: dict[str, Any] = {
            "api_gateway_stage": API_STAGE,
            "environment_variables": dict(function_environment),
        }
        outdir = Path(cdk.Stage.of(self).outdir).resolve()  # type: ignore[union-attr]
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
        """The account's role for API Gateway logging, required for access logs.

        One per account and region: deploy with ``-c apiGatewayCloudWatchRole=false``
        where the account already has one. The role is retained on stack deletion so
        that the account setting never points at a deleted role.
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

    def _alarm_topic(self) -> sns.Topic:
        """Where the on-failure alarms notify: subscribe (e-mail, chat, pager) to hear of them.

        Encrypted with a customer managed key: CloudWatch cannot publish to a topic
        under the AWS managed key alias/aws/sns, whose policy cannot grant it
        kms:Decrypt and kms:GenerateDataKey.
        """
        key = kms.Key(
            self,
            "OnFailureAlarmTopicKey",
            description=f"Encrypts the SNS topic of {self.stack_name}'s on-failure alarms",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            pending_window=cdk.Duration.days(7),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        return sns.Topic(
            self,
            "OnFailureAlarmTopic",
            display_name=f"{self.stack_name} on-failure alarms",
            master_key=key,
            enforce_ssl=True,
        )

    def _allow_alarms_to_publish(self) -> None:
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

        Attach it to whoever replays failed events: it reads the stack's outputs,
        reads and deletes the on-failure queues' records (and shows kept ones again),
        and invokes the functions. The queues are SQS-managed encrypted: no KMS key
        permission is needed.
        """
        return iam.ManagedPolicy(
            self,
            "ReplayPolicy",
            description=f"Replay the failed events of {self.stack_name}",
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
            "ReplayPolicyArn",
            description="Managed policy to replay failed events: python -m local_async.replay "
            "--from aws",
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
        """Each AwsSolutions finding of the stack itself that it accepts, with its reason."""
        if self.api_gateway_cloudwatch_role is not None:
            nag.acknowledge(
                cast(Construct, self.api_gateway_cloudwatch_role.node.default_child),
                "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:"
                "policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the "
                "account's API Gateway logging role.",
            )
