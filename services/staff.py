"""Staff and their roles (admin work from the operator CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.enums import Locale, Role
from domain.errors import NotFound
from services.audit import audit
from services.cards import StaffCard
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.models import Staff


def _state(staff: Staff) -> dict[str, Any]:
    return {"name": staff.name, "roles": sorted(r.role.value for r in staff.roles),
            "locale": staff.locale, "active": staff.active}


def _card(staff: Staff, *, created: bool = False) -> StaffCard:
    return StaffCard(staff.id, staff.telegram_id, staff.name,
                     tuple(sorted((r.role for r in staff.roles), key=list(Role).index)),
                     created, staff.locale, staff.active)


async def add_staff(
    uow: UnitOfWork,
    *,
    telegram_id: int,
    name: str,
    roles: Sequence[Role],
    now: datetime,
    locale: str | None = None,
    actor_label: str = "cli",
) -> StaffCard:
    """Add a staff member, or update (and reactivate) an existing one; audited.

    `locale` None keeps the language already set (none for someone new).
    """
    if locale is not None:
        Locale(locale)  # raises ValueError on a language we do not speak
    async with uow:
        staff = await uow.staff.get_by_telegram_id(telegram_id)
        created = staff is None
        before = None
        if staff is None:
            staff = await uow.staff.add(telegram_id=telegram_id, name=name, now=now,
                                        locale=locale)
        else:
            before = _state(staff)
            staff.name = name
            staff.active = True  # a removed member added again is back
            if locale is not None:
                staff.locale = locale
        uow.staff.set_roles(staff, roles)
        await uow.flush()
        after = {"name": name, "roles": sorted(r.value for r in roles), "locale": staff.locale,
                 "active": True}
        audit(uow, now=now, action="staff.added" if created else "staff.changed",
              target_type="staff", target_id=telegram_id, actor_label=actor_label,
              before=before, after=after)
        await uow.commit()
        return StaffCard(staff.id, telegram_id, name, tuple(roles), created, staff.locale, True)


async def list_staff(uow: UnitOfWork) -> list[StaffCard]:
    """Everyone on staff, removed members too (marked inactive), by Telegram id."""
    async with uow:
        return [_card(s) for s in await uow.staff.list_all()]


async def remove_staff(uow: UnitOfWork, *, telegram_id: int, now: datetime,
                       actor_label: str = "cli") -> StaffCard:
    """Take away a departing member's access; the row stays for history and the audit log.

    From their next update on they are not staff anywhere (the actor is resolved per
    update); a dialog they were in is ended, so no half-done staff work goes on.
    """
    async with uow:
        staff = await uow.staff.get_by_telegram_id(telegram_id)
        if staff is None:
            raise NotFound()
        if not staff.active:
            return _card(staff)  # removed already: nothing changes, nothing to record
        before = _state(staff)
        staff.active = False
        await uow.dialogs.delete(telegram_id)
        audit(uow, now=now, action="staff.removed", target_type="staff",
              target_id=telegram_id, actor_label=actor_label, before=before,
              after={**before, "active": False})
        await uow.commit()
        return _card(staff)
