"""Button presses we did not issue in that shape (forged, stale, old versions) are audited (R7)."""

from __future__ import annotations

from datetime import datetime

from services.audit import audit
from services.cards import Actor
from services.ports import UnitOfWork


async def reject_press(uow: UnitOfWork, actor: Actor, data: str | None, *,
                       now: datetime) -> None:
    """Record a refused button press; nothing else changes."""
    async with uow:
        audit(uow, now=now, action="button.rejected", target_type="callback",
              target_id=(data or "")[:64], actor=actor)
        await uow.commit()
