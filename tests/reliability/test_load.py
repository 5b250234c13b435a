"""Mixed sync and async load against a real ``chalice local``, every async event accounted for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from local_async.store import Store
from tests.reliability.common import (
    Answer,
    drain_store,
    exact_square,
    get,
    receive_cli_is_empty,
    run_clients,
    tally,
    wait_until,
)
from tests.reliability.conftest import Sizes
from tests.support.chalice_local import ChaliceLocal
from tests.support.declared import DEST, DLQ
from tests.support.engine_e2e import engine_env

pytestmark = pytest.mark.e2e


def number_for(index: int) -> str:
    """Valid inputs of every kind: positive, negative, zero, decimals, a long integer."""
    kind = index % 5
    if kind == 0:
        return str(index)
    if kind == 1:
        return str(-index)
    if kind == 2:
        return f"{index}.{index % 97:02d}"
    if kind == 3:
        return f"-0.{index:04d}"
    return "9" * 40 + str(index)


def headers_for(index: int) -> dict[str, str]:
    """Odd indices are asynchronous; even ones alternate between no header and an explicit one."""
    if index % 2:
        return {"InvocationType": "Event"}
    return {"InvocationType": "RequestResponse"} if index % 4 else {}


def test_mixed_load_answers_2xx_and_delivers_every_async_event_once(
    tmp_path: Path, sizes: Sizes, report: Callable[[str], None]
) -> None:
    state = tmp_path / "state"
    with ChaliceLocal(
        engine_env(state, ASYNC_CONCURRENCY="4"), log_path=tmp_path / "server.log"
    ) as server:

        def call(session: requests.Session, index: int) -> Answer:
            url = f"{server.url}/square/{number_for(index)}"
            return get(session, url, index, headers_for(index))

        answers = run_clients(sizes.clients, sizes.requests, call)
        store = Store.open(state)
        try:
            wait_until(lambda: store.pending_events() == 0, 30 + sizes.requests / 20, "drain")
        finally:
            store.close()
        records = drain_store(state, DEST)
        failures = drain_store(state, DLQ)
    statuses = Counter(answer.status for answer in answers)
    non_2xx = sum(count for status, count in statuses.items() if not 200 <= status < 300)
    sync = [a for a in answers if a.index % 2 == 0]
    accepted = {a.body["api_request_id"]: a.index for a in answers if a.status == 202}
    wrong_sync = [
        a.index
        for a in sync
        if a.body.get("square_of_your_number_is") != exact_square(number_for(a.index))
    ]
    wrong_async = [
        r["requestPayload"]["api_request_id"]
        for r in records
        if r["requestPayload"]["api_request_id"] in accepted
        and r["responsePayload"]["square_of_your_number_is"]
        != exact_square(number_for(accepted[r["requestPayload"]["api_request_id"]]))
    ]
    counts = tally(accepted, records)
    report(
        f"load: {len(answers)} requests ({len(sync)} sync, {len(answers) - len(sync)} async) "
        f"from {sizes.clients} clients: non-2xx {non_2xx}; wrong sync squares {len(wrong_sync)}; "
        f"async accepted {counts.accepted}, delivered {counts.delivered}, "
        f"missing {counts.missing}, duplicates {counts.duplicates}, "
        f"wrong async squares {len(wrong_async)}, DLQ {len(failures)}"
    )
    assert len(answers) == sizes.requests
    assert non_2xx == 0, statuses
    assert statuses[200] == len(sync) and statuses[202] == len(answers) - len(sync)
    assert wrong_sync == [] and wrong_async == []
    assert (counts.missing, counts.duplicates, counts.unexpected) == (0, 0, 0)
    assert counts.delivered == counts.accepted == len(answers) - len(sync)
    assert failures == []
    assert receive_cli_is_empty(state, DEST) and receive_cli_is_empty(state, DLQ)
