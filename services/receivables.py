"""Receivables (ORD-5, AR-1, AR-2, RISK-1..RISK-3): imports, the dunning ladder, views, credit.

The ladder is walked by a sweep over an indexed `next_rung_at`, so its work follows the
invoices that are due, not the size of the table. Each invoice moves one rung per conditional
update (a sweep run three times a day, or in two processes, does each rung once); after a
long outage an invoice gets only the rung it has reached, marked late, not every one it
missed. Alerts go out on working days within business hours of the company's time zone.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.access import owns
from domain.calendar import WorkingCalendar
from domain.enums import OrderStatus, Role
from domain.errors import N_, AccessDenied, AlreadyDecided, DomainError, NotFound
from domain.keys import Recipient, message_key
from domain.orders import transition
from domain.receivables import (
    INVOICE_REQUIRED,
    LADDER,
    PAYMENT_REQUIRED,
    Bucket,
    LadderPolicy,
    Step,
    bucket,
    current_rung,
    lower,
    next_rung_day,
    parse_invoice_row,
    parse_payment_row,
    raise_one,
)
from services.audit import audit
from services.cards import Actor, ImportReport
from services.imports import ImportFailed, LineError, _parse
from services.notify import (
    day,
    label,
    money,
    notify,
    phrase,
    recipient_locale,
    role_ids,
    tell_staff,
)
from services.ports import UnitOfWork
from services.tabular import read_table

if TYPE_CHECKING:
    from storage.models import Customer, Invoice

LETTER_RENDERER = Callable[[str, dict[str, Any]], bytes]

C_FRIENDLY = N_("A friendly reminder: invoice {invoice} of {amount} is due on {due}. If it is "
                "already paid, thank you and please ignore this message.")
C_OVERDUE = N_("Invoice {invoice} of {amount} was due on {due} and is still open "
               "({open} outstanding). Please arrange the payment.")
C_LETTER = N_("Dunning letter for invoice {invoice}: {open} outstanding since {due}.")
C_SUSPENDED = N_("Supply to {company} is suspended because of overdue invoices. New orders "
                 "wait until they are settled. Please contact us.")
C_LIFTED = N_("Thank you for your payment. Supply to {company} is resumed.")
S_OVERDUE = N_("{company}: invoice {invoice} ({amount}) is overdue since {due}; {open} open.")
S_CALL = N_("Please call {company} about invoice {invoice}: {open} overdue since {due}.")
S_SUSPEND = N_("Proposal: suspend supply to {company}; invoice {invoice} has {open} overdue "
               "since {due}. Approve or reject.")
S_SUSPEND_EXEC = N_("Finance ({name}) approved suspending supply to {company} (invoice "
                    "{invoice}, {open} overdue). Your decision:")
S_LEGAL = N_("Proposal of legal action against {company}: invoice {invoice}, {open} overdue "
             "since {due}.")
S_ORDER = N_("Order {order} of {company} ({total}) needs finance approval: {reason}.")
S_ORDER_EXEC = N_("Finance ({name}) approved order {order} of {company} ({total}) despite: "
                  "{reason}. Your decision:")
S_DECIDED = N_("{kind} for {company}: {verdict} by {name}.")
REASON_LIMIT = N_("it takes open receivables to {open}, over the credit limit of {limit}")
REASON_SUSPENDED = N_("supply to the customer is suspended")
APPROVE, REJECT = N_("Approve"), N_("Reject")
KIND_LABEL = {"suspend": N_("Supply suspension"), "order": N_("Order over the limit")}


@dataclass(frozen=True)
class Ledger:
    """What receivables need from the running bot's configuration."""

    calendar: WorkingCalendar
    policy: LadderPolicy
    default_locale: str
    company: dict[str, str] = field(default_factory=dict)  # our name, address, phone


def _open(invoice: Invoice) -> Decimal:
    return invoice.amount - invoice.paid


def _moment(ledger: Ledger, on: date) -> datetime:
    """When a rung falling on `on` is looked at: the start of business that day."""
    local = datetime.combine(on, time(ledger.policy.business_start), tzinfo=ledger.calendar.tz)
    return local.astimezone(UTC)


def in_business_hours(ledger: Ledger, now: datetime) -> bool:
    local = now.astimezone(ledger.calendar.tz)
    return (ledger.calendar.is_working_day(local.date())
            and ledger.policy.business_start <= local.hour < ledger.policy.business_end)


# -- imports --------------------------------------------------------------------------------

