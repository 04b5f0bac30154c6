"""Waiting in the delivery loops: until woken, stopped, or a deadline, whichever comes first."""

from __future__ import annotations

import asyncio
from datetime import datetime


async def wait_any(*events: asyncio.Event, seconds: float) -> None:
    """Return when any event is set or after `seconds`."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=max(seconds, 0.0),
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def seconds_until(due: datetime | None, now: datetime, *, cap: float = 1.0) -> float:
    """How long to nap before work due at `due` (at most `cap`, to notice other work)."""
    if due is None:
        return cap
    return min(max((due - now).total_seconds(), 0.0), cap)
