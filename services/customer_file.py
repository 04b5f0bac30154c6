"""The customer file (INFO-3..INFO-7) and prospects (DEV-1, DEV-2).

Who sees which fields is decided here, not in menus (INFO-6). A major change starts the
deadline for bringing the file up to date and tells the departments concerned (INFO-5). No
customer data leaves the company without a recorded, valid written consent, and every
disclosure and every refusal is audited (INFO-7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.access import owns
from domain.calendar import WorkingCalendar
from domain.cases import Attachment, check_attachment
from domain.customer_file import (
    CONCERNED,
    GROUP_FIELDS,
    INFO_KIND_LABEL,
    ConsentScope,
    ConsentTerms,
    FieldGroup,
    InfoKind,
    covers,
    visible_groups,
)
from domain.enums import Role
from domain.errors import N_, AccessDenied, DomainError, NotFound
from domain.keys import due_subject
from services.audit import audit
from services.cards import Actor
from services.notify import label, moment
from services.notify import tell_staff as notify_staff
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.models import Customer, DueWork

INFO_KIND = "info.update"
PROSPECT_KIND = "prospect.nudge"
I_MAJOR = N_("Major change at {company} ({code}), {kind}: {text} (source: {source}). The file "
             "is to be updated by {due}.")
I_NUDGE = N_("Please update the file of {company} ({code}) after the major change of {date} "
             "(due {due}), then press File updated.")
I_LATE = N_("The file of {company} ({code}) was to be updated by {due} after a major change, "
            "and is not.")
P_NEW = N_("New prospect {number}: {company} ({contact}) asks to become a customer. Needs: "
           "{needs}. /prospects lists yours.")
P_NUDGE = N_("Prospect {number} ({company}) has waited since {date}: please contact them and "
             "record the source and your proposal.")
P_LATE = N_("Prospect {number} ({company}) of {name} has not been contacted since {date}.")
SOURCES = ("trade_show", "business_event", "online_platform", "partner_referral", "bot")
SOURCE_LABEL = {
    "trade_show": N_("Trade show"),
    "business_event": N_("Business event"),
    "online_platform": N_("Online platform"),
    "partner_referral": N_("Partner referral"),
    "bot": N_("This bot"),
}
PROPOSAL_FIELDS = ("products", "price", "delivery", "after_sales")
PROPOSAL_LABEL = {
    "products": N_("Products and services"),
    "price": N_("Price"),
    "delivery": N_("Delivery mode"),
    "after_sales": N_("After-sales terms"),
}
UPDATED_BUTTON = N_("File updated")


class ConsentMissing(DomainError):
    """No valid written consent covers this disclosure (INFO-7)."""


@dataclass(frozen=True)
class FileView:
    code: str
    name: str
    owner: str | None
    fields: dict[str, str]  # only what the reader may see
    groups: set[FieldGroup]
    infos: list[tuple[int, date, str, str, str, bool, bool]] = field(default_factory=list)
    consents: list[tuple[str, str, date, date | None, bool]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(getattr(value, "value", value))


async def _customer(uow: UnitOfWork, code: str) -> Customer:
    customer = await uow.customers.get_by_code(code.strip().upper())
    if customer is None:
        customer = await uow.customers.get_by_code(code.strip())
    if customer is None:
        raise NotFound(N_("No customer with code {code}."), code=code)
    return customer


def _owns(actor: Actor, customer: Customer) -> bool:
    return owns(actor.staff_id, customer.owner_id)


async def view_file(uow: UnitOfWork, actor: Actor, code: str, *, now: datetime) -> FileView:
    """A customer's file with only the fields the reader's roles allow (INFO-6)."""
    if not actor.is_staff:
        raise NotFound(N_("No customer with code {code}."), code=code)
    async with uow:
        customer = await _customer(uow, code)
        groups = visible_groups(actor.roles, owns=_owns(actor, customer))
        if Role.SALES in actor.roles and not (actor.roles - {Role.SALES}) \
                and not _owns(actor, customer):
            groups = {FieldGroup.BASIC}  # another rep's customer: the basics only
        fields = {name: _text(getattr(customer, name)) for group in groups
                  if group in GROUP_FIELDS for name in GROUP_FIELDS[group]}
        owner = (await uow.staff.get(customer.owner_id)).name if customer.owner_id else None
        infos = []
        if FieldGroup.DYNAMIC in groups:
            infos = [(i.id, i.happened_on, i.kind, i.text, i.source, i.major,
                      i.file_updated_at is not None)
                     for i in await uow.customer_file.infos(customer.id)]
        consents = []
        if groups >= {FieldGroup.DYNAMIC}:
            consents = [(c.scope, c.recipient, c.signed_on, c.expires_on,
                         c.revoked_at is not None)
                        for c in await uow.customer_file.consents(customer.id)]
        if FieldGroup.CREDIT in groups:
            audit(uow, now=now, action="customer.viewed", target_type="customer",
                  target_id=customer.code, actor=actor, after={"groups": sorted(groups)})
            await uow.commit()
        return FileView(customer.code, customer.name, owner, fields, groups, infos, consents)


def _may_record(actor: Actor, customer: Customer) -> bool:
    return _owns(actor, customer) or bool(actor.roles & {Role.SALES_HEAD, Role.ADMIN})


async def record_info(uow: UnitOfWork, actor: Actor, code: str, *, kind: InfoKind, text: str,
                      happened_on: date, source: str, major: bool, now: datetime,
                      calendar: WorkingCalendar, update_days: int,
                      default_locale: str) -> int:
    """Record dynamic information (INFO-3); a major change starts the update deadline."""
    text, source = (text or "").strip(), (source or "").strip()
    if len(text) < 2 or len(source) < 2:
        raise DomainError(N_("Please write at least a few characters."))
    async with uow:
        customer = await _customer(uow, code)
        if not _may_record(actor, customer):
            raise AccessDenied(N_("Only the customer's sales rep or the sales head records "
                                  "its information."))
        due = calendar.add_working_days(now, update_days) if major else None
        assert actor.staff_id is not None
        info = uow.customer_file.add_info(
            customer_id=customer.id, kind=kind.value, text=text[:2000],
            happened_on=happened_on, source=source[:300], major=major,
            recorded_by_id=actor.staff_id, recorded_at=now, update_due_at=due)
        await uow.flush()
        audit(uow, now=now, action="customer.info", target_type="customer",
              target_id=customer.code, actor=actor,
              after={"kind": kind.value, "major": major, "date": happened_on.isoformat()})
        if due is not None:
            params = {"company": customer.name, "code": customer.code,
                      "kind": label(_kind_label(kind)), "text": text, "source": source,
                      "due": moment(due), "date": happened_on.isoformat()}
            concerned = [s.id for s in await uow.staff.with_roles(list(CONCERNED[kind]))
                         if s.active and s.id != actor.staff_id]
            await tell_staff(uow, concerned, f"info:{info.id}:major", I_MAJOR, now, default_locale,
                        params)
            owner = customer.owner_id or actor.staff_id
            nudge_at = calendar.add_working_days(now, max(update_days - 1, 0))
            await uow.due.schedule(key=f"info:{info.id}:nudge", kind=INFO_KIND,
                                   due_at=min(nudge_at, due), subject_id=str(info.id),
                                   payload={"step": "nudge", "owner": owner})
            await uow.due.schedule(key=f"info:{info.id}:late", kind=INFO_KIND, due_at=due,
                                   subject_id=str(info.id),
                                   payload={"step": "late", "owner": owner})
        await uow.commit()
        return info.id


def _kind_label(kind: InfoKind) -> str:
    return INFO_KIND_LABEL[kind]


async def mark_file_updated(uow: UnitOfWork, actor: Actor, info_id: int, *,
                            now: datetime) -> str:
    """The owner brought the file up to date after a major change: reminders stop."""
    async with uow:
        info = await uow.customer_file.info(info_id)
        customer = await uow.customers.get(info.customer_id) if info else None
        if info is None or customer is None or not _may_record(actor, customer):
            raise NotFound(N_("That record was not found."))
        if not await uow.customer_file.mark_updated(info_id, now):
            raise DomainError(N_("Already marked as updated."))
        for step in ("nudge", "late"):
            await uow.due.cancel(f"info:{info_id}:{step}")
        audit(uow, now=now, action="customer.file_updated", target_type="customer",
              target_id=customer.code, actor=actor, after={"info": info_id,
                                                          "on_time": bool(
                                                              info.update_due_at
                                                              and now <= info.update_due_at)})
        await uow.commit()
        return customer.code


async def on_info_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                      default_locale: str) -> None:
    info = await uow.customer_file.info(int(item.subject_id))
    if info is None or info.file_updated_at is not None or info.update_due_at is None:
        return
    customer = await uow.customers.get(info.customer_id)
    params = {"company": customer.name, "code": customer.code,
              "date": info.happened_on.isoformat(), "due": moment(info.update_due_at)}
    owner = int(item.payload.get("owner") or info.recorded_by_id)
    if item.payload.get("step") == "nudge":
        await tell_staff(uow, [owner], due_subject(item.key), I_NUDGE, now, default_locale,
                         params, buttons=[[{"msgid": UPDATED_BUTTON, "data": f"cu:{info.id}"}]])
        return
    heads = [s.id for s in await uow.staff.with_roles([Role.SALES_HEAD]) if s.active]
    await tell_staff(uow, [owner, *heads], due_subject(item.key), I_LATE, now, default_locale,
                     params, buttons=[[{"msgid": UPDATED_BUTTON, "data": f"cu:{info.id}"}]])


async def tell_staff(uow: UnitOfWork, staff_ids: list[int], subject: str, msgid: str,
                     now: datetime, default_locale: str, params: dict[str, Any],
                     buttons: list[list[dict[str, str]]] | None = None) -> None:
    await notify_staff(uow, staff_ids, subject, msgid, now, default_locale=default_locale,
                       params=params, buttons=buttons)


# -- consent and disclosure (INFO-7) --------------------------------------------------------

async def record_consent(uow: UnitOfWork, actor: Actor, code: str, *, scope: ConsentScope,
                         recipient: str, document: Attachment, signed_on: date,
                         expires_on: date | None, now: datetime) -> None:
    """Record a signed consent with its document; legal, the admin or the owner."""
    recipient = " ".join((recipient or "").split())
    if len(recipient) < 2:
        raise DomainError(N_("Please name who may receive the data."))
    if expires_on is not None and expires_on < signed_on:
        raise DomainError(N_("The consent cannot expire before it was signed."))
    check_attachment(document, 0)
    async with uow:
        customer = await _customer(uow, code)
        if not (_owns(actor, customer) or actor.roles & {Role.LEGAL, Role.ADMIN}):
            raise AccessDenied(N_("Consents are recorded by legal, the admin or the "
                                  "customer's sales rep."))
        uow.customer_file.add_consent(
            customer_id=customer.id, scope=scope.value, recipient=recipient[:200],
            document_file_id=document.file_id, document_name=document.file_name[:300],
            signed_on=signed_on, expires_on=expires_on, recorded_by_id=actor.staff_id,
            recorded_at=now)
        audit(uow, now=now, action="consent.recorded", target_type="customer",
              target_id=customer.code, actor=actor,
              after={"scope": scope.value, "recipient": recipient,
                     "signed_on": signed_on.isoformat(),
                     "expires_on": expires_on.isoformat() if expires_on else None})
        await uow.commit()


SCOPE_GROUPS = {
    ConsentScope.BASIC: (FieldGroup.BASIC,),
    ConsentScope.BUSINESS: (FieldGroup.BUSINESS,),
    ConsentScope.CREDIT: (FieldGroup.CREDIT,),
    ConsentScope.ALL: (FieldGroup.BASIC, FieldGroup.BUSINESS, FieldGroup.CREDIT),
}


async def disclose(uow: UnitOfWork, actor: Actor | None, code: str, *, recipient: str,
                   scope: ConsentScope, now: datetime, today: date) -> dict[str, str]:
    """The data a third party may receive; refused and audited without a valid consent.

    `actor` None is the operator at the CLI. Inside the company, only legal, the executive
    and the admin may send data out at all.
    """
    if actor is not None and not actor.roles & {Role.LEGAL, Role.EXECUTIVE, Role.ADMIN}:
        # Before the customer is looked up, so the answer is the same whether the code
        # exists or not (R18); the refusal is audited where refusals are handled.
        raise AccessDenied(N_("Only legal, the executive or the admin may send customer "
                              "data outside the company."))
    async with uow:
        customer = await _customer(uow, code)
        terms = [ConsentTerms(ConsentScope(c.scope), c.recipient, c.signed_on, c.expires_on,
                              c.revoked_at is not None)
                 for c in await uow.customer_file.consents(customer.id)]
        allowed = any(covers(t, scope=scope, recipient=recipient, on=today) for t in terms)
        audit(uow, now=now, action="disclosure.allowed" if allowed else "disclosure.refused",
              target_type="customer", target_id=customer.code, actor=actor,
              actor_label=None if actor is not None else "cli",
              after={"recipient": recipient, "scope": scope.value})
        await uow.commit()
        if not allowed:
            raise ConsentMissing(N_("Refused: {company} has not consented in writing to give "
                                    "{scope} to {recipient}."), company=customer.name,
                                 scope=scope.value, recipient=recipient)
        return {name: _text(getattr(customer, name)) for group in SCOPE_GROUPS[scope]
                for name in GROUP_FIELDS[group]}