async def import_invoices(uow: UnitOfWork, path: Path, *, now: datetime,
                          ledger: Ledger) -> ImportReport:
    """Create invoices; a re-imported identical invoice is unchanged; any bad row, nothing."""
    records, errors = _parse(read_table(path), INVOICE_REQUIRED, parse_invoice_row,
                             "invoice_no")
    async with uow:
        customers = await uow.customers.by_codes([r.customer_code for _, r in records])
        orders = await uow.orders.by_numbers([r.order_no for _, r in records if r.order_no])
        existing = await uow.receivables.by_numbers([r.invoice_no for _, r in records])
        for line, rec in records:
            customer = customers.get(rec.customer_code)
            if customer is None:
                errors.append(LineError(line, f"customer_code: no customer "
                                              f"{rec.customer_code!r}"))
                continue
            order = orders.get(rec.order_no) if rec.order_no else None
            if rec.order_no and (order is None or order.customer_id != customer.id):
                errors.append(LineError(line, f"order_no: no order {rec.order_no!r} of "
                                              f"{rec.customer_code}"))
            old = existing.get(rec.invoice_no)
            if old is not None and (old.amount, old.currency, old.due_on, old.customer_id) != (
                    rec.amount, rec.currency, rec.due_on, customer.id):
                errors.append(LineError(line, f"invoice_no: {rec.invoice_no!r} was imported "
                                              "before with other values"))
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
        created = unchanged = 0
        for _, rec in records:
            if rec.invoice_no in existing:
                unchanged += 1
                continue
            first = next_rung_day(rec.due_on, None, ledger.policy.days)
            order = orders.get(rec.order_no) if rec.order_no else None
            uow.receivables.add_invoice(
                invoice_no=rec.invoice_no, customer_id=customers[rec.customer_code].id,
                order_id=order.id if order else None, amount=rec.amount, paid=Decimal("0"),
                currency=rec.currency, issued_on=rec.issued_on, due_on=rec.due_on,
                status="open", rung=None,
                next_rung_at=_moment(ledger, first) if first else None, created_at=now)
            created += 1
        audit(uow, now=now, action="import.invoices", target_type="file", target_id=path.name,
              actor_label="cli", after={"created": created, "unchanged": unchanged})
        await uow.commit()
    return ImportReport(created, 0, unchanged)


async def import_payments(uow: UnitOfWork, path: Path, *, now: datetime,
                          ledger: Ledger) -> ImportReport:
    """Apply payments (partial ones add up); a re-imported payment adds nothing; a payment
    that settles an invoice stops its ladder, and a settled account lifts a suspension."""
    table = read_table(path)
    missing = [c for c in PAYMENT_REQUIRED if c not in table.header]
    if missing:
        raise ImportFailed([LineError(1, "missing column(s): " + ", ".join(missing))])
    records, errors = [], []
    for line, row in table.rows:
        try:
            records.append((line, parse_payment_row(row)))
        except ValueError as exc:
            errors.append(LineError(line, str(exc)))
    async with uow:
        invoices = await uow.receivables.by_numbers([r.invoice_no for _, r in records])
        owed: dict[str, Decimal] = {n: i.amount - i.paid for n, i in invoices.items()}
        for line, rec in records:
            invoice = invoices.get(rec.invoice_no)
            if invoice is None:
                errors.append(LineError(line, f"invoice_no: no invoice {rec.invoice_no!r}"))
                continue
            owed[rec.invoice_no] -= rec.amount
            if owed[rec.invoice_no] < 0 and invoice.status == "open":
                errors.append(LineError(line, f"amount: more than the {invoice.amount} "
                                              f"{invoice.currency} of the invoice"))
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
        created = unchanged = 0
        touched: set[int] = set()
        for _, rec in records:
            invoice = invoices[rec.invoice_no]
            if not await uow.receivables.add_payment(invoice_id=invoice.id, amount=rec.amount,
                                                     paid_on=rec.paid_on,
                                                     reference=rec.reference, now=now):
                unchanged += 1
                continue
            created += 1
            invoice.paid += rec.amount
            if invoice.paid >= invoice.amount and invoice.status == "open":
                invoice.status, invoice.settled_at, invoice.next_rung_at = "paid", now, None
                audit(uow, now=now, action="invoice.settled", target_type="invoice",
                      target_id=invoice.invoice_no, actor_label="cli",
                      after={"rung": invoice.rung})
            touched.add(invoice.customer_id)
        await uow.flush()
        for customer_id in touched:
            await _maybe_lift(uow, customer_id, now, ledger)
        audit(uow, now=now, action="import.payments", target_type="file", target_id=path.name,
              actor_label="cli", after={"created": created, "unchanged": unchanged})
        await uow.commit()
    return ImportReport(created, 0, unchanged)


async def _maybe_lift(uow: UnitOfWork, customer_id: int, now: datetime,
                      ledger: Ledger) -> None:
    """A suspension ends when nothing is overdue any more; the customer is told."""
    customer = await uow.customers.get(customer_id)
    if customer.suspended_at is None:
        return
    today = now.astimezone(ledger.calendar.tz).date()
    if any(i.due_on < today for i in await uow.receivables.open_for([customer_id])):
        return
    # One notice per suspension (the day alone would merge two suspensions lifted that day).
    episode = int(customer.suspended_at.timestamp())
    customer.suspended_at = None
    audit(uow, now=now, action="customer.supply_resumed", target_type="customer",
          target_id=customer.code, actor_label="system")
    await _tell_contacts(uow, customer, f"lifted:{customer.id}:{episode}", C_LIFTED, now,
                         ledger, {"company": customer.name})


