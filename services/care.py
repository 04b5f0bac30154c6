"""Relationship care (SVC-4, CARE-1..CARE-4): visit plans, the daily digest, greetings,
birthdays and news.

The visit plan is a date on each customer: the next visit falls a grade's interval after the
last one done, on a working day. Reminders do not come one message per item: each staff
member gets one digest a working day with what is due and overdue and buttons to act (the
sales head also sees visits overdue past the escalation threshold). Greetings go out on the
festival's day (or the birthday) only: after an outage, a missed day is not greeted late.
Every message has an idempotency key, so nothing is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.access import owns
from domain.calendar import WorkingCalendar
from domain.care import (
    DEFAULT_GREETING,
    REQUIRED_FILE_FIELDS,
    CarePolicy,
    VisitKind,
    birthday_on,
    contact_due,
    festivals,
    next_visit,
    parse_birthday,
)
from domain.customer_file import FIELD_LABEL as FILE_FIELD_LABEL
from domain.enums import Role
from domain.errors import N_, AccessDenied, DomainError, NotFound
from domain.keys import Recipient, message_key
from services.audit import audit
from services.cards import Actor
from services.notify import day, notify, recipient_locale
from services.ports import UnitOfWork

LOCALES = ("zh_Hant", "zh_Hans", "en")
D_TITLE = N_("Your day, {date}:")
D_VISIT_DUE = N_("Visit {company} ({code}) by {due}")
D_VISIT_LATE = N_("Overdue visit: {company} ({code}), due {due}")
D_VISIT_PAYMENTS = N_("Visit {company} ({code}) by {due}; focus on payments: {overdue} "
                      "invoice(s) overdue")
D_TEAM_LATE = N_("{name}'s visit to {company} ({code}) is overdue since {due}")
D_TASK = N_("Task: {what} {text}, due {due}")
D_CONTACT = N_("Get in touch with {company} ({code}): last contact {last}")
D_TEAM_NO_CONTACT = N_("{name} has not contacted {company} ({code}) since {last}")
D_FILE_MISSING = N_("The file of {company} ({code}) misses: {fields}")
D_FILE_CHANGE = N_("Update the file of {company} ({code}) after the change of {date}, due "
                   "{due}")
D_MORE = N_("…and {count} more: /visits shows the plan.")
MAX_LINES = 20  # a digest stays well under Telegram's 4,096 characters
NEWS_FOOTER = N_("Press the button below to receive no more news from us.")
UNSUBSCRIBE = N_("No more news")
TASK_LABEL = {"follow_up_visit": N_("follow-up visit after complaint"),
              "dunning_call": N_("call about overdue invoice")}


@dataclass(frozen=True)
class Care:
    calendar: WorkingCalendar
    region: str
    policy: CarePolicy
    default_locale: str
    business_start: int = 9


def _today(care: Care, now: datetime) -> date:
    return now.astimezone(care.calendar.tz).date()


def _open_for_business(care: Care, now: datetime) -> bool:
    local = now.astimezone(care.calendar.tz)
    return care.calendar.is_working_day(local.date()) and local.hour >= care.business_start


# -- visits (CARE-1, CARE-4) ----------------------------------------------------------------

async def plan_visits(uow: UnitOfWork, now: datetime, care: Care) -> int:
    """Give every customer without a plan its first visit date (from when it was created)."""
    async with uow:
        planned = await plan_visits_in(uow, now, care)
        await uow.commit()
        return planned


async def log_visit(uow: UnitOfWork, actor: Actor, code: str, *, kind: VisitKind,
                    outcome: str, feedback: str = "", next_actions: str = "",
                    opportunity: str = "", now: datetime, care: Care) -> date:
    """Record a visit; the next one is planned from today, early or late (CARE-1)."""
    outcome = (outcome or "").strip()
    if len(outcome) < 2:
        raise DomainError(N_("Please write the outcome in a few words."))
    async with uow:
        customer = await uow.customers.get_by_code(code.strip())
        if customer is None:
            raise NotFound(N_("No customer with code {code}."), code=code)
        if not owns(actor.staff_id, customer.owner_id) \
                and not actor.roles & {Role.SALES_HEAD, Role.ADMIN}:
            raise AccessDenied(N_("Visits are logged by the customer's sales rep."))
        today = _today(care, now)
        assert actor.staff_id is not None
        uow.care.add_visit(customer_id=customer.id, staff_id=actor.staff_id, kind=kind.value,
                           done_on=today, outcome=outcome[:2000], feedback=feedback[:2000],
                           next_actions=next_actions[:2000], opportunity=opportunity[:2000],
                           created_at=now)
        was = customer.next_visit_on
        customer.last_visit_on = today
        customer.next_visit_on = next_visit(today, customer.grade.value, care.calendar,
                                            care.policy, customer.visit_every_days)
        audit(uow, now=now, action="visit.logged", target_type="customer",
              target_id=customer.code, actor=actor,
              after={"kind": kind.value, "was_due": was.isoformat() if was else None,
                     "next": customer.next_visit_on.isoformat(),
                     "opportunity": bool(opportunity.strip())})
        await uow.commit()
        return customer.next_visit_on


async def visit_customer_code(uow: UnitOfWork, actor: Actor, customer_id: int) -> str:
    """The code of a customer whose visit this rep (or the sales head) may log."""
    async with uow:
        customer = await uow.customers.find(customer_id)
        if customer is None or not (owns(actor.staff_id, customer.owner_id)
                                    or actor.roles & {Role.SALES_HEAD, Role.ADMIN}):
            # R18: a button names no customer to someone who may not log its visits.
            raise NotFound(N_("That customer was not found."))
        return customer.code


@dataclass(frozen=True)
class PlannedVisit:
    customer_id: int
    code: str
    name: str
    grade: str
    due: date
    last: date | None


async def visit_plan(uow: UnitOfWork, actor: Actor, *, now: datetime, care: Care,
                     weeks: int = 6) -> list[PlannedVisit]:
    """The rep's visits for the coming weeks (the sales head: everyone's), overdue first."""
    if not actor.roles & {Role.SALES, Role.SALES_HEAD, Role.ADMIN}:
        raise AccessDenied(N_("Visit plans are for sales staff."))
    until = date.fromordinal(_today(care, now).toordinal() + 7 * weeks)
    owner = None if actor.roles & {Role.SALES_HEAD, Role.ADMIN} else actor.staff_id
    async with uow:
        return [PlannedVisit(c.id, c.code, c.name, c.grade.value, c.next_visit_on,
                             c.last_visit_on)
                for c in await uow.care.visits_due(until, owner_id=owner)
                if c.next_visit_on is not None]


# -- the daily digest (CARE-1, and tasks from elsewhere) ------------------------------------

async def daily_digest(uow_factory: Any, now: datetime, *, care: Care) -> int:
    """One message per member of staff per working day, from the start of business."""
    if not _open_for_business(care, now):
        return 0
    today = _today(care, now)
    soon = care.calendar.add_working_days(
        datetime.combine(today, time(12), tzinfo=care.calendar.tz),
        care.policy.remind_days).astimezone(care.calendar.tz).date()
    escalate_before = care.calendar.add_working_days(
        datetime.combine(today, time(12), tzinfo=care.calendar.tz),
        -care.policy.escalate_days).astimezone(care.calendar.tz).date()
    sent = 0
    async with uow_factory() as uow:
        await plan_visits_in(uow, now, care)
        staff = await uow.staff.with_roles(list(Role))
        heads = {m.id for m in await uow.staff.with_roles([Role.SALES_HEAD])}
        team_late = [c for c in await uow.care.visits_due(escalate_before)
                     if c.next_visit_on is not None and c.next_visit_on <= escalate_before]
        names = {s.id: s.name for s in staff}
        end_of_day = datetime.combine(today, time(23, 59), tzinfo=care.calendar.tz)
        for member in staff:
            if not member.active:
                continue
            lines: list[tuple[str, dict[str, Any]]] = []
            buttons: list[list[dict[str, str]]] = []
            for customer in await uow.care.visits_due(soon, owner_id=member.id):
                due = customer.next_visit_on
                assert due is not None
                params = {"company": customer.name, "code": customer.code, "due": day(due)}
                overdue = [i for i in await uow.receivables.open_for([customer.id])
                           if i.due_on < today] if customer.grade.value == "C" else []
                if due < today:
                    lines.append((D_VISIT_LATE, params))
                elif overdue:  # C customers: visits with a payment focus (CARE-1)
                    lines.append((D_VISIT_PAYMENTS, params | {"overdue": len(overdue)}))
                else:
                    lines.append((D_VISIT_DUE, params))
                if len(buttons) < 6:
                    buttons.append([{"msgid": N_("Log a visit"),
                                     "data": f"vs:{customer.id}", "suffix": customer.code}])
            for task in await uow.care.open_tasks(member.id, end_of_day):
                lines.append((D_TASK, {"what": {"label": TASK_LABEL.get(task.kind, task.kind)},
                                       "text": task.text, "due": day(
                                           task.due_at.astimezone(care.calendar.tz).date())}))
                if len(buttons) < 8:
                    buttons.append([{"msgid": N_("Done"), "data": f"tk:{task.id}",
                                     "suffix": task.text}])
            for customer in await uow.customers.owned_by(member.id):
                if customer.next_visit_on is not None and customer.next_visit_on <= soon:
                    pass  # the visit line says it already
                else:
                    last = customer.last_visit_on or customer.created_at.astimezone(
                        care.calendar.tz).date()
                    if contact_due(last, customer.grade.value, care.policy,
                                   customer.contact_every_days) <= today:
                        lines.append((D_CONTACT, {"company": customer.name,
                                                  "code": customer.code, "last": day(last)}))
                missing = [f for f in REQUIRED_FILE_FIELDS if not getattr(customer, f)]
                if missing:
                    lines.append((D_FILE_MISSING, {"company": customer.name,
                                                   "code": customer.code,
                                                   "fields": {"labels": [
                                                       FILE_FIELD_LABEL[f] for f in missing]}}))
            for info, customer in await uow.customer_file.stale_changes(member.id, now):
                assert info.update_due_at is not None
                lines.append((D_FILE_CHANGE, {"company": customer.name, "code": customer.code,
                                              "date": day(info.happened_on),
                                              "due": day(info.update_due_at.astimezone(
                                                  care.calendar.tz).date())}))
            if member.id in heads and today.weekday() == 0:  # SVC-2: the weekly round-up
                for customer in await uow.care.all_customers():
                    last = customer.last_visit_on or customer.created_at.astimezone(
                        care.calendar.tz).date()
                    if contact_due(last, customer.grade.value, care.policy,
                                   customer.contact_every_days) <= today:
                        lines.append((D_TEAM_NO_CONTACT, {
                            "name": names.get(customer.owner_id or 0, "-"),
                            "company": customer.name, "code": customer.code,
                            "last": day(last)}))
            if member.id in heads:
                for customer in team_late:
                    assert customer.next_visit_on is not None
                    lines.append((D_TEAM_LATE, {
                        "name": names.get(customer.owner_id or 0, "-"),
                        "company": customer.name, "code": customer.code,
                        "due": day(customer.next_visit_on)}))
            if not lines:
                continue
            if len(lines) > MAX_LINES:
                more = len(lines) - MAX_LINES + 1
                lines = [*lines[:MAX_LINES - 1], (D_MORE, {"count": more})]
            if await notify(uow, key=message_key(f"care.digest:{today.isoformat()}",
                                                 Recipient.STAFF, member.id),
                            chat_id=member.telegram_id,
                            locale=await recipient_locale(uow, member.telegram_id,
                                                          care.default_locale),
                            msgid=D_TITLE, now=now, params={"date": day(today)},
                            lines=lines, buttons=buttons or None):
                sent += 1
        await uow.commit()
    return sent


async def plan_visits_in(uow: UnitOfWork, now: datetime, care: Care) -> int:
    """Plan the first visit of new customers: an interval after they were created."""
    customers = await uow.care.unplanned()
    for customer in customers:
        start = customer.last_visit_on or customer.created_at.astimezone(care.calendar.tz).date()
        customer.next_visit_on = next_visit(start, customer.grade.value, care.calendar,
                                            care.policy, customer.visit_every_days)
    return len(customers)


# -- greetings and birthdays (CARE-2) -------------------------------------------------------

async def set_template(uow: UnitOfWork, actor: Actor, key: str, locale: str, text: str, *,
                       now: datetime) -> None:
    """Staff edit a greeting in one language; {name} is the contact's name."""
    if not actor.roles & {Role.SALES_HEAD, Role.MARKET, Role.ADMIN}:
        raise AccessDenied(N_("Greetings are edited by the sales head, market or the admin."))
    if key not in DEFAULT_GREETING or locale not in LOCALES:
        raise DomainError(N_("Unknown greeting or language. Keys: {keys}; languages: "
                             "{locales}."), keys=", ".join(DEFAULT_GREETING),
                          locales=", ".join(LOCALES))
    text = (text or "").strip()
    try:
        text.format(name="x")
    except (KeyError, IndexError, ValueError):
        raise DomainError(N_("A greeting may use {{name}} and no other braces.")) from None
    if not 2 <= len(text) <= 1000:
        raise DomainError(N_("Please keep a greeting between 2 and 1000 characters."))
    async with uow:
        await uow.care.put_template(key, locale, text, staff_id=actor.staff_id, now=now)
        audit(uow, now=now, action="care.template", target_type="greeting",
              target_id=f"{key}:{locale}", actor=actor, after={"text": text})
        await uow.commit()


