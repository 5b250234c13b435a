"""Which leases to take back: a pure decision, from facts gathered at the edges.

An event being run belongs to the engine process that leased it. A lease is
taken back (the event becomes free for any engine) when its owner's process
is gone, or when it is this process's own and none of its workers holds it:
an attempt whose outcome, and then whose release, could not be written (the
database locked past its busy timeout, a full disk). A live process's leases
held by a running attempt are never taken back, however long the attempt runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass


@dataclass(frozen=True)
class EventLease:
    """An event's lease as the store holds it."""

    request_id: str
    owner: str
    #: The claim's token: it fences the attempt's outcome.
    token: str


def to_take_back(
    leases: Iterable[EventLease], *, me: str, live_owners: Set[str], running: Set[str]
) -> list[EventLease]:
    """The leases to give back, in the order given.

    ``me`` is this process's owner name, ``live_owners`` the other owners
    known to be alive, ``running`` the tokens of the claims this process's
    workers hold now (read *after* ``leases``, so a claim being made is in
    ``running`` before it is in the store).
    """
    return [
        lease
        for lease in leases
        if (lease.token not in running if lease.owner == me else lease.owner not in live_owners)
    ]
