"""Prospects (DEV-1, DEV-2): someone asks to become a customer, a sales rep takes it up.

A Telegram user who is not linked to any customer may ask from the bot; the prospect goes to
the next sales rep in turn (round robin), who is nudged until they record how the prospect
came (the source channel) and what we propose; the prospect turns into an admission
application without retyping what is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.access import PROSPECT_WIDE_ROLES, may_work_prospect, owns
from domain.calendar import WorkingCalendar
from domain.enums import Role
from domain.errors import N_, AccessDenied, DomainError, NotFound
from domain.keys import due_subject
from services.audit import audit
from services.cards import Actor
from services.customer_file import (
    P_LATE,
    P_NEW,
    P_NUDGE,
    PROPOSAL_FIELDS,
    PROSPECT_KIND,
    SOURCES,
)
from services.customer_file import tell_staff as _tell
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.models import DueWork, Prospect

OPEN = ("new", "contacted", "proposed")


@dataclass(frozen=True)
class ProspectView:
    prospect_id: int
    number: str
    company: str
    contact: str
    needs: str
    source: str | None
    proposal: dict[str, str]
    owner: str | None
    status: str
    created_at: datetime


def _view(prospect: Prospect, owner: str | None) -> ProspectView:
    return ProspectView(prospect.id, prospect.number or "", prospect.company, prospect.contact,
                        prospect.needs, prospect.source, dict(prospect.proposal), owner,
                        prospect.status, prospect.created_at)


def _clean(text: str, *, least: int = 2, most: int = 1000) -> str:
    text = " ".join((text or "").split())
    if len(text) < least:
        raise DomainError(N_("Please write at least a few characters."))
    return text[:most]


async def check_can_request(uow: UnitOfWork, actor: Actor) -> None:
    """Refuse before the questions when the person is known or has asked already."""
    if actor.is_contact or actor.is_staff:
        raise DomainError(N_("You are already known to us; your sales contact can help."))
    async with uow:
        existing = await uow.customer_file.open_prospect_of(actor.telegram_id)
        if existing is not None:
            raise DomainError(N_("We have your request {number} already; our sales team will "
                                 "contact you."), number=existing.number or "")


async def request(uow: UnitOfWork, actor: Actor, *, company: str, contact: str, needs: str,
                  now: datetime, calendar: WorkingCalendar, default_locale: str) -> ProspectView:
    """An unknown user asks to become a customer; the next sales rep in turn gets it."""
    if actor.is_contact or actor.is_staff:
        raise DomainError(N_("You are already known to us; your sales contact can help."))
    company, contact, needs = _clean(company), _clean(contact), _clean(needs, most=2000)
    async with uow:
        existing = await uow.customer_file.open_prospect_of(actor.telegram_id)
        if existing is not None:
            raise DomainError(N_("We have your request {number} already; our sales team will "
                                 "contact you."), number=existing.number or "")
        reps = sorted(s.id for s in await uow.staff.with_roles([Role.SALES]) if s.active)
        owner_id = None
        if reps:
            last = await uow.customer_file.last_owner()
            later = [r for r in reps if last is not None and r > last]
            owner_id = later[0] if later else reps[0]
        prospect = uow.customer_file.add_prospect(
            telegram_id=actor.telegram_id, company=company, contact=contact, needs=needs,
            source="bot", proposal={}, owner_id=owner_id, status="new", created_at=now,
            updated_at=now)
        await uow.flush()
        prospect.number = f"PR-{prospect.id:06d}"
        audit(uow, now=now, action="prospect.requested", target_type="prospect",
              target_id=prospect.number, actor=actor, after={"owner": owner_id})
        owner_name = None
        if owner_id is not None:
            owner_name = (await uow.staff.get(owner_id)).name
            params = {"number": prospect.number, "company": company, "contact": contact,
                      "needs": needs}
            await _tell(uow, [owner_id], f"prospect:{prospect.id}:new", P_NEW, now,
                        default_locale, params,
                        buttons=[[{"msgid": N_("Open"), "data": f"pr:v:{prospect.id}"}]])
            for step, days in (("nudge", 1), ("late", 2)):
                await uow.due.schedule(
                    key=f"prospect:{prospect.id}:{step}", kind=PROSPECT_KIND,
                    due_at=calendar.add_working_days(now, days), subject_id=str(prospect.id),
                    payload={"step": step})
        view = _view(prospect, owner_name)
        await uow.commit()
        return view


async def _mine(uow: UnitOfWork, actor: Actor, prospect_id: int) -> Prospect:
    """The prospect if this actor may work it; one answer for missing and not theirs (R18)."""
    prospect = await uow.customer_file.prospect(prospect_id) if actor.is_staff else None
    if prospect is None or not may_work_prospect(
            actor.roles, owns_prospect=owns(actor.staff_id, prospect.owner_id)):
        raise NotFound(N_("That prospect was not found."))
    return prospect


async def view(uow: UnitOfWork, actor: Actor, prospect_id: int) -> ProspectView:
    async with uow:
        prospect = await _mine(uow, actor, prospect_id)
        owner = (await uow.staff.get(prospect.owner_id)).name if prospect.owner_id else None
        return _view(prospect, owner)


async def mine(uow: UnitOfWork, actor: Actor) -> list[ProspectView]:
    """A rep's open prospects; the sales head sees everyone's."""
    if not actor.roles & {Role.SALES, *PROSPECT_WIDE_ROLES}:
        raise AccessDenied(N_("Prospects are for sales staff."))
    async with uow:
        owner = None if actor.roles & PROSPECT_WIDE_ROLES else actor.staff_id
        rows = await uow.customer_file.prospects(owner_id=owner)
        names = {s.id: s.name for s in await uow.staff.with_roles([Role.SALES])}
        return [_view(p, names.get(p.owner_id or 0)) for p in rows]


async def record_source(uow: UnitOfWork, actor: Actor, prospect_id: int, source: str, *,
                        now: datetime) -> ProspectView:
    if source not in SOURCES:
        raise DomainError(N_("Please choose one of the buttons."))
    async with uow:
        prospect = await _mine(uow, actor, prospect_id)
        prospect.source, prospect.updated_at = source, now
        if prospect.status == "new":
            prospect.status = "contacted"
        audit(uow, now=now, action="prospect.source", target_type="prospect",
              target_id=prospect.number, actor=actor, after={"source": source})
        view_ = _view(prospect, actor.staff_name)
        await uow.commit()
        return view_


async def record_proposal(uow: UnitOfWork, actor: Actor, prospect_id: int,
                          proposal: dict[str, str], *, now: datetime) -> ProspectView:
    """The cooperation proposal (DEV-2): products, price, delivery mode, after-sales."""
    cleaned = {k: _clean(proposal.get(k, "")) for k in PROPOSAL_FIELDS}
    async with uow:
        prospect = await _mine(uow, actor, prospect_id)
        prospect.proposal, prospect.status, prospect.updated_at = cleaned, "proposed", now
        audit(uow, now=now, action="prospect.proposal", target_type="prospect",
              target_id=prospect.number, actor=actor, after=cleaned)
        view_ = _view(prospect, actor.staff_name)
        await uow.commit()
        return view_


async def prefill(uow: UnitOfWork, actor: Actor, prospect_id: int) -> dict[str, Any]:
    """What an admission application can take over from a prospect, without retyping."""
    async with uow:
        prospect = await _mine(uow, actor, prospect_id)
        if prospect.status not in OPEN:
            raise DomainError(N_("This prospect already became an application."))
        intent = prospect.needs
        if prospect.proposal:
            intent += " / " + "; ".join(prospect.proposal.values())
        return {"company": prospect.company, "contacts": prospect.contact,
                "intent": intent[:1000], "prospect": prospect.id}


async def on_prospect_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                          default_locale: str) -> None:
    """Nudge the rep while the prospect is untouched; then tell the sales head."""
    prospect = await uow.customer_file.prospect(int(item.subject_id))
    if prospect is None or prospect.status != "new" or prospect.owner_id is None:
        return
    owner = await uow.staff.get(prospect.owner_id)
    params = {"number": prospect.number, "company": prospect.company,
              "date": prospect.created_at.date().isoformat(), "name": owner.name}
    if item.payload.get("step") == "nudge":
        await _tell(uow, [owner.id], due_subject(item.key), P_NUDGE, now, default_locale, params,
                    buttons=[[{"msgid": N_("Open"), "data": f"pr:v:{prospect.id}"}]])
        return
    heads = [s.id for s in await uow.staff.with_roles([Role.SALES_HEAD]) if s.active]
    await _tell(uow, heads, due_subject(item.key), P_LATE, now, default_locale, params)
