"""One declared function's resources: its queues, EventInvokeConfig, permissions and alarm.

The stack makes one :class:`AsyncFunctionResources` per ``@api.function``
declaration; nothing here names a function. The Lambda function itself and its
role are Chalice's (packaged by ``chalice.cdk.Chalice``); this construct adds
what makes it an asynchronous, observable function behind API Gateway, and
sets its reserved concurrency from the declaration.

The queues take records from the function's role only, and give them to the
readers the stack names only. Within an account an identity policy alone
grants access to a queue, so each queue's policy denies everyone else:
``sqs:SendMessage`` unless the caller is the function's role (Lambda sends
destination records with the function's execution role: Lambda developer
guide, "Asynchronous invocation", destinations), and reading unless the caller
is a named reader. ``aws:PrincipalArn`` is a role's ARN, not its session's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sam as sam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.async_api.declaration import AsyncFunction
from infrastructure.stacks import api_definition, nag

#: SQS's maximum retention: the on-failure queue keeps failures for two weeks of investigation.
ON_FAILURE_RETENTION = cdk.Duration.days(14)
#: Results are read soon after the request; four days is SQS's default.
ON_SUCCESS_RETENTION = cdk.Duration.days(4)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
#: SQS queue names are at most 80 characters.
MAX_QUEUE_NAME = 80
#: What a reader does with records; everyone else is refused these on the queues.
READ_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:PurgeQueue",
)


class QueueNameTooLong(ValueError):
    """A stack's prefix makes a declared queue name longer than SQS allows."""


def queue_name(declared: str, prefix: str) -> str:
    """The deployed name of a declared queue: ``<prefix>-<declared>``, or as declared.

    The default stack keeps the declared names (the article's); every other
    stack prefixes its own name, so that two stacks (two stages) can live in
    one account and region. Raises :class:`QueueNameTooLong`.
    """
    name = f"{prefix}-{declared}" if prefix else declared
    if len(name) > MAX_QUEUE_NAME:
        raise QueueNameTooLong(
            f"queue name {name!r} is {len(name)} characters; SQS allows {MAX_QUEUE_NAME}: "
            "use a shorter stack name or shorter queue names"
        )
    return name


