"""Which leases are taken back, and when a stored wait is over: pure rules, and the store's SQL.

Properties over any leases and any clock steps, with Hypothesis.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from local_async.clock import ROUNDING_SECONDS, wait_is_over
from local_async.leases import EventLease, to_take_back
from local_async.store import Store

ME = "me"
OWNERS = st.sampled_from([ME, "alive-1", "alive-2", "gone-1", "gone-2"])
LEASES = st.lists(
    st.builds(EventLease, request_id=st.uuids().map(str), owner=OWNERS, token=st.uuids().map(str)),
    max_size=20,
)
LIVE = frozenset({"alive-1", "alive-2"})
EPOCH = st.floats(min_value=1e9, max_value=4e9)
LENGTH = st.floats(min_value=0, max_value=86400)


@given(leases=LEASES, data=st.data())
def test_only_leases_of_gone_owners_and_my_idle_ones_are_taken_back(
    leases: list[EventLease], data: st.DataObject
) -> None:
    mine = [lease.token for lease in leases if lease.owner == ME]
    running = frozenset(data.draw(st.lists(st.sampled_from(mine), unique=True)) if mine else [])
    taken = to_take_back(leases, me=ME, live_owners=LIVE, running=running)
    expected = [
        lease
        for lease in leases
        if lease.owner.startswith("gone") or (lease.owner == ME and lease.token not in running)
    ]
    assert taken == expected
    assert not any(lease.owner in LIVE for lease in taken), "a live owner's lease was taken"
    assert not any(lease.token in running for lease in taken), "a running attempt's lease"


@given(start=EPOCH, length=LENGTH, elapsed=st.floats(min_value=0, max_value=86400))
def test_without_clock_steps_a_wait_is_over_when_its_length_has_passed(
    start: float, length: float, elapsed: float
) -> None:
    over = wait_is_over(start + length, length, start + elapsed)
    if elapsed >= length + ROUNDING_SECONDS:
        assert over
    if elapsed <= length - ROUNDING_SECONDS:
        assert not over


@given(
    start=EPOCH,
    length=LENGTH,
    step_back=st.floats(min_value=0, max_value=10 * 86400),
    elapsed=st.floats(min_value=0, max_value=86400),
)
def test_a_backward_step_never_makes_a_wait_longer_than_its_length(
    start: float, length: float, step_back: float, elapsed: float
) -> None:
    until = start + length
    now = start - step_back + elapsed
    if not wait_is_over(until, length, now):
        # What is left to wait is never more than the whole wait.
        assert until - now <= length + ROUNDING_SECONDS


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store.open(Path(tmp_path_factory.mktemp("waits")))
    yield opened
    opened.close()


_names = (f"event-{n}" for n in itertools.count())


@settings(max_examples=60, deadline=None)
@given(start=EPOCH, delay=LENGTH, offset=st.floats(min_value=-3 * 86400, max_value=86400))
def test_the_store_applies_the_same_rule_to_retries_and_visibility(
    store: Store, start: float, delay: float, offset: float
) -> None:
    now = start + offset
    expected = wait_is_over(start + delay, delay, now)
    name = next(_names)
    store.add_event(name, name, "{}", start)
    claim = store.claim_event("me", name, start, [name])
    assert claim is not None
    store.reschedule(claim, failed_attempts=1, now=start, due_at=start + delay, last_error="{}")
    retry = store.claim_event("me", name + "-again", now, [name])
    assert (retry is not None) == expected
    store.add_event(name + "-record", name + "-record", "{}", start)
    claim = store.claim_event("me", name + "-record", start, [name + "-record"])
    assert claim is not None
    store.complete(claim, queue=name, body="{}", delivery="local", now=start)
    store.receive(name, limit=1, now=start, visibility_timeout=delay)
    seen = store.receive(name, limit=1, now=now, visibility_timeout=0)
    assert bool(seen) == expected
