"""Write audit entries (R15) in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.cards import Actor
from services.ports import UnitOfWork


def audit(
    uow: UnitOfWork,
    *,
    now: datetime,
    action: str,
    target_type: str,
    target_id: object,
    actor: Actor | None = None,
    actor_label: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry; it commits with the change it describes."""
    uow.audit.add(
        at=now,
        actor_telegram_id=actor.telegram_id if actor else None,
        actor=actor.label if actor else (actor_label or "system"),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        update_id=actor.update_id if actor else None,
    )


async def record_refusal(uow: UnitOfWork, actor: Actor, *, target_type: str, target_id: str,
                         reason: str, now: datetime) -> None:
    """Keep one refused button press, command or dialog answer (R7, R15, R18).

    Its own transaction: the work that was refused was rolled back, its record is not.
    """
    async with uow:
        audit(uow, now=now, action=f"{target_type}.refused", target_type=target_type,
              target_id=target_id[:200], actor=actor, after={"reason": reason})
        await uow.commit()
