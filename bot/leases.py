"""Lease keeping (R3, R11): a process renews the leases of the rows it is still working on.

A claimed row (an update, an outbox message, a deadline) carries a lease and its owner's name.
Work can wait in memory longer than a lease: messages queued behind a 429 pause or a slow
group, a long batch of updates. Without renewal the lease runs out, another process claims the
row and handles it again. So each process names the rows it holds here, and a keeper extends
their leases every third of a lease; every change to a claimed row checks the owner, so a
process that lost a row (it stalled past its lease) changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.waiting import wait_any
from services.time import utc_now
from storage.reliability import THIS_PROCESS, renew_leases
from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

TABLES = ("inbox", "outbox", "due_work")


class LeaseKeeper:
    """What this process holds, per table, and the loop that keeps those leases alive."""

    def __init__(
        self,
        uow_factory: Callable[[], SqlUnitOfWork],
        *,
        lease: timedelta = timedelta(seconds=60),
        owner: str = THIS_PROCESS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory = uow_factory
        self.lease = lease
        self.owner = owner
        self.clock = clock
        self.held: dict[str, set[int]] = {table: set() for table in TABLES}

    def hold(self, table: str, ids: Iterable[int]) -> None:
        self.held[table].update(ids)

    def drop(self, table: str, ids: Iterable[int]) -> None:
        self.held[table].difference_update(ids)

    async def renew(self) -> int:
        """Extend the lease of every row held now; return how many rows were renewed."""
        held = {table: sorted(ids) for table, ids in self.held.items() if ids}
        if not held:
            return 0
        async with self.uow_factory() as uow:
            renewed = await renew_leases(uow.session, self.owner, self.clock() + self.lease,
                                         held)
            await uow.commit()
        return renewed

    async def run(self, stop: asyncio.Event) -> None:
        """Renew every third of a lease until `stop`."""
        every = max(self.lease.total_seconds() / 3, 0.2)
        while not stop.is_set():
            await wait_any(stop, seconds=every)
            try:
                await self.renew()
            except (SQLAlchemyError, OSError) as exc:
                # The database is down: leases may run out, and the owner checks make sure a
                # row another process took meanwhile is not settled from here.
                log.warning("could not renew leases: %s", exc)
