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
