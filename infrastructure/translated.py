"""The stack as CloudFormation deploys it: the SAM transform, run offline, then cdk-nag again.

cdk-nag's AwsSolutions rules for API Gateway and Lambda (APIG1-APIG4, APIG6,
COG4, L1 in cdk-nag 3.0.2) test for L1 classes: ``aws_apigateway.CfnStage``,
``CfnRestApi``, ``CfnMethod``, ``aws_lambda.CfnFunction``. The stack's API and
functions are ``AWS::Serverless::Api`` and ``AWS::Serverless::Function``
resources, which those rules skip: a clean cdk-nag run on the synthesized
template says nothing about them. CloudFormation expands them at deploy time
with the SAM transform (``Transform: AWS::Serverless-2016-10-31``), whose code
is ``aws-sam-translator`` on PyPI. Here:

1. :func:`translate` runs that code on the synthesized template: the template
   CloudFormation deploys (a ``RestApi``, its ``Stage`` and ``Deployment``, a
   ``Lambda::Function`` per function), with the ``Metadata`` of each SAM
   resource, cdk-nag's acknowledgments included, copied onto what it becomes.
2. :func:`findings` loads the result with ``CfnInclude``, which makes every
   resource an L1 object, applies each resource's acknowledgments, and runs
   the AwsSolutions pack on it.
3. What cdk-nag cannot see even there, the methods defined in the API's
   OpenAPI body (not ``CfnMethod`` resources), is checked by
   :func:`unauthorized_operations`: a method without authorization needs the
   API to acknowledge APIG4 and COG4.

``infrastructure/app.py`` runs this after every synthesis and fails on any
unacknowledged finding, as cdk-nag fails the synthesis on the original
template. tests/infra runs cfn-lint on both templates.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

#: Beside ``<stack>.template.json`` in the cloud assembly.
TRANSLATED_SUFFIX = ".sam-translated.json"
#: The translation's region: the checks look at nothing region-specific.
TRANSLATION_REGION = "us-east-1"
#: cdk-nag's pack name prefixes rule ids in acknowledgments.
PACK = "AwsSolutions"
#: The rules an API method without authorization breaks (cdk-nag checks them on CfnMethod).
AUTHORIZATION_RULES = (f"{PACK}-APIG4", f"{PACK}-COG4")
_HTTP_METHODS = {
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
}


class Finding(NamedTuple):
    """An unacknowledged finding on the translated template."""

    rule: str
    logical_id: str
    description: str

    def __str__(self) -> str:
        return f"{self.rule} on {self.logical_id}: {self.description}"


def _no_managed_policies() -> dict[str, str]:
    # SAM asks for AWS managed policies only for a SAM function's Policies.
    raise RuntimeError(
        "the SAM transform asked for AWS managed policies: a SAM function of the stack "
        "has Policies; give its role a policy of its own instead"
    )


def translate(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template CloudFormation deploys: ``template`` with the SAM transform applied.

    As ``samtranslator.translator.transform.transform`` does it, with the region
    fixed to :data:`TRANSLATION_REGION` (SAM fills its pseudo parameters from a
    boto3 session, which a machine may not configure) and no AWS call. Each
    generated resource carries the ``Metadata`` of the SAM resource it comes
    from. Raises the translator's ``InvalidDocumentException`` for a template
    SAM refuses.
    """
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    fragment = copy.deepcopy(dict(template))
    parameters: dict[str, Any] = {}
    to_py27_compatible_template(fragment, parameters)
    translator = Translator(
        None, Parser(), boto_session=boto3.session.Session(region_name=TRANSLATION_REGION)
    )
    translated: dict[str, Any] = translator.translate(
        fragment,
        parameter_values=parameters,
        passthrough_metadata=True,
        get_managed_policy_map=_no_managed_policies,
    )
    translator.metrics.publish()  # to SAM's dummy publisher: nothing leaves the machine
    return dict(undo_mark_unicode_str_in_template(translated))


def acknowledgments(resource: Mapping[str, Any]) -> dict[str, str]:
    """The cdk-nag rules a template resource acknowledges, with their reasons.

    cdk-nag writes them to ``Metadata.cdk_nag.rules_to_suppress`` as
    ``{"id": "AwsSolutions::AwsSolutions-SQS3", "reason": ...}``; the keys here are
    the rule ids cdk-nag reports (``AwsSolutions-SQS3``).
    """
    rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    return {rule["id"].split("::", 1)[-1]: rule["reason"] for rule in rules}


def unauthorized_operations(template: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per ``AWS::ApiGateway::RestApi``, its OpenAPI body's methods without authorization.

    A method is authorized when its operation (or the document) names a
    ``security`` requirement; ``METHOD path`` strings, sorted.
    """
    found: dict[str, list[str]] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::ApiGateway::RestApi":
            continue
        body = resource.get("Properties", {}).get("Body", {})
        default_security = body.get("security")
        found[logical_id] = sorted(
            f"{method.upper()} {path}"
            for path, operations in body.get("paths", {}).items()
            for method, operation in operations.items()
            if method in _HTTP_METHODS and not operation.get("security", default_security)
        )
    return found


def findings(translated_path: Path) -> list[Finding]:
    """cdk-nag's AwsSolutions findings on the translated template that no resource acknowledges.

    Plus, per REST API, :data:`AUTHORIZATION_RULES` for methods of its body
    without authorization, unless the API acknowledges them.
    """
    import aws_cdk as cdk
    from aws_cdk import cloudformation_include
    from cdk_nag import AwsSolutionsChecks

    template = json.loads(translated_path.read_text(encoding="utf-8"))
    stack = cdk.Stack(cdk.App(), "Translated")
    included = cloudformation_include.CfnInclude(
        stack, "Template", template_file=str(translated_path)
    )
    for logical_id, resource in template["Resources"].items():
        construct = included.get_resource(logical_id)
        for rule, reason in acknowledgments(resource).items():
            # cdk-nag matches acknowledgments by the rule id it reports.
            cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
    report = AwsSolutionsChecks().validate_scope(stack)
    found = [
        Finding(
            violation.rule_name,
            str(resource.construct_path).rsplit("/", 1)[-1],
            violation.description,
        )
        for violation in report.violations
        for resource in violation.violating_resources
    ]
    for logical_id, operations in unauthorized_operations(template).items():
        acknowledged = acknowledgments(template["Resources"][logical_id])
        found += [
            Finding(rule, logical_id, f"methods without authorization: {', '.join(operations)}")
            for rule in AUTHORIZATION_RULES
            if operations and rule not in acknowledged
        ]
    return sorted(found)


def check_assembly(outdir: Path, stack_name: str) -> list[Finding]:
    """Translate ``<stack_name>.template.json`` in ``outdir``, write it beside, check it."""
    template = json.loads((outdir / f"{stack_name}.template.json").read_text(encoding="utf-8"))
    translated_path = outdir / f"{stack_name}{TRANSLATED_SUFFIX}"
    translated_path.write_text(json.dumps(translate(template), indent=1), encoding="utf-8")
    return findings(translated_path)
