"""Events as the route and API Gateway's request template build them, for tests."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.async_api import contract


def api_event(
    path_parameters: Mapping[str, str],
    *,
    resource_path: str,
    invocation_type: str = "RequestResponse",
    request_id: str = "req-1",
    stage: str = "dev",
    source_ip: str = "127.0.0.1",
    user_agent: str | None = "pytest",
) -> contract.Event:
    """The event of one ``GET`` request on ``resource_path``."""
    return contract.build_event(
        path_parameters=path_parameters,
        invocation_type=invocation_type,
        stage=stage,
        request_id=request_id,
        resource_path=resource_path,
        http_method="GET",
        source_ip=source_ip,
        user_agent=user_agent,
    )