async def greetings(uow_factory: Any, now: datetime, *, care: Care,
                    page: int = 500) -> int:
    """On a festival's day (or a contact's birthday), greet each contact once, in their
    language. A day missed while the bot was down is not greeted late."""
    local = now.astimezone(care.calendar.tz)
    if local.hour < care.business_start:  # festivals are holidays: any day, from opening
        return 0
    today = local.date()
    festival = festivals(care.region, today.year).get(today)
    sent = 0
    after = 0
    while True:
        async with uow_factory() as uow:
            birthdays = None if festival is not None else _birthday_keys(today)
            contacts = await uow.care.contacts_page(after_id=after, limit=page,
                                                    birthdays=birthdays)
            custom = {(t.key, t.locale): t.text for t in await uow.care.templates()}
            for contact in contacts:
                locale = contact.locale or care.default_locale
                keys = []
                if festival is not None:
                    keys.append((festival, f"greet:{festival}:{today.isoformat()}"))
                if contact.birthday and birthday_on(contact.birthday, today):
                    keys.append(("birthday", f"bday:{today.isoformat()}"))
                for key, subject in keys:
                    msgid = custom.get((key, locale), DEFAULT_GREETING[key])
                    if await notify(uow, key=message_key(subject, Recipient.CONTACT, contact.id),
                                    chat_id=contact.telegram_id, locale=locale,
                                    msgid=msgid, now=now, params={"name": contact.name}):
                        sent += 1
            await uow.commit()
        if len(contacts) < page:
            return sent
        after = contacts[-1].id