# -- the ladder -----------------------------------------------------------------------------

async def _contacts(uow: UnitOfWork, customer_id: int) -> list[Any]:
    return [c for c in await uow.contacts.of_customer(customer_id) if not c.unreachable]


async def _tell_contacts(uow: UnitOfWork, customer: Customer, subject: str, msgid: str,
                         now: datetime, ledger: Ledger, params: dict[str, Any]) -> None:
    for contact in await _contacts(uow, customer.id):
        await notify(uow, key=message_key(subject, Recipient.CONTACT, contact.id),
                     chat_id=contact.telegram_id,
                     locale=contact.locale or ledger.default_locale, msgid=msgid, now=now,
                     params=params)


async def _tell_staff(uow: UnitOfWork, staff_ids: Sequence[int], subject: str, msgid: str,
                      now: datetime, ledger: Ledger, params: dict[str, Any],
                      buttons: list[list[dict[str, str]]] | None = None) -> None:
    await tell_staff(uow, staff_ids, subject, msgid, now, default_locale=ledger.default_locale,
                     params=params, buttons=buttons)


_role_ids = role_ids


async def sweep_ladder(uow_factory: Callable[[], UnitOfWork], now: datetime, *,
                       ledger: Ledger, render_letter: LETTER_RENDERER,
                       batch: int = 500) -> int:
    """Walk every due invoice up to the rung it has reached; return how many moved."""
    if not in_business_hours(ledger, now):
        return 0
    moved = 0
    after_id = 0
    while True:
        async with uow_factory() as uow:
            due = await uow.receivables.due_for_ladder(now, limit=batch, after_id=after_id)
        for invoice_id in due:
            if await _climb(uow_factory, invoice_id, now, ledger, render_letter):
                moved += 1
        if len(due) < batch:
            return moved
        after_id = due[-1]


@dataclass(frozen=True)
class _Plan:
    was: int | None
    reached: int
    next_at: datetime | None
    late: bool
    skipped: int
    letter: tuple[str, dict[str, Any]] | None  # (locale, data) when the rung is the letter


async def _plan(uow: UnitOfWork, invoice_id: int, now: datetime,
                ledger: Ledger) -> _Plan | None:
    """Read where an invoice stands and which rung it has reached (no writes)."""
    today = now.astimezone(ledger.calendar.tz).date()
    days = ledger.policy.days
    async with uow:
        invoice = await uow.receivables.invoice(invoice_id)
        if invoice is None or invoice.status != "open":
            return None
        was = invoice.rung
        reached = current_rung(invoice.due_on, today, days)
        after = next_rung_day(invoice.due_on, reached if reached is not None else was, days)
        next_at = _moment(ledger, after) if after else None
        if reached is None or (was is not None and reached <= was):
            # Nothing new yet (a moved ladder, an early sweep): look again when it is due.
            await uow.receivables.move_rung(invoice.id, was=was, to=was, next_at=next_at)
            await uow.commit()
            return None
        rung_day = next_rung_day(invoice.due_on, reached - 1 if reached else None, days)
        skipped = reached - (was + 1 if was is not None else 0)
        late = skipped > 0 or (rung_day is not None
                               and ledger.calendar.next_working_day(rung_day) < today)
        letter = None
        if LADDER[reached] == Step.LETTER:
            letter = await _letter_data(uow, invoice, now, ledger)
        return _Plan(was, reached, next_at, late, skipped, letter)


async def _climb(uow_factory: Callable[[], UnitOfWork], invoice_id: int, now: datetime,
                 ledger: Ledger, render_letter: LETTER_RENDERER) -> bool:
    """Move one invoice to the rung it has reached and do that rung, once."""
    plan = await _plan(uow_factory(), invoice_id, now, ledger)
    if plan is None:
        return False
    pdf = None
    if plan.letter is not None:  # a few hundred ms of font work: off the event loop, and
        pdf = await asyncio.to_thread(render_letter, *plan.letter)  # outside a transaction
    async with uow_factory() as uow:
        invoice = await uow.receivables.invoice(invoice_id)
        assert invoice is not None
        if not await uow.receivables.move_rung(invoice.id, was=plan.was, to=plan.reached,
                                               next_at=plan.next_at):
            return False  # another sweep (or process) moved it first
        step = LADDER[plan.reached]
        await _do(uow, invoice, step, now, ledger, pdf, plan.letter)
        days = ledger.policy.days
        drop = ledger.policy.rating_drop_days
        if days[plan.reached] >= drop and (plan.was is None or days[plan.was] < drop):
            await _lower_rating(uow, invoice, now, ledger)  # RISK-1: once per invoice
        audit(uow, now=now, action=f"dunning.{step.value}", target_type="invoice",
              target_id=invoice.invoice_no, actor_label="system",
              after={"late": plan.late, "skipped": plan.skipped,
                     "open": str(_open(invoice))})
        await uow.commit()
        return True


