"""Periodic sweeps over database deadlines (R10, R11), run through PTB's JobQueue.

Features schedule due work (`uow.due.schedule(key=..., kind=..., due_at=...)`) in the
transaction that creates the deadline, and register a handler for its kind here. The sweep
claims what is due with a lease (and FOR UPDATE SKIP LOCKED on PostgreSQL), runs each item's
handler and marks it done in the same transaction, one item at a time: an item is handled once
even with several processes, what fell due while the bot was down is handled on the first sweep
and marked late, and one failing item never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import ops
from bot.leases import LeaseKeeper
from bot.ops import Ops
from services import casework
from services.case_sla import SLA_KIND, Desk
from storage.models import DueWork
from storage.reliability import THIS_PROCESS
from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

DueHandler = Callable[[SqlUnitOfWork, DueWork, datetime, bool], Awaitable[None]]
Periodic = Callable[[datetime], Awaitable[int]]


@dataclass
class Sweeps:
    """The registry of sweeps: handlers for kinds of due work, and other periodic jobs."""

    interval: timedelta = timedelta(seconds=30)
    lease: timedelta = timedelta(minutes=5)
    retry_after: timedelta = timedelta(minutes=2)
    handlers: dict[str, DueHandler] = field(default_factory=dict)
    periodic: dict[str, tuple[timedelta, Periodic]] = field(default_factory=dict)
    owner: str = THIS_PROCESS  # whose leases claimed items carry (R11)
    keeper: LeaseKeeper | None = None  # renews them while an item is worked on

    def on_due(self, kind: str, handler: DueHandler) -> None:
        """Register the handler of one kind of due work (stable dotted kind names)."""
        if kind in self.handlers:
            raise ValueError(f"due-work kind {kind!r} registered twice")
        self.handlers[kind] = handler

    def every(self, name: str, interval: timedelta, job: Periodic) -> None:
        """Register another periodic job under a stable dotted name."""
        if name in self.periodic or name == "due_work.sweep":
            raise ValueError(f"sweep {name!r} registered twice")
        self.periodic[name] = (interval, job)

    async def sweep_due(
        self,
        uow_factory: Callable[[], SqlUnitOfWork],
        now: datetime,
        alerts: Ops | None = None,
        *,
        batch: int = 100,
    ) -> int:
        """Handle every registered kind of work due at `now`; return how many were done."""
        if not self.handlers:
            return 0
        done = 0
        late_after = self.interval * 2
        while True:
            async with uow_factory() as uow:
                items = await uow.due.claim(list(self.handlers), now, lease=self.lease,
                                            limit=batch, owner=self.owner)
                await uow.commit()
            if self.keeper is not None:
                self.keeper.hold("due_work", (item.id for item in items))
            for item in items:
                if await self._one(uow_factory, item, now, now - item.due_at > late_after,
                                   alerts):
                    done += 1
            if len(items) < batch:
                if done:
                    log.info("due work: %d item(s) handled", done)
                return done

    async def _one(self, uow_factory: Callable[[], SqlUnitOfWork], item: DueWork,
                   now: datetime, late: bool, alerts: Ops | None) -> bool:
        handler = self.handlers[item.kind]
        try:
            async with uow_factory() as uow:
                await handler(uow, item, now, late)
                if not await uow.due.complete(item.id, now, late=late, owner=self.owner):
                    await uow.rollback()  # someone else finished it: keep their result
                    return False
                await uow.commit()
                return True
        except Exception as exc:
            log.exception("due work %s (%s) failed; will retry", item.key, item.kind)
            async with uow_factory() as uow:
                await uow.due.failed(item.id, repr(exc), retry_at=now + self.retry_after,
                                     owner=self.owner)
                await uow.commit()
            if alerts is not None and item.attempts + 1 >= 3:
                await alerts.tell(f"sweep:{item.key}", ops.SWEEP_FAILED, now, ref=item.key,
                                  error=repr(exc))
            return False
        finally:
            if self.keeper is not None:
                self.keeper.drop("due_work", [item.id])

    def install(self, job_queue: Any, uow_factory: Callable[[], SqlUnitOfWork],
                clock: Callable[[], datetime], alerts: Ops | None) -> None:
        """Schedule every sweep on PTB's JobQueue, first run at start-up (missed work)."""
        # APScheduler's default misfire_grace_time of 1 s would skip a late run silently.
        job_kwargs = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        # `first=0` is not "now": APScheduler's interval trigger sees its start a moment in the
        # past and fires one whole interval later, so a bot restarted more often than every
        # 30 minutes never walked the ladder. A start a moment ahead runs at once.
        first = timedelta(seconds=0.5)

        async def due_job(_: Any) -> None:
            await self.sweep_due(uow_factory, clock(), alerts)

        job_queue.run_repeating(due_job, interval=self.interval, first=first,
                                name="due_work.sweep", job_kwargs=job_kwargs)
        for name, (interval, job) in self.periodic.items():

            async def periodic_job(_: Any, job: Periodic = job, name: str = name) -> None:
                try:
                    await job(clock())
                except Exception:
                    log.exception("sweep %s failed", name)

            job_queue.run_repeating(periodic_job, interval=interval, first=first, name=name,
                                    job_kwargs=job_kwargs)


def register_case_deadlines(sweeps: Sweeps, desk: Desk) -> None:
    """The case deadlines (CMP-2..CMP-4): SLA warnings and the ladder, department replies,
    corrective actions, progress updates on agreed deadlines and follow-up visits."""
    for kind, handler in ((SLA_KIND, casework.on_sla_due),
                          (casework.FORWARD_KIND, casework.on_forward_due),
                          (casework.ACTION_KIND, casework.on_action_due),
                          (casework.PROGRESS_KIND, casework.on_progress_due),
                          (casework.DECISION_KIND, casework.on_decision_due),
                          (casework.TASK_KIND, casework.on_task_due)):

        async def run(uow: Any, item: DueWork, now: datetime, late: bool,
                      handler: Any = handler) -> None:
            await handler(uow, item, now, late, desk=desk)

        sweeps.on_due(kind, run)
