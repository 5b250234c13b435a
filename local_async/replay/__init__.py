"""Replay failed events: run again what landed on an on-failure queue.

``python -m local_async.replay`` (:mod:`local_async.replay.cli`).

After an asynchronous invocation fails all its attempts (``RetriesExhausted``)
or ages out (``EventAgeExceeded``), its invocation record lands on the
function's on-failure queue. Once the cause is fixed, this command reads those
records and submits each one's ``requestPayload`` again, unchanged, as a new
asynchronous invocation of the function its ``functionArn`` names: the
caller's ``api_request_id`` is in the payload, so the new record on the
on-success queue matches the original 202. SQS's own redrive
(``StartMessageMoveTask``) does not support queues whose source is Lambda
(its API reference: "Non-SQS queue sources of dead-letter queues, such as
Lambda or Amazon SNS topics, are currently not supported").

A record is deleted only once its new invocation was accepted, so nothing is
ever lost (at-least-once): a record whose invocation was refused stays, and
running the command again retries it.

- :mod:`~local_async.replay.failed_records`: pure code; what a record says,
  which records a run picks, the table it prints.
- :mod:`~local_async.replay.run`: one queue's replay, with the queue and the
  hand-over passed in.
- :mod:`~local_async.replay.adapters`: the I/O; the embedded store, an SQS
  queue, the local engine's store and Lambda as the places events go to,
  CloudFormation's outputs.
- :mod:`~local_async.replay.cli`: the command line, wiring the three places
  records live (the embedded store, an SQS endpoint, a deployed stack).
"""
