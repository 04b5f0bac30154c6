"""Staff and their roles (admin work from the operator CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.enums import Role
from services.audit import audit
from services.cards import StaffCard
from services.ports import UnitOfWork


async def add_staff(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    name: str,
    roles: Sequence[Role],
    now: datetime,
    actor_label: str = "cli",
) -> StaffCard:
    """Add a staff member or update the name and roles of an existing one; audited."""
    async with uow:
        staff = await uow.staff.get_by_telegram_id(telegram_id)
        created = staff is None
        before = None
        if staff is None:
            staff = await uow.staff.add(telegram_id=telegram_id, name=name, now=now)
        else:
            before = {"name": staff.name, "roles": sorted(r.role.value for r in staff.roles),
                      "active": staff.active}
            staff.name = name
            staff.active = True
        uow.staff.set_roles(staff, roles)
        await uow.flush()
        after = {"name": name, "roles": sorted(r.value for r in roles), "active": True}
        audit(uow, now=now, action="staff.added" if created else "staff.changed",
              target_type="staff", target_id=telegram_id, actor_label=actor_label,
              before=before, after=after)
        await uow.commit()
        return StaffCard(staff.id, telegram_id, name, tuple(roles), created)
