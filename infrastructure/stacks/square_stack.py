"""The deployed system: the Chalice app, its asynchronous destinations, API Gateway.

- ``chalice.cdk.Chalice`` packages the app (repository root) as a SAM template,
  with a canonical deployment zip (``packaging``): the same asset on every machine.
- ``get_square_fn`` gets an ``AWS::Lambda::EventInvokeConfig`` from the one async
  policy declaration (``chalicelib.async_policy``): retries, maximum event age,
  on-success destination queue and on-failure destination queue (the DLQ).
- The Chalice-generated API keeps its ``AWS::Serverless::Api`` resource, but
  ``GET /square/{number}`` becomes a non-proxy integration to ``get_square_fn``
  (``api_definition``): API Gateway itself honours ``InvocationType`` and answers
  with the route's bodies. Chalice's proxy handler is not deployed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sam as sam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from chalice.utils import to_cfn_resource_name
from constructs import Construct

from chalicelib import contract
from chalicelib.async_policy import GET_SQUARE_FN_POLICY, AsyncPolicy
from infrastructure.stacks import api_definition
from infrastructure.stacks.packaging import DeterministicChalice

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_NAME = "serverless-async-lambda-api"
#: The API Gateway stage (Chalice's ``api_gateway_stage``): URLs end in ``/api/square/N``.
API_STAGE = "api"
#: Logical ids Chalice gives the resources it generates.
REST_API_ID = "RestAPI"
CHALICE_PROXY_RESOURCES = ("APIHandler", "ApiHandlerRole", "APIHandlerInvokePermission")
CHALICE_PROXY_OUTPUTS = ("APIHandlerName", "APIHandlerArn")
#: Stage-wide throttling (steady requests per second, burst).
THROTTLING_RATE_LIMIT = 50
THROTTLING_BURST_LIMIT = 100
#: SQS's maximum retention: a DLQ keeps failures for two weeks of investigation.
DLQ_RETENTION = cdk.Duration.days(14)
#: Results are read soon after the request; four days is SQS's default.
DESTINATION_RETENTION = cdk.Duration.days(4)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
#: Only used when no AWS_DEFAULT_REGION is set: nothing region-specific is packaged.
PACKAGING_REGION = "us-east-1"

#: One JSON line per request in the access log group. No ``$context.path``: the
#: path carries the client's number, the whole payload; ``resourcePath`` names the route.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "ip": "$context.identity.sourceIp",
        "userAgent": "$context.identity.userAgent",
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


class SquareStack(cdk.Stack):
    """``GET /square/{number}``, synchronous or asynchronous as the caller asks."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str = STACK_NAME,
        *,
        policy: AsyncPolicy = GET_SQUARE_FN_POLICY,
        function_environment: Mapping[str, str] | None = None,
        api_gateway_cloudwatch_role: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.policy = policy
        self.destination_queue, self.dead_letter_queue = self._queues(policy)
        self.chalice = self._chalice_app(function_environment or {})
        function_id = to_cfn_resource_name(policy.function_name)
        self.function = cast(sam.CfnFunction, self.chalice.get_resource(function_id))
        self.function_role = cast(iam.CfnRole, self.chalice.get_resource(f"{function_id}Role"))
        self.rest_api = cast(sam.CfnApi, self.chalice.get_resource(REST_API_ID))
        self._drop_chalice_proxy_handler()
        self.function_policy = self._function_permissions(function_id)
        self.event_invoke_config = self._event_invoke_config(policy, self.function_policy)
        self.api_gateway_cloudwatch_role: iam.Role | None = None
        self._api(api_gateway_cloudwatch_role)
        self.alarm_topic = self._alarm_topic()
        self.dlq_alarm = self._dlq_alarm()
        self._outputs()
        self._nag_acknowledgments()

    # -- queues -------------------------------------------------------------

    def _queues(self, policy: AsyncPolicy) -> tuple[sqs.Queue, sqs.Queue]:
        destination = sqs.Queue(
            self,
            "DestinationQueue",
            queue_name=policy.destination_queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DESTINATION_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        dead_letter = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=policy.dead_letter_queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        return destination, dead_letter

    # -- the Chalice app ----------------------------------------------------

    def _chalice_app(self, function_environment: Mapping[str, str]) -> Any:
        # Chalice applies a stage config's variables to every function; get_square_fn
        # is the only one this stack deploys.
        stage_config: dict[str, Any] = {
            "api_gateway_stage": API_STAGE,
            "environment_variables": dict(function_environment),
        }
        outdir = Path(cdk.Stage.of(self).outdir).resolve()  # type: ignore[union-attr]
        with _working_directory(outdir), _packaging_environment():
            return DeterministicChalice(
                self, "ChaliceApp", source_dir=str(REPO_ROOT), stage_config=stage_config
            )

    def _drop_chalice_proxy_handler(self) -> None:
        """The route's Lambda proxy is replaced by API Gateway's own integration."""
        template = self.chalice.sam_template
        outputs = template.node.find_child("$Outputs")
        for scope, logical_id in (
            *((template, name) for name in CHALICE_PROXY_RESOURCES),
            *((outputs, name) for name in CHALICE_PROXY_OUTPUTS),
        ):
            if not scope.node.try_remove_child(logical_id):
                raise RuntimeError(f"Chalice's template no longer has {logical_id}")

    def _function_permissions(self, function_id: str) -> iam.Policy:
        """Logs to its own log group and sends to its two destinations, nothing else."""
        # The role Chalice generated from .chalice/policy-get-square-fn.json (for
        # plain `chalice deploy`) allows logs:CreateLogGroup on a name pattern; here
        # the stack owns the log group, so the inline policy is replaced by the one below.
        self.function_role.policies = None
        self.function_log_group = logs.LogGroup(
            self,
            "GetSquareFnLogGroup",
            log_group_name=cdk.Fn.join("", ["/aws/lambda/", self.function.ref]),
            retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        role = self.chalice.get_role(f"{function_id}Role")
        return iam.Policy(
            self,
            "GetSquareFnPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.function_log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="SendToAsyncDestinations",
                    actions=["sqs:SendMessage"],
                    resources=[
                        self.destination_queue.queue_arn,
                        self.dead_letter_queue.queue_arn,
                    ],
                ),
            ],
        )

    def _event_invoke_config(
        self, policy: AsyncPolicy, function_policy: iam.Policy
    ) -> lambda_.CfnEventInvokeConfig:
        config = lambda_.CfnEventInvokeConfig(
            self,
            "GetSquareFnEventInvokeConfig",
            function_name=self.function.ref,
            qualifier="$LATEST",
            maximum_retry_attempts=policy.maximum_retry_attempts,
            maximum_event_age_in_seconds=policy.maximum_event_age_seconds,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_success=lambda_.CfnEventInvokeConfig.OnSuccessProperty(
                    destination=self.destination_queue.queue_arn
                ),
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=self.dead_letter_queue.queue_arn
                ),
            ),
        )
        # Lambda checks the role may send to the destinations when the config is created.
        config.add_resource_dependency(cast(cdk.CfnResource, function_policy.node.default_child))
        return config

    # -- API Gateway --------------------------------------------------------

    def _api(self, api_gateway_cloudwatch_role: bool) -> None:
        function_uri = cdk.Fn.sub(
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
            "/functions/${FunctionArn}/invocations",
            {"FunctionArn": self.function.get_att("Arn").to_string()},
        )
        definition = self._definition_body()
        definition["paths"] = {
            contract.RESOURCE_PATH: {"get": api_definition.square_operation(function_uri)}
        }
        definition["x-amazon-apigateway-gateway-responses"] = api_definition.gateway_responses()
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
        lambda_.CfnPermission(
            self,
            "ApiInvokesGetSquareFn",
            action="lambda:InvokeFunction",
            function_name=self.function.ref,
            principal="apigateway.amazonaws.com",
            source_arn=cdk.Fn.sub(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}"
                ":${RestApiId}/*/GET/square/*",
                {"RestApiId": self.rest_api.ref},
            ),
        )
        if api_gateway_cloudwatch_role:
            self.rest_api.add_resource_dependency(self._api_gateway_account())

    def _definition_body(self) -> dict[str, Any]:
        """Chalice's swagger, checked to hold only the route this stack maps."""
        definition = dict(self.rest_api.definition_body)
        routes = set(definition.get("paths", {}))
        if routes != {contract.RESOURCE_PATH}:
            raise RuntimeError(
                f"the app's routes are {sorted(routes)}; the stack maps only "
                f"{contract.RESOURCE_PATH}: add an integration for the others"
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
        """Where the DLQ alarm notifies: subscribe (e-mail, chat, pager) to hear of it.

        Encrypted with a customer managed key: CloudWatch cannot publish to a topic
        under the AWS managed key alias/aws/sns, whose policy cannot grant it
        kms:Decrypt and kms:GenerateDataKey.
        """
        key = kms.Key(
            self,
            "DeadLetterAlarmTopicKey",
            description=f"Encrypts the SNS topic of the {self.policy.dead_letter_queue_name} alarm",
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
            "DeadLetterAlarmTopic",
            display_name=f"{self.policy.function_name} dead-letter alarm",
            master_key=key,
            enforce_ssl=True,
        )

    def _dlq_alarm(self) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            "DeadLetterQueueNotEmpty",
            alarm_description=(
                f"{self.policy.function_name} gave up on events: read them from "
                f"{self.policy.dead_letter_queue_name}"
            ),
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        # The topic's policy (TLS only) replaces SNS's default one: CloudWatch may
        # publish to it, for this alarm only.
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ThisAlarmPublishes",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": alarm.alarm_arn},
                    "StringEquals": {"aws:SourceAccount": self.account},
                },
            )
        )
        return alarm

    def _outputs(self) -> None:
        cdk.CfnOutput(
            self,
            "GetSquareApiUrl",
            description="GET <url><number>, optional header InvocationType: Event",
            value=cdk.Fn.sub(
                "https://${RestApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
                f"/{API_STAGE}/square/",
                {"RestApiId": self.rest_api.ref},
            ),
        )
        cdk.CfnOutput(
            self,
            "DestinationQueueUrl",
            description="On-success destination: one record per asynchronous call",
            value=self.destination_queue.queue_url,
        )
        cdk.CfnOutput(
            self,
            "DeadLetterQueueUrl",
            description="On-failure destination: events that exhausted their retries or age",
            value=self.dead_letter_queue.queue_url,
        )
        cdk.CfnOutput(
            self,
            "DeadLetterAlarmTopicArn",
            description="SNS topic of the DLQ alarm: subscribe to be told when events fail",
            value=self.alarm_topic.topic_arn,
        )
        cdk.CfnOutput(self, "GetSquareFnName", value=self.function.ref)

    # -- cdk-nag --------------------------------------------------------------

    def _nag_acknowledgments(self) -> None:
        """Each AwsSolutions finding this stack accepts, with its reason."""
        for queue, role_of_queue in (
            (self.destination_queue, "the on-success destination"),
            (self.dead_letter_queue, "the on-failure destination (the DLQ itself)"),
        ):
            _acknowledge(
                cast(Construct, queue.node.default_child),
                "AwsSolutions::AwsSolutions-SQS3",
                f"This queue is {role_of_queue} of Lambda's asynchronous invocation, not "
                "a work queue: Lambda writes to it, people and tools read it. A redrive "
                "DLQ would only receive records a reader failed to delete.",
            )
        if self.api_gateway_cloudwatch_role is not None:
            _acknowledge(
                cast(Construct, self.api_gateway_cloudwatch_role.node.default_child),
                "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the "
                "account's API Gateway logging role.",
            )


def _acknowledge(construct: Construct, rule: str, reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