def _birthday_keys(today: date) -> list[str]:
    """The MM-DD values greeted today (29 February is greeted on 28 February in other years)."""
    keys = [today.strftime("%m-%d")]
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if keys[0] == "02-28" and not leap:
        keys.append("02-29")
    return keys


async def set_birthday(uow: UnitOfWork, actor: Actor, text: str, *, now: datetime) -> str:
    """A contact gives their birthday (month and day) for birthday wishes."""
    value = parse_birthday(text)
    if actor.contact_id is None:
        raise AccessDenied(N_("Only customer contacts can give a birthday here."))
    async with uow:
        contact = await uow.contacts.get(actor.contact_id)
        assert contact is not None
        contact.birthday = value
        await uow.commit()
    return value


# -- news (SVC-4) ---------------------------------------------------------------------------

async def send_news(uow_factory: Any, actor: Actor, *, texts: dict[str, str],
                    grades: list[str] | None, now: datetime, care: Care,
                    codes: list[str] | None = None, page: int = 500) -> int:
    """Queue news to every contact of the chosen grades (or customers) who did not opt out,
    in their language (the outbox paces the sending); returns how many were queued."""
    if not actor.roles & {Role.SALES_HEAD, Role.MARKET, Role.ADMIN}:
        raise AccessDenied(N_("News is sent by the sales head, market or the admin."))
    texts = {k: v.strip() for k, v in texts.items() if v and v.strip()}
    if not texts:
        raise DomainError(N_("Please write the news in at least one language."))
    fallback = texts.get(care.default_locale) or next(iter(texts.values()))
    customer_ids = await _customers_of(uow_factory, codes)
    stamp = now.strftime("%Y%m%d%H%M%S")
    # Two pieces of news sent in the same second (by two people) must not share keys.
    subject = f"news:{now.strftime('%Y%m%d%H%M%S%f')}:{actor.staff_id or 0}"
    queued = 0
    after = 0
    while True:
        async with uow_factory() as uow:
            contacts = await uow.care.contacts_page(after_id=after, limit=page, grades=grades,
                                                    customer_ids=customer_ids)
            for contact in contacts:
                text = texts.get(contact.locale or care.default_locale, fallback)
                await uow.outbox.add(
                    key=message_key(subject, Recipient.CONTACT, contact.id),
                    chat_id=contact.telegram_id, now=now,
                    payload={"msgid": "{text}\n\n" + "{footer}",
                             "locale": contact.locale or care.default_locale,
                             "params": {"text": text, "footer": {"label": NEWS_FOOTER}},
                             "buttons": [[{"msgid": UNSUBSCRIBE, "data": "nw:off"}]]})
                queued += 1
            if queued and after == 0:
                audit(uow, now=now, action="news.sent", target_type="news", target_id=stamp,
                      actor=actor, after={"grades": grades, "customers": codes,
                                          "languages": sorted(texts)})
            await uow.commit()
        if len(contacts) < page:
            return queued
        after = contacts[-1].id


