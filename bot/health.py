"""`python -m bot health`: backlog, dead letters, doubtful sends, last good poll."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.inbox import LAST_POLL
from storage.uow import SqlUnitOfWork


@dataclass(frozen=True)
class Health:
    inbox: dict[str, int]
    oldest_waiting: datetime | None
    outbox: dict[str, int]
    last_poll: datetime | None
    now: datetime
    stale_after: timedelta

    @property
    def problems(self) -> list[str]:
        found = []
        if self.inbox.get("dead"):
            found.append(f"{self.inbox['dead']} dead-lettered update(s)")
        if self.outbox.get("uncertain"):
            found.append(f"{self.outbox['uncertain']} send(s) of uncertain delivery")
        if self.outbox.get("failed"):
            found.append(f"{self.outbox['failed']} failed send(s)")
        if self.oldest_waiting and self.now - self.oldest_waiting > self.stale_after:
            found.append("updates have waited longer than "
                         f"{int(self.stale_after.total_seconds())} s")
        if self.last_poll is None:
            found.append("no successful poll recorded")
        elif self.now - self.last_poll > self.stale_after:
            found.append(f"last successful poll {self.last_poll:%Y-%m-%d %H:%M:%S} UTC")
        return found

    def lines(self) -> list[str]:
        def fmt(counts: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"

        last = f"{self.last_poll:%Y-%m-%d %H:%M:%S} UTC" if self.last_poll else "never"
        return [
            f"inbox: {fmt(self.inbox)}",
            f"outbox: {fmt(self.outbox)}",
            f"last successful poll: {last}",
            "status: " + ("OK" if not self.problems else "PROBLEM: " + "; ".join(self.problems)),
        ]


async def check(uow: SqlUnitOfWork, now: datetime, stale_after: timedelta) -> Health:
    """Read the delivery tables and judge them."""
    async with uow:
        inbox = await uow.inbox.counts()
        oldest = await uow.inbox.oldest_waiting()
        outbox = await uow.outbox.counts()
        state = await uow.state.get(LAST_POLL)
    last = datetime.fromisoformat(state["at"]) if state else None
    return Health(inbox, oldest, outbox, last, now, stale_after)