async def _do(uow: UnitOfWork, invoice: Invoice, step: Step, now: datetime, ledger: Ledger,
              pdf: bytes | None, letter: tuple[str, dict[str, Any]] | None) -> None:
    customer = await uow.customers.get(invoice.customer_id)
    params = {"company": customer.name, "invoice": invoice.invoice_no,
              "amount": money(invoice.amount, invoice.currency),
              "open": money(_open(invoice), invoice.currency), "due": day(invoice.due_on)}
    subject = f"dun:{invoice.id}:{step.value}"
    owner = [customer.owner_id] if customer.owner_id else []
    if step == Step.FRIENDLY:
        await _tell_contacts(uow, customer, subject, C_FRIENDLY, now, ledger, params)
    elif step == Step.OVERDUE:
        await _tell_contacts(uow, customer, subject, C_OVERDUE, now, ledger, params)
        await _tell_staff(uow, owner, subject, S_OVERDUE, now, ledger, params)
    elif step == Step.CALL:
        if customer.owner_id:
            due = ledger.calendar.add_working_days(now, 1)
            task = uow.cases.add_task(kind="dunning_call", owner_id=customer.owner_id,
                                      customer_id=customer.id, text=invoice.invoice_no,
                                      due_at=due, created_at=now)
            await uow.flush()
            await _tell_staff(uow, owner, subject, S_CALL, now, ledger, params,
                              buttons=[[{"msgid": N_("Done"), "data": f"tk:{task.id}"}]])
    elif step == Step.LETTER and pdf is not None and letter is not None:
        await _send_letter(uow, customer, invoice, now, ledger, pdf, letter[0], subject)
    elif step == Step.SUSPEND:
        if customer.suspended_at is None and await uow.receivables.open_request(
                "suspend", customer.id) is None:
            request = uow.receivables.add_request(kind="suspend", customer_id=customer.id,
                                                  invoice_id=invoice.id, status="finance",
                                                  created_at=now)
            await uow.flush()
            await _tell_staff(uow, await _role_ids(uow, Role.FINANCE), subject, S_SUSPEND, now,
                              ledger, params, buttons=_decision_buttons(request.id))
    elif step == Step.LEGAL:
        await _tell_staff(uow, await _role_ids(uow, Role.LEGAL), subject, S_LEGAL, now, ledger,
                          params)


async def _lower_rating(uow: UnitOfWork, invoice: Invoice, now: datetime,
                        ledger: Ledger) -> None:
    customer = await uow.customers.get(invoice.customer_id)
    before = customer.credit_rating
    customer.credit_rating = lower(before, ledger.policy.ratings)
    audit(uow, now=now, action="credit.rating_lowered", target_type="customer",
          target_id=customer.code, actor_label="system",
          before={"rating": before},
          after={"rating": customer.credit_rating, "invoice": invoice.invoice_no})


async def recheck_ratings(uow_factory: Callable[[], UnitOfWork], now: datetime, *,
                          ledger: Ledger) -> int:
    """Monthly (RISK-1): a customer lowered below the normal rating, with nothing overdue past
    the drop threshold any more, climbs one level back; run hourly, it acts once a month,
    at the first sweep in business hours."""
    local = now.astimezone(ledger.calendar.tz)
    month = local.strftime("%Y-%m")
    if not in_business_hours(ledger, now):
        return 0
    async with uow_factory() as uow:
        if await uow.state.get(f"ratings:{month}") is not None:
            return 0
        today = local.date()
        raised = 0
        worst: dict[int, int] = {}
        for invoice in await uow.receivables.open_for(None):
            worst[invoice.customer_id] = max(worst.get(invoice.customer_id, 0),
                                             (today - invoice.due_on).days)
        ratings, normal = ledger.policy.ratings, ledger.policy.normal_rating
        for customer in await uow.customers.below_rating(normal):
            below = (customer.credit_rating in ratings
                     and ratings.index(customer.credit_rating) > ratings.index(normal))
            if not below or worst.get(customer.id, 0) >= ledger.policy.rating_drop_days:
                continue
            before = customer.credit_rating
            customer.credit_rating = raise_one(before, ledger.policy.ratings)
            audit(uow, now=now, action="credit.rating_raised", target_type="customer",
                  target_id=customer.code, actor_label="system", before={"rating": before},
                  after={"rating": customer.credit_rating})
            raised += 1
        await uow.state.put(f"ratings:{month}", {"raised": raised}, now)
        await uow.commit()
        return raised