async def opt_out(uow: UnitOfWork, actor: Actor, *, now: datetime) -> None:
    """One tap: this contact receives no news (and no greetings) from now on."""
    if actor.contact_id is None:
        raise NotFound(N_("This is for customer contacts."))
    async with uow:
        contact = await uow.contacts.get(actor.contact_id)
        assert contact is not None
        contact.news_opt_out = True
        audit(uow, now=now, action="news.opt_out", target_type="contact",
              target_id=contact.id, actor=actor)
        await uow.commit()


async def _customers_of(uow_factory: Any, codes: list[str] | None) -> list[int] | None:
    """Customer ids for chosen codes (None: no choice, everyone); an unknown code refuses."""
    if not codes:
        return None
    ids = []
    async with uow_factory() as uow:
        found = await uow.customers.by_codes([c.strip().upper() for c in codes])
        for code in codes:
            customer = found.get(code.strip().upper())
            if customer is None:
                raise NotFound(N_("No customer with code {code}."), code=code)
            ids.append(customer.id)
    return ids


# -- events (CARE-3) ------------------------------------------------------------------------

EVENT_KIND = "care.event"
E_INVITE = N_("You are invited: {title}, {when}, {place}. Will you come?")
E_REMINDER = N_("Reminder: {title} is tomorrow, {when}, {place}. We look forward to seeing "
                "you.")