class AsyncFunctionResources(Construct):
    """The asynchronous side of one declared function (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        declaration: AsyncFunction,
        function: sam.CfnFunction,
        role: iam.IRole,
        rest_api: sam.CfnApi,
        api_stage: str,
        alarm_topic: sns.ITopic,
        alarm_name_prefix: str,
        queue_prefix: str,
        queue_readers: Sequence[str],
    ) -> None:
        """``queue_readers``: ARNs of the roles and users that may read the queues."""
        super().__init__(scope, construct_id)
        self.declaration = declaration
        self.function = function
        # Set here, not only through .chalice/config.json: the declaration the stack
        # is given is the one deployed.
        function.reserved_concurrent_executions = declaration.reserved_concurrency
        self.on_failure_alarm_name = f"{alarm_name_prefix}-{declaration.name}-on-failure"
        self.on_success_queue = self._queue(
            "OnSuccessQueue",
            queue_name(declaration.on_success_queue, queue_prefix),
            ON_SUCCESS_RETENTION,
        )
        self.on_failure_queue = self._queue(
            "OnFailureQueue",
            queue_name(declaration.on_failure_queue, queue_prefix),
            ON_FAILURE_RETENTION,
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=cdk.Fn.join("", ["/aws/lambda/", function.ref]),
            retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.policy = self._permissions(role)
        for queue in self.queues:
            self._restrict(queue, sender=role.role_arn, readers=queue_readers)
        self.event_invoke_config = self._event_invoke_config()
        self.invoke_permission = self._api_invoke_permission(rest_api, api_stage)
        self.on_failure_alarm = self._on_failure_alarm(alarm_topic)
        self._acknowledge_queues()

    @property
    def queues(self) -> tuple[sqs.Queue, sqs.Queue]:
        """The on-success and the on-failure queue."""
        return (self.on_success_queue, self.on_failure_queue)

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` read, delete and inspect both queues' records."""
        for queue in self.queues:
            queue.grant_consume_messages(grantee)

    def operation(self) -> dict[str, Any]:
        """The route's OpenAPI operation: API Gateway's non-proxy integration to the function."""
        function_uri = cdk.Fn.sub(
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
            "/functions/${FunctionArn}/invocations",
            {"FunctionArn": self.function.get_att("Arn").to_string()},
        )
        return api_definition.operation(self.declaration, function_uri)

    def _queue(self, construct_id: str, name: str, retention: cdk.Duration) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            queue_name=name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=retention,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )

    def _restrict(self, queue: sqs.Queue, *, sender: str, readers: Sequence[str]) -> None:
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheFunctionSends",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": sender}},
            )
        )
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyNamedReadersRead",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(READ_ACTIONS),
                resources=[queue.queue_arn],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": list(readers)}},
            )
        )

    def _permissions(self, role: iam.IRole) -> iam.Policy:
        """Logs to its own log group and sends to its two destinations, nothing else."""
        return iam.Policy(
            self,
            "Policy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="SendToAsyncDestinations",
                    actions=["sqs:SendMessage"],
                    resources=[self.on_success_queue.queue_arn, self.on_failure_queue.queue_arn],
                ),
            ],
        )

    def _event_invoke_config(self) -> lambda_.CfnEventInvokeConfig:
        config = self.declaration.config
        invoke_config = lambda_.CfnEventInvokeConfig(
            self,
            "EventInvokeConfig",
            function_name=self.function.ref,
            qualifier="$LATEST",
            maximum_retry_attempts=config.maximum_retry_attempts,
            maximum_event_age_in_seconds=config.maximum_event_age_seconds,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_success=lambda_.CfnEventInvokeConfig.OnSuccessProperty(
                    destination=self.on_success_queue.queue_arn
                ),
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=self.on_failure_queue.queue_arn
                ),
            ),
        )
        # Lambda checks that the role may send to the destinations when the config is
        # created: the grants must exist first.
        invoke_config.add_resource_dependency(cast(cdk.CfnResource, self.policy.node.default_child))
        return invoke_config

    def _api_invoke_permission(self, rest_api: sam.CfnApi, api_stage: str) -> lambda_.CfnPermission:
        # API Gateway's source ARN names the method: the route with each {parameter}
        # as a wildcard, on this stage only.
        route = "/".join(
            "*" if segment.startswith("{") else segment
            for segment in self.declaration.route.split("/")
        )
        return lambda_.CfnPermission(
            self,
            "ApiInvokePermission",
            action="lambda:InvokeFunction",
            function_name=self.function.ref,
            principal="apigateway.amazonaws.com",
            source_arn=cdk.Fn.sub(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}"
                f":${{RestApiId}}/{api_stage}/GET{route}",
                {"RestApiId": rest_api.ref},
            ),
        )

    def _on_failure_alarm(self, topic: sns.ITopic) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            "OnFailureQueueNotEmpty",
            # Named, so that the alarm topic's key can name it (see the stack).
            alarm_name=self.on_failure_alarm_name,
            alarm_description=(
                f"{self.declaration.name} gave up on events: read them from "
                f"{self.on_failure_queue.queue_name}"
            ),
            metric=self.on_failure_queue.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
        return alarm

    def _acknowledge_queues(self) -> None:
        for queue, role_of_queue in (
            (self.on_success_queue, "the on-success destination"),
            (self.on_failure_queue, "the on-failure destination"),
        ):
            nag.acknowledge(
                cast(Construct, queue.node.default_child),
                "AwsSolutions::AwsSolutions-SQS3",
                f"This queue is {role_of_queue} of Lambda's asynchronous invocation, not a "
                "work queue: Lambda writes invocation records to it, people and tools read "
                "them. A redrive queue would only receive records a reader failed to delete.",
            )