def _decision_buttons(request_id: int) -> list[list[dict[str, str]]]:
    return [[{"msgid": APPROVE, "data": f"cr:ok:{request_id}"},
             {"msgid": REJECT, "data": f"cr:no:{request_id}"}]]


async def _letter_data(uow: UnitOfWork, invoice: Invoice, now: datetime,
                       ledger: Ledger) -> tuple[str, dict[str, Any]]:
    """What the letter says, in the customer's language: every open invoice (AR-2)."""
    customer = await uow.customers.get(invoice.customer_id)
    contacts = await _contacts(uow, customer.id)
    locale = next((c.locale for c in contacts if c.locale), ledger.default_locale)
    today = now.astimezone(ledger.calendar.tz).date()
    rows = [{"invoice": i.invoice_no, "issued": i.issued_on.isoformat(),
             "due": i.due_on.isoformat(), "amount": str(i.amount), "paid": str(i.paid),
             "open": str(_open(i)), "currency": i.currency,
             "overdue": max((today - i.due_on).days, 0)}
            for i in await uow.receivables.open_for([customer.id])]
    return locale, {"company": ledger.company, "customer": customer.name,
                    "customer_code": customer.code, "address": customer.registered_address,
                    "date": today.isoformat(), "invoices": rows,
                    "subject": invoice.invoice_no}


async def _send_letter(uow: UnitOfWork, customer: Customer, invoice: Invoice, now: datetime,
                       ledger: Ledger, pdf: bytes, locale: str, subject: str) -> None:
    """Keep the letter and send it to every reachable contact as a document."""
    letter = uow.receivables.add_letter(invoice_id=invoice.id, customer_id=customer.id,
                                        locale=locale, pdf=pdf, created_at=now,
                                        filename=f"dunning-{invoice.invoice_no}.pdf")
    await uow.flush()
    for contact in await _contacts(uow, customer.id):
        await uow.outbox.add(
            key=message_key(subject, Recipient.CONTACT, contact.id),
            chat_id=contact.telegram_id, now=now,
            method="sendDocument",
            payload={"letter": letter.id, "msgid": C_LETTER,
                     "locale": contact.locale or ledger.default_locale,
                     "params": {"invoice": invoice.invoice_no,
                                "open": money(_open(invoice), invoice.currency),
                                "due": day(invoice.due_on)}})


# -- the weekly digest to each sales rep (AR-1) ---------------------------------------------

S_DIGEST = N_("Your customers' receivables this week (/receivables shows the details):")
S_DIGEST_LINE = N_("{open} open, of which {overdue} overdue")


async def weekly_digest(uow_factory: Callable[[], UnitOfWork], now: datetime, *,
                        ledger: Ledger) -> int:
    """On Mondays in business hours, one message per sales rep with open and overdue money
    of their customers, per currency; once per week (the key holds the ISO week)."""
    local = now.astimezone(ledger.calendar.tz)
    if local.weekday() != 0 or not in_business_hours(ledger, now):
        return 0
    week = f"{local.isocalendar().year}-W{local.isocalendar().week:02d}"
    today = local.date()
    sent = 0
    async with uow_factory() as uow:
        for rep in await uow.staff.with_roles([Role.SALES]):
            if not rep.active:
                continue
            mine = [c.id for c in await uow.customers.owned_by(rep.id)]
            if not mine:
                continue
            sums: dict[str, list[Decimal]] = {}
            for invoice in await uow.receivables.open_for(mine):
                pair = sums.setdefault(invoice.currency, [Decimal("0"), Decimal("0")])
                pair[0] += _open(invoice)
                if invoice.due_on < today:
                    pair[1] += _open(invoice)
            if not sums:
                continue
            # Each currency apart, formatted in the rep's language when the message is sent.
            lines = [(S_DIGEST_LINE, {"open": money(o, cur), "overdue": money(d, cur)})
                     for cur, (o, d) in sorted(sums.items())]
            if await notify(uow, key=message_key(f"receivables.digest:{week}",
                                                 Recipient.STAFF, rep.id),
                            chat_id=rep.telegram_id,
                            locale=await recipient_locale(uow, rep.telegram_id,
                                                          ledger.default_locale),
                            msgid=S_DIGEST, now=now, lines=lines):
                sent += 1
        await uow.commit()
    return sent


# -- decisions in chat (finance, then the executive) ----------------------------------------

