"""Engines on a temporary store and ways to read their records, for the engine tests."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from chalicelib.async_api import AsyncFunction, AsyncInvokeConfig, contract
from local_async.attempt import Handler
from local_async.destinations import SqsEndpoint
from local_async.engine import Engine, EngineFunction
from local_async.function_config import LocalFunction
from local_async.store import LOCAL, Store
from tests.support.chalice_local import PROJECT_DIR
from tests.support.declared import DEST, DLQ, NAME, SQUARE

__all__ = ["DEST", "DLQ", "NAME", "SQUARE"]

FUNCTION = LocalFunction(
    name="serverless-async-lambda-api-dev-get_square_fn",
    region="us-east-1",
    account_id="123456789012",
    timeout_seconds=5.0,
    memory_size_mb=128,
)
#: Small enough that retries take a fraction of a second.
BASE_DELAY = 0.05


def event(api_request_id: str, number: str = "2", user_agent: str = "pytest") -> contract.Event:
    """An event of the example's route, as the route builds it."""
    return contract.build_event(
        path_parameters={"number": number},
        invocation_type="Event",
        stage="dev",
        request_id=api_request_id,
        resource_path=SQUARE.route,
        http_method="GET",
        source_ip="127.0.0.1",
        user_agent=user_agent,
    )


def declaration(
    handler: Handler, config: AsyncInvokeConfig = SQUARE.config, name: str = NAME
) -> AsyncFunction:
    """The example's declaration with another Lambda handler, policy or name."""
    return SQUARE._replace(name=name, lambda_handler=handler, config=config)


class Harness:
    """Builds engines on one store directory and stops them all at the end."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._engines: list[Engine] = []
        self._stores: list[Store] = []

    def engine(
        self,
        handler: Handler,
        *,
        config: AsyncInvokeConfig = SQUARE.config,
        function: LocalFunction = FUNCTION,
        **options: Any,
    ) -> Engine:
        """An engine of one function, the example's declaration run by ``handler``."""
        return self.engine_of([EngineFunction(declaration(handler, config), function)], **options)

    def engine_of(
        self,
        functions: list[EngineFunction],
        *,
        concurrency: int = 2,
        connect_sqs: Callable[[], SqsEndpoint] | None = None,
        clock: Callable[[], float] = time.time,
        store: Store | None = None,
        retry_base_delay_seconds: float = BASE_DELAY,
    ) -> Engine:
        """An engine of ``functions`` on this harness's store (or on ``store``)."""
        built = Engine(
            functions,
            store=self.store() if store is None else store,
            retry_base_delay_seconds=retry_base_delay_seconds,
            concurrency=concurrency,
            connect_sqs=connect_sqs,
            clock=clock,
            idle_poll_seconds=0.05,
        )
        self._engines.append(built)
        return built

    def store(self, kind: type[Store] = Store) -> Store:
        """Another connection to the store, as another process would have (of class ``kind``)."""
        opened = kind.open(self.state_dir)
        self._stores.append(opened)
        return opened

    def records(
        self,
        queue: str,
        count: int,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> list[dict[str, Any]]:
        """Wait for ``count`` records on ``queue`` (deleting them); fail on timeout.

        Decimals are parsed exactly, to check the digits the engine wrote.
        """
        reader = self.store()
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            messages = reader.receive(queue, limit=10, now=clock(), visibility_timeout=0)
            reader.delete(queue, [m.receipt_handle for m in messages])
            found.extend(json.loads(m.body, parse_float=Decimal) for m in messages)
            if len(found) >= count or time.monotonic() >= deadline:
                break
            if not messages:
                time.sleep(0.02)
        assert len(found) == count, f"{len(found)} of {count} records on {queue} in {timeout}s"
        return found

    def close(self) -> None:
        for engine in self._engines:
            engine.stop()
        for store in self._stores:
            store.close()


def put_record(store: Store, queue: str, body: str, *, now: float, delivery: str = LOCAL) -> None:
    """Store ``body`` as a record on ``queue``, as an engine stores an outcome."""
    request_id = uuid.uuid4().hex
    store.add_event("fn", request_id, "{}", now)
    claim = store.claim_event("writer", request_id, now, ["fn"])
    assert claim is not None and claim.request_id == request_id
    assert store.complete(claim, queue=queue, body=body, delivery=delivery, now=now)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout}s"
        time.sleep(0.01)


def start_engine_to_kill(state_dir: Path, started: Path) -> tuple[subprocess.Popen[bytes], str]:
    """An engine in another process, inside its function's attempt: the process and request id."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.engine_to_kill", str(state_dir), str(started)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not started.exists() or not started.read_text(encoding="utf-8"):
        assert process.poll() is None, f"the engine to kill exited with {process.returncode}"
        assert time.monotonic() < deadline, "the engine to kill never started its function"
        time.sleep(0.02)
    return process, started.read_text(encoding="utf-8")