COMING, NOT_COMING = N_("I will come"), N_("I cannot come")


async def announce_event(uow_factory: Any, actor: Actor, *, title: str, starts_at: datetime,
                         place: str, grades: list[str] | None, now: datetime,
                         care: Care, codes: list[str] | None = None,
                         page: int = 500) -> tuple[int, int]:
    """Invite the contacts of the chosen grades with an RSVP button; the reminder the day
    before is due work. Returns (event id, invitations queued)."""
    if not actor.roles & {Role.SALES_HEAD, Role.MARKET, Role.ADMIN}:
        raise AccessDenied(N_("Events are announced by the sales head, market or the admin."))
    title, place = (title or "").strip(), (place or "").strip()
    if len(title) < 2:
        raise DomainError(N_("Please give the event a title."))
    if starts_at <= now:
        raise DomainError(N_("The event must be in the future."))
    customer_ids = await _customers_of(uow_factory, codes)
    async with uow_factory() as uow:
        event = uow.care.add_event(title=title[:200], place=place[:300], starts_at=starts_at,
                                   grades=grades or [], created_by_id=actor.staff_id,
                                   created_at=now)
        await uow.flush()
        event_id = event.id
        day_before = datetime.combine(
            starts_at.astimezone(care.calendar.tz).date() - timedelta(days=1),
            time(care.business_start), tzinfo=care.calendar.tz)
        if day_before > now:
            await uow.due.schedule(key=f"event:{event_id}:reminder", kind=EVENT_KIND,
                                   due_at=day_before, subject_id=str(event_id))
        audit(uow, now=now, action="event.announced", target_type="event",
              target_id=event_id, actor=actor, after={"title": title, "grades": grades})
        await uow.commit()
    queued = 0
    after = 0
    params = {"title": title, "when": {"datetime": starts_at.isoformat()}, "place": place}
    buttons = [[{"msgid": COMING, "data": f"ev:y:{event_id}"},
                {"msgid": NOT_COMING, "data": f"ev:n:{event_id}"}]]
    while True:
        async with uow_factory() as uow:
            contacts = await uow.care.contacts_page(after_id=after, limit=page, grades=grades,
                                                    customer_ids=customer_ids)
            for contact in contacts:
                if await notify(uow, key=message_key(f"event:{event_id}:invite",
                                                     Recipient.CONTACT, contact.id),
                                chat_id=contact.telegram_id,
                                locale=contact.locale or care.default_locale, msgid=E_INVITE,
                                now=now, params=params, buttons=buttons):
                    queued += 1
            await uow.commit()
        if len(contacts) < page:
            return event_id, queued
        after = contacts[-1].id


