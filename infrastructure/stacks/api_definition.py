"""The OpenAPI (swagger 2.0) operation of a declared function's route, for API Gateway.

A non-proxy (``aws``) Lambda integration, as AWS documents for letting clients pick
the invocation type: the method request declares the ``InvocationType`` header,
the integration maps it to ``X-Amz-Invocation-Type``, and mapping templates (the
``.vtl`` files beside this package) build the event and the answers. The same
templates serve every declared route: the request template is preceded by one
line naming the route's path parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chalicelib.async_api import contract
from chalicelib.async_api.declaration import AsyncFunction

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
REQUEST_TEMPLATE = TEMPLATES_DIR / "request.vtl"
RESPONSE_TEMPLATE = TEMPLATES_DIR / "response.vtl"
INVOCATION_TYPE_TEMPLATE = TEMPLATES_DIR / "invocation_type.vtl"

JSON = "application/json"
#: Lambda function errors: API Gateway matches this against the payload's errorMessage.
FUNCTION_ERROR_PATTERN = ".+"
#: Statuses the response template can answer with (``$context.responseOverride.status``).
METHOD_STATUSES = ("200", "202", "400", "502")
#: API Gateway's default integration timeout for REST APIs, in milliseconds; Regional
#: and private REST APIs can ask AWS for a longer one.
INTEGRATION_TIMEOUT_MS = 29_000


def template_text(path: Path) -> str:
    """A mapping template as it is on disk."""
    return path.read_text(encoding="utf-8")


def request_template(function: AsyncFunction) -> str:
    """The request template of ``function``'s route: its path parameters, then request.vtl."""
    names = ", ".join(json.dumps(name) for name in function.path_parameters)
    return (
        f"#set($pathParameters = [{names}])\n"
        + template_text(INVOCATION_TYPE_TEMPLATE)
        + template_text(REQUEST_TEMPLATE)
    )


def response_template() -> str:
    """The response template of every route: what the request asked for, then response.vtl."""
    return template_text(INVOCATION_TYPE_TEMPLATE) + template_text(RESPONSE_TEMPLATE)


def operation(function: AsyncFunction, function_arn_uri: Any) -> dict[str, Any]:
    """The ``get`` operation of ``function``'s route.

    ``function_arn_uri`` is the integration URI (an ``Fn::Sub`` naming the
    function's ARN): ``arn:<partition>:apigateway:<region>:lambda:path/2015-03-31/
    functions/<function arn>/invocations``.
    """
    response_templates = {JSON: response_template()}
    return {
        "summary": function.summary or f"{function.name}, now (200) or in the background (202)",
        "produces": [JSON],
        "parameters": [
            *(
                {"name": name, "in": "path", "required": True, "type": "string"}
                for name in function.path_parameters
            ),
            {
                "name": contract.INVOCATION_TYPE_HEADER,
                "in": "header",
                "required": False,
                "type": "string",
            },
        ],
        "responses": {
            status: {"description": f"{status} response", "schema": {"$ref": "#/definitions/Empty"}}
            for status in METHOD_STATUSES
        },
        "x-amazon-apigateway-integration": {
            "type": "aws",
            "httpMethod": "POST",
            "uri": function_arn_uri,
            "requestParameters": {
                "integration.request.header.X-Amz-Invocation-Type": (
                    f"method.request.header.{contract.INVOCATION_TYPE_HEADER}"
                ),
            },
            "requestTemplates": {JSON: request_template(function)},
            # Requests whose Content-Type has no template get 415 and never reach
            # Lambda untransformed (no Content-Type, as on a plain GET, means JSON).
            "passthroughBehavior": "never",
            "contentHandling": "CONVERT_TO_TEXT",
            "timeoutInMillis": INTEGRATION_TIMEOUT_MS,
            "responses": {
                "default": {"statusCode": "200", "responseTemplates": response_templates},
                FUNCTION_ERROR_PATTERN: {
                    "statusCode": "502",
                    "responseTemplates": response_templates,
                },
            },
        },
    }


def gateway_responses(routes: Sequence[str]) -> dict[str, Any]:
    """JSON bodies, carrying the request id, for the errors API Gateway answers itself.

    An undeclared method or path (``MISSING_AUTHENTICATION_TOKEN``, 403 by
    default) is answered 404, a Content-Type without a template 415, and a body
    over the 10 MB payload quota 413 (``REQUEST_TOO_LARGE``), each with the body
    ``chalice local`` gives (:data:`contract.NO_ROUTE`,
    :data:`contract.UNSUPPORTED_MEDIA_TYPE`, :data:`contract.PAYLOAD_TOO_LARGE`);
    every other 4xx and 5xx (429 when throttled, 504 when the function outlasts
    the integration timeout...) names API Gateway's response type and message.
    AWS documents overriding a gateway response's status, with this very 403 to
    404 as its example:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-gateway-responses-in-swagger.html
    These templates allow simple ``$context`` substitution only.
    """
    accepted = contract.accepted_requests(routes)

    def answer(error: contract.GatewayError) -> dict[str, Any]:
        body = contract.gateway_error_body(error, accepted, "$context.requestId")
        return {"statusCode": str(error.status), "responseTemplates": {JSON: json.dumps(body)}}

    def body(accepted: str) -> str:
        return (
            '{"error": "$context.error.responseType", '
            '"message": $context.error.messageString, '
            f'"accepted": "{accepted}", '
            '"api_request_id": "$context.requestId"}'
        )

    return {
        "MISSING_AUTHENTICATION_TOKEN": answer(contract.NO_ROUTE),
        "UNSUPPORTED_MEDIA_TYPE": answer(contract.UNSUPPORTED_MEDIA_TYPE),
        "REQUEST_TOO_LARGE": answer(contract.PAYLOAD_TOO_LARGE),
        "DEFAULT_4XX": {"responseTemplates": {JSON: body(accepted)}},
        "DEFAULT_5XX": {"responseTemplates": {JSON: body(contract.RETRY_ACCEPTED)}},
    }
