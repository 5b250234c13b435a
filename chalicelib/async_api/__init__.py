"""The generic mechanism: declare a function once, call it synchronously or asynchronously.

Packaged into the Lambda zip (standard library and Chalice only). The public names::

    api = AsyncApi(app, local_invoker=..., local_sync_invoker=...)

    @api.function("/reports/{account}/{month}", config=AsyncInvokeConfig(maximum_retry_attempts=1))
    def build_report_fn(request: AsyncRequest) -> Result:
        ...  # raise InvalidInput(...) for a 400; return the result's keys

``docs/add-your-own-endpoint.md`` walks through it.
"""

from chalicelib.async_api.api import AsyncApi
from chalicelib.async_api.declaration import (
    AsyncFunction,
    AsyncInvokeConfig,
    DeclarationError,
    Parameter,
    Result,
)
from chalicelib.async_api.processor import AsyncRequest, InvalidInput

__all__ = [
    "AsyncApi",
    "AsyncFunction",
    "AsyncInvokeConfig",
    "AsyncRequest",
    "DeclarationError",
    "InvalidInput",
    "Parameter",
    "Result",
]