async def rsvp(uow: UnitOfWork, actor: Actor, event_id: int, *, coming: bool,
               now: datetime) -> str:
    """A contact answers (and may change their answer until the event starts)."""
    if actor.contact_id is None:
        raise NotFound(N_("That event was not found."))
    async with uow:
        event = await uow.care.event(event_id)
        if event is None:
            raise NotFound(N_("That event was not found."))
        if event.starts_at <= now:
            raise DomainError(N_("This event has already started."))
        reply = await uow.care.reply(event_id, actor.contact_id)
        if reply is None:
            uow.care.add_reply(event_id=event_id, contact_id=actor.contact_id, coming=coming,
                               answered_at=now, attended=None)
        else:
            reply.coming, reply.answered_at = coming, now
        await uow.commit()
        return event.title


async def on_event_due(uow: UnitOfWork, item: Any, now: datetime, late: bool, *,
                       care: Care) -> None:
    """The day before: remind those who said they will come (not if it already started)."""
    event = await uow.care.event(int(item.subject_id))
    if event is None or event.starts_at <= now:
        return
    params = {"title": event.title, "when": {"datetime": event.starts_at.isoformat()},
              "place": event.place}
    for reply, contact in await uow.care.replies(event.id):
        if reply.coming and not contact.unreachable:
            await notify(uow, key=message_key(f"event:{event.id}:reminder",
                                              Recipient.CONTACT, contact.id),
                         chat_id=contact.telegram_id,
                         locale=contact.locale or care.default_locale, msgid=E_REMINDER,
                         now=now, params=params)


@dataclass(frozen=True)
class EventView:
    event_id: int
    title: str
    starts_at: datetime
    place: str
    replies: list[tuple[int, str, str, bool, bool | None]]  # id, contact, company, coming, came


async def events(uow: UnitOfWork, actor: Actor, *, now: datetime,
                 since_days: int = 30) -> list[EventView]:
    """Recent and upcoming events with their replies, for staff."""
    if not actor.is_staff:
        raise AccessDenied(N_("This is for staff."))
    async with uow:
        out = []
        start = now - timedelta(days=since_days)
        for event in await uow.care.upcoming_events(start):
            rows = []
            for reply, contact in await uow.care.replies(event.id):
                customer = await uow.customers.get(contact.customer_id)
                rows.append((reply.id, contact.name, customer.name, reply.coming,
                             reply.attended))
            out.append(EventView(event.id, event.title, event.starts_at, event.place, rows))
        return out


async def mark_attended(uow: UnitOfWork, actor: Actor, reply_id: int, *,
                        now: datetime) -> bool:
    """Staff record who came (a second tap undoes it); returns the new value."""
    if not actor.roles & {Role.SALES, Role.SALES_HEAD, Role.MARKET, Role.ADMIN}:
        raise AccessDenied(N_("Attendance is recorded by sales, market or the admin."))
    async with uow:
        reply = await uow.care.reply_by_id(reply_id)
        if reply is None:
            raise NotFound(N_("That reply was not found."))
        reply.attended = not bool(reply.attended)
        audit(uow, now=now, action="event.attendance", target_type="event",
              target_id=reply.event_id, actor=actor,
              after={"reply": reply_id, "attended": reply.attended})
        await uow.commit()
        return reply.attended