async def decide_request(uow: UnitOfWork, actor: Actor, request_id: int, *, approve: bool,
                         now: datetime, ledger: Ledger) -> str:
    """Finance decides first, then the executive; returns the request's new status."""
    async with uow:
        request = await uow.receivables.request(request_id)
        if request is None or not actor.roles & {Role.FINANCE, Role.EXECUTIVE}:
            # R18: whoever may not decide any request learns nothing about this one.
            raise NotFound(N_("That request was not found."))
        stage_role = {"finance": Role.FINANCE, "executive": Role.EXECUTIVE}.get(request.status)
        customer = await uow.customers.get(request.customer_id)
        if stage_role is None or stage_role not in actor.roles:
            if await _decided_before(uow, request, actor):
                raise await _already_decided(uow, request, customer, actor, now)
            if stage_role is None:
                raise DomainError(N_("This request was already decided."))
            audit(uow, now=now, action="credit.denied", target_type="customer",
                  target_id=customer.code, actor=actor, after={"request": request_id})
            await uow.commit()
            raise AccessDenied(N_("Finance decides first, then the executive; this step is "
                                  "not yours.")).mark_audited()
        assert actor.staff_id is not None
        if not approve:
            new = "rejected"
        else:
            new = "executive" if request.status == "finance" else "approved"
        stamp = ({"finance_by_id": actor.staff_id, "finance_at": now}
                 if request.status == "finance"
                 else {"executive_by_id": actor.staff_id, "executive_at": now})
        if not await uow.receivables.move_request(request_id, was=request.status, status=new,
                                                  **stamp):
            # Another reviewer of the same step pressed at the same moment and won (R7).
            raise await _already_decided(uow, request, customer, actor, now)
        audit(uow, now=now, action=f"credit.{request.kind}.{new}", target_type="customer",
              target_id=customer.code, actor=actor, after={"request": request_id})
        params = await _request_params(uow, request, customer, actor)
        if new == "executive":
            msgid = S_SUSPEND_EXEC if request.kind == "suspend" else S_ORDER_EXEC
            await _tell_staff(uow, await _role_ids(uow, Role.EXECUTIVE),
                              f"cr:{request_id}:exec", msgid, now, ledger, params,
                              buttons=_decision_buttons(request_id))
        elif new == "approved" and request.kind == "suspend":
            customer.suspended_at = now
            audit(uow, now=now, action="customer.supply_suspended", target_type="customer",
                  target_id=customer.code, actor=actor)
            await _tell_contacts(uow, customer, f"suspended:{request_id}", C_SUSPENDED, now,
                                 ledger, {"company": customer.name})
        elif new == "approved" and request.order_id is not None:
            order = await uow.orders.get(request.order_id)
            if order is not None and order.status == OrderStatus.PENDING:
                order.status = transition(order.status, OrderStatus.CONFIRMED)
                order.updated_at = now
                uow.orders.add_status_change(order.id, OrderStatus.CONFIRMED, now,
                                             source="credit approval")
        if new in ("approved", "rejected"):
            verdict = N_("approved") if new == "approved" else N_("rejected")
            await _tell_staff(uow, await _role_ids(uow, Role.FINANCE)
                              + ([customer.owner_id] if customer.owner_id else []),
                              f"cr:{request_id}:done", S_DECIDED, now, ledger,
                              {"kind": {"label": KIND_LABEL[request.kind]},
                               "company": customer.name, "verdict": {"label": verdict},
                               "name": actor.staff_name or ""})
        await uow.commit()
        return new


async def _decided_before(uow: UnitOfWork, request: Any, actor: Actor) -> bool:
    """Whether the step this actor reviews was decided already (by them or a colleague)."""
    return bool((Role.FINANCE in actor.roles and request.finance_by_id is not None)
                or (Role.EXECUTIVE in actor.roles and request.executive_by_id is not None))


async def _already_decided(uow: UnitOfWork, request: Any, customer: Customer, actor: Actor,
                           now: datetime) -> DomainError:
    """Tell a late reviewer who decided their step and when; the press is audited (R7)."""
    audit(uow, now=now, action="credit.stale_press", target_type="customer",
          target_id=customer.code, actor=actor, after={"request": request.id})
    await uow.commit()
    fresh = await uow.receivables.request(request.id)
    assert fresh is not None
    by_id, at = fresh.finance_by_id, fresh.finance_at
    if Role.EXECUTIVE in actor.roles and fresh.executive_by_id is not None:
        by_id, at = fresh.executive_by_id, fresh.executive_at
    name = (await uow.staff.get(by_id)).name if by_id is not None else "-"
    return AlreadyDecided(N_("This was already decided by {name} ({when}); nothing was "
                             "changed."), name=name, when=at or now)


async def _request_params(uow: UnitOfWork, request: Any, customer: Customer,
                          actor: Actor) -> dict[str, Any]:
    params: dict[str, Any] = {"company": customer.name, "name": actor.staff_name or "",
                              "reason": reason_param(request.reason)}
    if request.invoice_id is not None:
        invoice = await uow.receivables.invoice(request.invoice_id)
        assert invoice is not None
        params |= {"invoice": invoice.invoice_no,
                   "open": money(_open(invoice), invoice.currency)}
    if request.order_id is not None:
        order = await uow.orders.get(request.order_id)
        assert order is not None
        params |= {"order": order.order_no,
                   "total": money(order.quantity * order.unit_price, order.currency)}
    return params


