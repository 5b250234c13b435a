"""The local engine: Lambda's asynchronous invocation of the declared functions, in-process.

``submit`` persists the event, with the name of the function it is for, and
returns; worker threads (``concurrency`` of them, shared by every function)
lease due events from the store, run each with its own function's handler and
a Lambda-like context within that function's timeout, and either store the
invocation record on that function's queue (success, retries exhausted, event
too old) or schedule the next retry by that function's policy. With an SQS
endpoint configured, a sender thread drains the outbox.

Liveness comes from the kernel, not from clocks: the engine holds its owner
lock (``local_async.liveness``) for its whole life, and a lease is taken back
only from an owner whose lock is free, or from this engine itself when none of
its workers holds it (an outcome and then a release that could not be
written). A leases thread does both every ``idle_poll_seconds``. So a running
attempt is never run twice by a live process, however long it holds the GIL
and however the wall clock jumps, and no lease stays stranded while its
process lives. Time is measured as ``local_async.clock`` says.

At-least-once, as on AWS. The function can run more than once for one
attempt when its process dies (or stops, e.g. on a ``chalice local`` reload)
while it runs: the attempt is run again by the next engine, and only one
record is kept. A record can reach an SQS endpoint twice when the process dies
between the endpoint's acknowledgement and the store's update.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from chalicelib.async_api import json_codec, logs
from chalicelib.async_api.declaration import AsyncFunction
from local_async import records, retries
from local_async.attempt import Abandoned, Failed, Succeeded, run_attempt
from local_async.context import LambdaContext, log_stream_name
from local_async.destinations import OutboxSender, SqsEndpoint
from local_async.function_config import LocalFunction
from local_async.leases import to_take_back
from local_async.liveness import Liveness, OwnerLocks, new_owner
from local_async.store import LOCAL, SQS, Claim, Store

#: How often idle workers look for work that other processes made due, and
#: how often the engine looks for leases to take back.
IDLE_POLL_SECONDS = 1.0
#: How long ``stop`` waits for each thread.
STOP_TIMEOUT_SECONDS = 2.0


class EngineFunction(NamedTuple):
    """A declared function as the engine runs it: its declaration and its Lambda identity."""

    declaration: AsyncFunction
    #: The name, ARN, timeout and memory ``chalice deploy`` would give it.
    local: LocalFunction


class UnknownFunction(KeyError):
    """An event was submitted for a function this engine does not run."""


class Engine:
    """Runs the declared functions asynchronously, with Lambda's retries and destinations."""

    def __init__(
        self,
        functions: Sequence[EngineFunction],
        *,
        store: Store,
        retry_base_delay_seconds: float,
        concurrency: int,
        connect_sqs: Callable[[], SqsEndpoint] | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        liveness: Liveness | None = None,
        idle_poll_seconds: float = IDLE_POLL_SECONDS,
    ) -> None:
        """Build an engine; nothing runs until :meth:`start`.

        ``connect_sqs`` builds the client of the SQS endpoint that records go
        to; without it they stay in ``store`` (the embedded destination).
        ``clock`` is the wall clock (records, event age, due times),
        ``monotonic`` measures durations; ``liveness`` defaults to owner locks
        in the store's directory.
        """
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if not functions:
            raise ValueError("an engine runs at least one function")
        self._functions = {function.declaration.name: function for function in functions}
        self._names = tuple(self._functions)
        self._store = store
        self._base_delay = retry_base_delay_seconds
        self._concurrency = concurrency
        self._clock = clock
        self._monotonic = monotonic
        self._idle_poll = idle_poll_seconds
        self._owner = new_owner(os.getpid(), uuid.uuid4().hex)
        self._liveness = OwnerLocks(store.path.parent) if liveness is None else liveness
        # Tokens of the claims the workers hold; what the leases thread never takes back.
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        self._log_stream = log_stream_name(clock())
        self._sender = (
            None
            if connect_sqs is None
            else OutboxSender(
                store,
                owner=self._owner,
                connect=connect_sqs,
                monotonic=monotonic,
                idle_poll_seconds=idle_poll_seconds,
            )
        )
        self._stopping = threading.Event()
        # Workers sleep on this (see _wake_workers).
        self._wakeup = threading.Condition()
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self._state_lock = threading.Lock()

    def submit(self, function_name: str, event: Mapping[str, Any]) -> None:
        """Accept ``event`` for ``function_name``: committed to the store when this returns.

        Raises :class:`UnknownFunction` for a function this engine does not run.
        """
        if function_name not in self._functions:
            raise UnknownFunction(f"no declared function is named {function_name!r}")
        request_id = str(uuid.uuid4())
        self._store.add_event(
            function_name, request_id, json_codec.dumps(dict(event)), self._clock()
        )
        self._wake_workers(everyone=False)
        logs.log("async.accepted", _api_request_id(event), lambda_request_id=request_id)

    def start(self) -> None:
        """Start the workers; pending events, including earlier processes', resume."""
        with self._state_lock:
            if self._threads or self._stopping.is_set():
                return
            self._liveness.hold(self._owner)
            try:
                self._resume()
            except BaseException:  # not started: nothing may look alive for it
                self._liveness.release(self._owner)
                raise
            self._spawn("async-leases", self._keep_leases)
            for number in range(self._concurrency):
                self._spawn(f"async-worker-{number}", self._work)
            if self._sender is not None:
                self._spawn("async-sender", self._sender.run, self._stopping)
            atexit.register(self.stop)

    def _resume(self) -> None:
        """Take back the leases of engines that are gone, and say what this one runs."""
        self._take_back_leases()  # a killed predecessor's work resumes at once
        if self._sender is None:
            kept = self._store.keep_locally()
            if kept:
                logs.log(
                    "async.outbox.kept_locally",
                    "",
                    records=kept,
                    reason="AWS_ENDPOINT_URL_SQS is no longer set",
                )
        pending = self._store.pending_by_function()
        logs.log(
            "async.engine.started",
            "",
            store=str(self._store.path),
            functions={
                name: {
                    "arn": function.local.latest_arn,
                    "timeout_seconds": function.local.timeout_seconds,
                    "maximum_retry_attempts": function.declaration.config.maximum_retry_attempts,
                    "queues": list(function.declaration.queues),
                }
                for name, function in self._functions.items()
            },
            concurrency=self._concurrency,
            retry_base_delay_seconds=self._base_delay,
            destination="sqs endpoint" if self._sender else "embedded store",
            pending_events=pending,
        )
        undeclared = sorted(set(pending) - set(self._functions))
        if undeclared:
            logs.log(
                "async.engine.undeclared_functions",
                "",
                logging.WARNING,
                functions=undeclared,
                pending_events=sum(pending[name] for name in undeclared),
                kept="in the store until an engine that declares them starts",
            )

    def stop(self) -> None:
        """Stop the threads and give back this process's leases, for others to resume.

        An attempt still running is abandoned: its event runs again in the
        next engine, and whatever the abandoned call returns is ignored.
        """
        with self._state_lock:
            if not self._threads or self._stopping.is_set():
                return
            self._stopping.set()
        with self._wakeup:
            self._wakeup.notify_all()
        if self._sender is not None:
            self._sender.wake()
        for thread in self._threads:
            thread.join(STOP_TIMEOUT_SECONDS)
        try:
            self._store.retire_owner(self._owner)
        finally:  # leases not given back are taken back by others once the lock is free
            self._liveness.release(self._owner)
        atexit.unregister(self.stop)
        logs.log("async.engine.stopped", "", pending_events=self._store.pending_events())

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        # Daemon threads: a reload or Ctrl-C must never wait for a function.
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _keep_leases(self) -> None:
        while not self._stopping.wait(self._idle_poll):
            try:
                self._take_back_leases()
            except Exception as problem:  # the store or a lock file: try again next time
                logs.log("async.leases.failed", "", logging.WARNING, error=repr(problem))

    def _take_back_leases(self) -> None:
        """Free the leases of owners that are gone and this engine's own that no worker holds."""
        leases = self._store.event_leases()
        senders = self._store.outbox_owners()
        with self._running_lock:  # after reading the store: see leases.to_take_back
            running = frozenset(self._running)
        others = ({lease.owner for lease in leases} | senders) - {self._owner}
        live = {owner for owner in others if self._liveness.is_alive(owner)}
        events = to_take_back(leases, me=self._owner, live_owners=live, running=running)
        gone = sorted(others - live)
        if not events and not set(gone) & senders:
            return
        freed = self._store.take_back(events, gone)
        if freed:
            logs.log(
                "async.leases.taken_back",
                "",
                leases=freed,
                own=sum(1 for lease in events if lease.owner == self._owner),
                owners_gone=gone,
            )
            self._wake_workers(everyone=True)

    def _wake_workers(self, *, everyone: bool) -> None:
        # ``_generation`` changes on every wake-up, so one sent between a
        # worker's look at the store and its sleep is not lost.
        with self._wakeup:
            self._generation += 1
            if everyone:
                self._wakeup.notify_all()
            else:
                self._wakeup.notify()

    def _work(self) -> None:
        while not self._stopping.is_set():
            with self._wakeup:
                seen = self._generation
            # Known as running before the lease exists, so it is never taken back.
            token = uuid.uuid4().hex
            with self._running_lock:
                self._running.add(token)
            claim: Claim | None = None
            try:
                claim = self._store.claim_event(self._owner, token, self._clock(), self._names)
                if claim is None:
                    self._idle(seen)
                else:
                    self._process(claim)
            except Exception as problem:  # a store failure: keep serving, retry soon
                logs.log("async.worker.error", "", logging.ERROR, error=repr(problem))
                if claim is not None:
                    self._release_quietly(claim)
                self._stopping.wait(self._idle_poll)
            finally:
                # A lease still held now (its release failed) is taken back
                # by the leases thread.
                with self._running_lock:
                    self._running.discard(token)

    def _idle(self, seen: int) -> None:
        now = self._clock()
        due = self._store.next_due_at(now, self._names)
        timeout = self._idle_poll if due is None else min(self._idle_poll, due - now)
        if timeout <= 0:
            return
        with self._wakeup:
            self._wakeup.wait_for(
                lambda: self._generation != seen or self._stopping.is_set(), timeout
            )

    def _process(self, claim: Claim) -> None:
        function = self._functions[claim.function]
        config = function.declaration.config
        event = json.loads(claim.payload)
        api_request_id = _api_request_id(event)
        now = self._clock()
        if retries.is_expired(claim.accepted_at, now, config):
            last_error = json.loads(claim.last_error) if claim.last_error else None
            self._fail(
                function, claim, records.EVENT_AGE_EXCEEDED, claim.failed_attempts, last_error, now
            )
            return
        attempt = claim.failed_attempts + 1
        logs.log(
            "async.attempt.started",
            api_request_id,
            function=claim.function,
            lambda_request_id=claim.request_id,
            attempt=attempt,
        )
        timeout = function.local.timeout_seconds
        deadline = self._monotonic() + timeout
        context = LambdaContext(
            function=function.local,
            request_id=claim.request_id,
            deadline=deadline,
            log_stream=self._log_stream,
            monotonic=self._monotonic,
        )
        outcome = run_attempt(
            function.declaration.lambda_handler,
            event,
            context,
            request_id=claim.request_id,
            timeout_seconds=timeout,
            deadline=deadline,
            stopping=self._stopping,
            monotonic=self._monotonic,
        )
        now = self._clock()
        if isinstance(outcome, Abandoned):
            return  # stop() gives the lease back
        if isinstance(outcome, Succeeded):
            record = records.success_record(
                timestamp=now,
                request_id=claim.request_id,
                function_arn=function.local.latest_arn,
                invoke_count=attempt,
                event=json.loads(claim.payload),
                result=outcome.payload,
            )
            self._store_record(claim, function.declaration.on_success_queue, record, now)
            return
        assert isinstance(outcome, Failed)
        decision = retries.after_failure(
            failed_attempts=attempt,
            accepted_at=claim.accepted_at,
            now=now,
            config=config,
            base_delay_seconds=self._base_delay,
        )
        logs.log(
            "async.attempt.failed",
            api_request_id,
            logging.WARNING,
            function=claim.function,
            lambda_request_id=claim.request_id,
            attempt=attempt,
            error_type=outcome.error.get("errorType"),
            retry_in_seconds=(
                round(max(0.0, decision.due_at - now), 3)
                if isinstance(decision, retries.Retry)
                else None
            ),
        )
        if isinstance(decision, retries.Exhausted):
            self._fail(function, claim, records.RETRIES_EXHAUSTED, attempt, outcome.error, now)
            return
        if not self._store.reschedule(
            claim,
            failed_attempts=attempt,
            now=now,
            due_at=decision.due_at,
            last_error=json_codec.dumps(outcome.error),
        ):
            logs.log("async.attempt.superseded", api_request_id, lambda_request_id=claim.request_id)

    def _fail(
        self,
        function: EngineFunction,
        claim: Claim,
        condition: str,
        invoke_count: int,
        error: records.LambdaError | None,
        now: float,
    ) -> None:
        record = records.failure_record(
            timestamp=now,
            request_id=claim.request_id,
            function_arn=function.local.latest_arn,
            condition=condition,
            invoke_count=invoke_count,
            event=json.loads(claim.payload),
            error=error,
        )
        self._store_record(claim, function.declaration.on_failure_queue, record, now)

    def _store_record(self, claim: Claim, queue: str, record: records.Record, now: float) -> None:
        delivery = LOCAL if self._sender is None else SQS
        stored = self._store.complete(
            claim, queue=queue, body=json_codec.dumps(record), delivery=delivery, now=now
        )
        logs.log(
            "async.record.stored" if stored else "async.record.superseded",
            _api_request_id(record["requestPayload"]),
            lambda_request_id=claim.request_id,
            queue=queue,
            condition=record["requestContext"]["condition"],
            # "sqs": stored in the outbox, on its way to the endpoint; "local": there to stay.
            delivery=delivery,
        )
        if stored and self._sender is not None:
            self._sender.wake()

    def _release_quietly(self, claim: Claim) -> None:
        try:
            self._store.release(claim)
        except Exception as problem:  # the leases thread takes it back later
            logs.log("async.release.failed", "", logging.ERROR, error=repr(problem))


def _api_request_id(event: Any) -> str:
    """The API request id an event carries: what callers match records on."""
    if isinstance(event, Mapping):
        return str(event.get("api_request_id", ""))
    return ""
