"""Helpers of the reliability tests: concurrent clients, reading and tallying records."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from local_async.store import Store
from tests.support.engine_e2e import run_receive_cli


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.05)


@dataclass
class Answer:
    """What one request got: a status (0 when no answer came) and the body."""

    index: int
    status: int
    body: dict[str, Any]


def run_clients(
    clients: int,
    count: int,
    call: Callable[[requests.Session, int], Answer],
) -> list[Answer]:
    """Send requests ``0..count-1`` from ``clients`` threads, one session each, round robin."""
    answers: list[Answer] = []
    lock = threading.Lock()

    def client(first: int) -> None:
        with requests.Session() as session:
            for index in range(first, count, clients):
                answer = call(session, index)
                with lock:
                    answers.append(answer)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(answers, key=lambda answer: answer.index)


def get(session: requests.Session, url: str, index: int, headers: dict[str, str]) -> Answer:
    """GET ``url``; a connection failure is an answer with status 0."""
    try:
        response = session.get(url, headers=headers, timeout=30)
    except requests.RequestException:
        return Answer(index, 0, {})
    return Answer(index, response.status_code, response.json(parse_float=Decimal))


def drain_store(state_dir: Path, queue: str) -> list[dict[str, Any]]:
    """Every record on ``queue`` of the embedded store, deleted as read."""
    store = Store.open(state_dir)
    found: list[dict[str, Any]] = []
    try:
        while batch := store.receive(queue, limit=500, now=time.time(), visibility_timeout=0):
            store.delete(queue, [m.receipt_handle for m in batch])
            found.extend(json.loads(m.body, parse_float=Decimal) for m in batch)
    finally:
        store.close()
    return found


def receive_cli_is_empty(state_dir: Path, queue: str) -> bool:
    """Whether the project's receive CLI finds no record on ``queue`` (and so prints nothing)."""
    done = run_receive_cli(state_dir, "--queue-name", queue)
    return done.stdout == done.stderr == ""


@dataclass(frozen=True)
class Tally:
    """Accepted ids against delivered records."""

    accepted: int
    delivered: int
    missing: int
    duplicates: int
    unexpected: int


def tally(accepted: Iterable[str], records: Iterable[dict[str, Any]]) -> Tally:
    """Match records to accepted ids by ``requestPayload.api_request_id``."""
    wanted = set(accepted)
    seen = Counter(record["requestPayload"]["api_request_id"] for record in records)
    return Tally(
        accepted=len(wanted),
        delivered=len(wanted & set(seen)),
        missing=len(wanted - set(seen)),
        duplicates=sum(count - 1 for count in seen.values()),
        unexpected=len(set(seen) - wanted),
    )


def exact_square(text: str) -> int | Decimal:
    """The square of a number's text, exactly (the route's arithmetic, done independently)."""
    if "." in text:
        return Decimal(text) * Decimal(text)
    return int(text) * int(text)