# -- credit on order confirmation (RISK-2) --------------------------------------------------

# What rows stored before reasons were codes look like: "open 13000.0000000 > limit 10000.00 CNY".
_OLD_LIMIT_REASON = re.compile(r"open (\S+) > limit (\S+) (\S+)")


def _cents(amount: Decimal | None) -> Decimal:
    return (amount or Decimal("0")).quantize(Decimal("0.01"))


def reason_param(reason: str) -> Any:
    """A credit request's stored reason as a notice parameter, translated for each reader."""
    if reason == "suspended":
        return label(REASON_SUSPENDED)
    kind, _, rest = reason.partition(":")
    parts = rest.split(":")
    old = _OLD_LIMIT_REASON.fullmatch(reason)
    if old is not None:
        kind, parts = "limit", [old[1], old[2], old[3]]
    if kind == "limit" and len(parts) == 3:
        try:
            open_, limit_ = _cents(Decimal(parts[0])), _cents(Decimal(parts[1]))
        except ArithmeticError:
            return reason
        return phrase(REASON_LIMIT, open=money(open_, parts[2]), limit=money(limit_, parts[2]))
    return reason

async def confirm_order(uow: UnitOfWork, actor: Actor, order_no: str, *, now: datetime,
                        ledger: Ledger) -> str:
    """Confirm a pending order, or send it to finance when it is over the limit or the
    customer is suspended; returns 'confirmed' or 'needs_approval'."""
    if not actor.roles & {Role.SALES, Role.SALES_HEAD, Role.FINANCE, Role.ADMIN}:
        raise AccessDenied(N_("Orders are confirmed by sales or finance."))
    async with uow:
        orders = await uow.orders.by_numbers([order_no.strip()])
        order = orders.get(order_no.strip())
        if order is None:
            raise NotFound(N_("That order was not found."))
        customer = await uow.customers.get(order.customer_id)
        if Role.SALES in actor.roles and not actor.roles - {Role.SALES} \
                and not owns(actor.staff_id, customer.owner_id):
            raise NotFound(N_("That order was not found."))
        if order.status != OrderStatus.PENDING:
            raise DomainError(N_("Only a pending order can be confirmed."))
        total = order.quantity * order.unit_price
        open_now = sum((_open(i) for i in await uow.receivables.open_for([customer.id])
                        if i.currency == customer.credit_currency), Decimal("0"))
        reasons: list[str] = []
        if customer.suspended_at is not None:
            reasons.append("suspended")
        limit = customer.credit_limit
        over = (limit is not None and order.currency == customer.credit_currency
                and open_now + total > limit)
        if over:
            reasons.append("limit")
        if not reasons:
            order.status = transition(order.status, OrderStatus.CONFIRMED)
            order.updated_at = now
            uow.orders.add_status_change(order.id, OrderStatus.CONFIRMED, now,
                                         source="chat")
            audit(uow, now=now, action="order.confirmed", target_type="order",
                  target_id=order.order_no, actor=actor)
            await uow.commit()
            return "confirmed"
        if await uow.receivables.open_request("order", customer.id) is not None:
            raise DomainError(N_("An approval for this customer is already waiting in "
                                 "finance."))
        # Stored as a code (audit and later notices); each reader gets it translated.
        reason = ("suspended" if "suspended" in reasons else
                  f"limit:{_cents(open_now + total)}:{_cents(limit)}:{customer.credit_currency}")
        request = uow.receivables.add_request(kind="order", customer_id=customer.id,
                                              order_id=order.id, status="finance",
                                              reason=reason, created_at=now)
        await uow.flush()
        audit(uow, now=now, action="order.credit_hold", target_type="order",
              target_id=order.order_no, actor=actor, after={"reasons": reasons})
        await _tell_staff(uow, await _role_ids(uow, Role.FINANCE), f"cr:{request.id}:new",
                          S_ORDER, now, ledger,
                          {"order": order.order_no, "company": customer.name,
                           "total": money(total, order.currency),
                           "reason": reason_param(reason)},
                          buttons=_decision_buttons(request.id))
        await uow.commit()
        return "needs_approval"


async def set_credit(uow: UnitOfWork, actor: Actor, code: str, *, limit: Decimal,
                     term_days: int, reason: str, now: datetime) -> None:
    """Finance changes a credit limit and payment term, with the reason audited (RISK-1)."""
    if Role.FINANCE not in actor.roles:
        raise AccessDenied(N_("Credit limits are set by finance."))
    if len((reason or "").strip()) < 3:
        raise DomainError(N_("Please give the reason for the change."))
    async with uow:
        customer = await uow.customers.get_by_code(code.strip())
        if customer is None:
            raise NotFound(N_("No customer with code {code}."), code=code)
        before = {"limit": str(customer.credit_limit), "term": customer.payment_term_days}
        customer.credit_limit, customer.payment_term_days = limit, term_days
        customer.updated_at = now
        audit(uow, now=now, action="credit.changed", target_type="customer",
              target_id=customer.code, actor=actor, before=before,
              after={"limit": str(limit), "term": term_days, "reason": reason.strip()})
        await uow.commit()


# -- views ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    today: date
    totals: dict[str, dict[Bucket, Decimal]]  # currency -> bucket -> open amount
    worst: list[tuple[str, str, str, Decimal, int]]  # code, name, currency, overdue, days
    worst_ids: list[int] = field(default_factory=list)  # the same customers' ids

    def total(self, currency: str) -> Decimal:
        return sum(self.totals[currency].values(), Decimal("0"))


async def overview(uow: UnitOfWork, actor: Actor, *, now: datetime,
                   ledger: Ledger) -> Overview:
    """Open receivables by aging bucket; finance sees all, a sales rep their customers."""
    wide = actor.roles & {Role.FINANCE, Role.EXECUTIVE, Role.SALES_HEAD, Role.ADMIN}
    if not wide and Role.SALES not in actor.roles:
        raise AccessDenied(N_("Receivables are for finance and sales."))
    today = now.astimezone(ledger.calendar.tz).date()
    async with uow:
        scope = None
        if not wide:
            scope = [c.id for c in await uow.customers.owned_by(actor.staff_id or 0)]
        invoices = await uow.receivables.open_for(scope)
        totals: dict[str, dict[Bucket, Decimal]] = defaultdict(
            lambda: dict.fromkeys(Bucket, Decimal("0")))
        overdue: dict[tuple[int, str], tuple[Decimal, int]] = {}
        for invoice in invoices:
            b = bucket(invoice.due_on, today)
            totals[invoice.currency][b] += _open(invoice)
            if b != Bucket.NOT_DUE:
                key = (invoice.customer_id, invoice.currency)
                amount, days = overdue.get(key, (Decimal("0"), 0))
                overdue[key] = (amount + _open(invoice),
                                max(days, (today - invoice.due_on).days))
        worst, ids = [], []
        for (customer_id, currency), (amount, days) in sorted(
                overdue.items(), key=lambda kv: (-kv[1][1], -kv[1][0]))[:5]:
            customer = await uow.customers.get(customer_id)
            worst.append((customer.code, customer.name, currency, amount, days))
            ids.append(customer_id)
        return Overview(today, dict(totals), worst, ids)


@dataclass(frozen=True)
class StatementLine:
    invoice: str
    issued: date
    due: date
    amount: Decimal
    paid: Decimal
    currency: str
    overdue_days: int
    settled: bool

    @property
    def open(self) -> Decimal:
        return self.amount - self.paid


async def statement(uow: UnitOfWork, actor: Actor, *, now: datetime,
                    ledger: Ledger, code: str | None = None,
                    customer_id: int | None = None) -> tuple[str, list[StatementLine]]:
    """A customer's own invoices (contacts), or one customer's (finance, its sales rep)."""
    today = now.astimezone(ledger.calendar.tz).date()
    async with uow:
        found: Customer | None
        if customer_id is not None:  # a button: never name the customer before it is allowed
            found = await uow.customers.find(customer_id)
            if found is None or not _sees_statement(actor, found):
                raise NotFound(N_("That customer was not found."))
        elif code is None and actor.customer_id is not None:
            found = await uow.customers.get(actor.customer_id)
        else:
            found = await uow.customers.get_by_code((code or "").strip())
            if found is None or not _sees_statement(actor, found):
                raise NotFound(N_("No customer with code {code}."), code=code or "")
        customer = found
        lines = [StatementLine(i.invoice_no, i.issued_on, i.due_on, i.amount, i.paid,
                               i.currency,
                               max((today - i.due_on).days, 0) if i.status == "open" else 0,
                               i.status == "paid")
                 for i in await uow.receivables.of_customer(customer.id)]
        return customer.name, lines


def _sees_statement(actor: Actor, customer: Customer) -> bool:
    """Finance and the heads see any customer's statement, the owning rep and the customer's
    own contacts theirs (R18)."""
    return (bool(actor.roles & {Role.FINANCE, Role.EXECUTIVE, Role.SALES_HEAD, Role.ADMIN})
            or owns(actor.staff_id, customer.owner_id)
            or (actor.customer_id is not None and actor.customer_id == customer.id))


def currencies(lines: Sequence[StatementLine]) -> dict[str, tuple[Decimal, Decimal]]:
    """Per currency: open and overdue, never converted."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        open_, overdue = out.get(line.currency, (Decimal("0"), Decimal("0")))
        out[line.currency] = (open_ + line.open,
                              overdue + (line.open if line.overdue_days else 0))
    return out
