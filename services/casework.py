"""Handling a case after it is filed (CMP-2..CMP-4, SVC-3): the service desk's side.

Every change is one transaction: a conditional update on the case's version (a stale or
doubled press changes nothing, R7), an entry in the case's timeline, an audit entry (R15),
messages to whoever must hear of it through the outbox (R2), and the deadlines it starts or
ends as due work (R10): a deadline that is met has its reminders cancelled, and each reminder
checks again that its step is still open before it says anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from domain.access import owns
from domain.calendar import WorkingCalendar
from domain.cases import (
    ACTIVE,
    ALLOWED,
    CLOCK_STOPPED,
    LADDER,
    CaseKind,
    CaseStatus,
    Category,
    Department,
    RootCause,
    check_score,
)
from domain.enums import Role
from domain.errors import N_, AccessDenied, DomainError, NotFound, Np_
from domain.keys import Recipient, due_subject, message_key
from services.audit import audit
from services.cards import Actor
from services.case_sla import Desk, cancel_sla, schedule_sla
from services.cases import KIND_LABEL
from services.notify import (
    label,
    notify,
    recipient_locale,
    role_ids,
    said_deadline,
    tell_staff,
)
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.models import Case, CaseEvent, DueWork

DESK = frozenset({Role.SERVICE, Role.SERVICE_LEAD})
OVERSIGHT = frozenset({Role.SERVICE, Role.SERVICE_LEAD, Role.EXECUTIVE})
FORWARD_KIND = "case.forward"
ACTION_KIND = "case.action"
PROGRESS_KIND = "case.progress"
DECISION_KIND = "case.decision"
TASK_KIND = "task.due"
MAX_TEXT = 3000

STATUS_LABEL = {
    CaseStatus.OPEN: N_("Received, waiting for acknowledgment"),
    CaseStatus.ACKNOWLEDGED: N_("Acknowledged, being handled"),
    CaseStatus.SOLUTION_PROPOSED: N_("Solution proposed, waiting for the customer"),
    CaseStatus.RESOLVED: N_("Solved, being closed"),
    CaseStatus.CLOSED: N_("Closed"),
    CaseStatus.REOPENED: N_("Reopened for review"),
}
# An inquiry is answered, not solved (SVC-3): its own words wherever they differ.
INQUIRY_STATUS_LABEL = {
    CaseStatus.SOLUTION_PROPOSED: N_("Answered, waiting for the customer"),
    CaseStatus.RESOLVED: N_("Answered, being closed"),
}
INQUIRY_EVENT_LABEL = {
    "proposed": N_("Answer sent"),
    "accepted": N_("Customer accepted the answer"),
    "rejected": N_("Customer found the answer unhelpful"),
}


def status_label(kind: CaseKind, status: CaseStatus) -> str:
    """The msgid naming a status, in the words of the case's kind."""
    if kind == CaseKind.INQUIRY and status in INQUIRY_STATUS_LABEL:
        return INQUIRY_STATUS_LABEL[status]
    return STATUS_LABEL[status]


def event_label(kind: CaseKind, event: str) -> str:
    """The msgid naming a timeline event, in the words of the case's kind."""
    if kind == CaseKind.INQUIRY and event in INQUIRY_EVENT_LABEL:
        return INQUIRY_EVENT_LABEL[event]
    return EVENT_LABEL.get(event, event)


ROOT_CAUSE_LABEL = {
    RootCause.MATERIAL: N_("Materials or supplier"),
    RootCause.PRODUCTION: N_("Production or quality control"),
    RootCause.LOGISTICS: N_("Logistics and delivery"),
    RootCause.DOCUMENTS: N_("Documents and invoicing"),
    RootCause.COMMUNICATION: N_("Communication"),
    RootCause.CUSTOMER: N_("On the customer's side"),
    RootCause.OTHER: N_("Other"),
}
DEPARTMENT_LABEL = {
    Department.MARKET: N_("Market"),
    Department.FINANCE: N_("Finance"),
    Department.LEGAL: N_("Legal"),
    Department.SALES: N_("Sales"),
}
EVENT_LABEL = {
    "opened": N_("Filed"),
    "acknowledged": N_("Acknowledged"),
    "assigned": N_("Assigned"),
    "note": N_("Note"),
    "forwarded": N_("Forwarded"),
    "forward_answered": N_("Department replied"),
    "proposed": N_("Solution proposed"),
    "accepted": N_("Customer accepted the solution"),
    "rejected": N_("Customer rejected the solution"),
    "deadline_proposed": N_("New deadline proposed"),
    "deadline_agreed": N_("New deadline agreed"),
    "deadline_declined": N_("New deadline declined"),
    "progress": N_("Progress update"),
    "closed": N_("Closed"),
    "escalated": N_("Escalated"),
    "survey": N_("Satisfaction survey"),
    "reopened": N_("Reopened"),
}

# Messages (outbox msgids); the customer's are in their language, staff's in theirs.
C_ACKNOWLEDGED = N_("Your {kind} {number} was acknowledged by {name}. We will come back "
                    "with a solution by {due}.")
C_ACK_INQUIRY = N_("Your inquiry {number} was acknowledged by {name}. We will answer it by "
                   "{due}.")
C_ANSWERED = N_("Our answer to {number}:\n{solution}\n\nDoes this answer your question?")
C_ANSWER_REMINDER = N_("A reminder: we answered {number}:\n{solution}\n\nDoes this answer "
                       "your question?")
C_PROPOSED = N_("Proposed solution for {number}:\n{solution}\n\nDoes this solve it for you?")
C_DEADLINE = N_("{number} needs more time to solve properly. We propose to have it solved "
                "by {due}. Do you agree?")
C_DECISION_REMINDER = N_("A reminder: we sent you a solution for {number}:\n{solution}\n\n"
                         "Does this solve it for you?")
C_REVIEW_CLOSED = N_("Thank you for your feedback on {number}. Our service lead has reviewed "
                     "the case again and closed it. If anything is still not right, please "
                     "tell us in a new case.")
C_PROGRESS = N_("Progress on {number}: {text}")
C_CLOSED = N_("{number} is closed. Thank you for your patience. How satisfied are you with "
              "how we handled it? (1 = very unsatisfied, 5 = very satisfied)")
C_ANSWER_CLOSED = N_("{number} is closed. How satisfied are you with our answer? "
                     "(1 = very unsatisfied, 5 = very satisfied)")
S_ASSIGNED = N_("{number} ({company}) was assigned to you by {name}. Deadline: {due}.")
S_FORWARD = N_("{name} asks {department} about {number} ({company}), reply by {due}:\n"
               "{question}")
S_FORWARD_ANSWERED = N_("{department} replied on {number}: {answer}")
S_ACCEPTED = N_("The customer accepted the solution for {number}. Please close it with the "
                "root cause and the corrective action.")
S_REJECTED = N_("The customer rejected the solution for {number}. It is back with you; "
                "deadline {due}.")
S_ANSWER_REJECTED = N_("The customer says the answer to {number} does not help. It is back "
                       "with you; deadline {due}.")
S_DEADLINE_AGREED = N_("The customer agreed the new deadline for {number}: {due}.")
S_DEADLINE_DECLINED = N_("The customer did not agree a new deadline for {number}; the "
                         "deadline stays {due}.")
S_WARN = N_("Reminder: {number} ({company}) must be {step} by {due}.")
S_BREACH = N_("Deadline missed: {number} ({company}) was to be {step} by {due}. Escalation "
              "level {level}.")
S_FORWARD_LATE = N_("The reply of {department} on {number} was due by {due} and has not come.")
S_ACTION_ASSIGNED = N_("Corrective action for {number} is yours, due by {due}:\n{text}")
S_ACTION_LATE = N_("The corrective action for {number} was due by {due} and is not done:\n"
                   "{text}")
S_PROGRESS_DUE = N_("{number}: please send the customer a progress update (agreed deadline "
                    "{due}).")
S_LOW_SCORE = N_("{number} ({company}) got a satisfaction score of {score}. It is reopened "
                 "for your review.")
S_FOLLOW_UP = N_("Please visit {company} to follow up on {number} by {due}.")
S_TASK_LATE = N_("Overdue: the follow-up visit to {company} about {number} was due by {due}.")
STEP_ACK = N_("acknowledged")
STEP_SOLVE = N_("solved")
STEP_ANSWER = N_("answered")
DONE_BUTTON = N_("Done")


class CaseMoved(DomainError):
    """A button for a step that is no longer open: someone else acted first, or it is done."""


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    actor: str | None  # the person's name; None when there is none to show
    text: str
    by: str = "staff"  # "staff", "customer" or "system": the label shown without a name
    department: Department | None = None  # forwards: the department asked or answering
    when: datetime | None = None  # a proposed or agreed deadline
    detail: str | None = None  # "review" or "action_done": a fixed phrase, shown translated
    escalation: Escalation | None = None


@dataclass(frozen=True)
class Escalation:
    """A missed deadline's escalation step, for the timeline."""

    stage: str  # "ack" or "resolve"
    level: int
    to: str  # one of domain.cases.LADDER
    late: bool


@dataclass(frozen=True)
class ForwardView:
    forward_id: int
    department: Department
    question: str
    due_at: datetime
    answer: str | None


@dataclass(frozen=True)
class CaseView:
    """One case as the person asking may see it."""

    case_id: int
    number: str
    version: int
    kind: CaseKind
    category: Category | None
    status: CaseStatus
    urgent: bool
    company: str
    description: str
    attachments: list[tuple[str, str]]  # (kind, file_id)
    opened_at: datetime
    ack_due_at: datetime
    resolve_due_at: datetime
    assignee: str | None
    assignee_id: int | None
    solution: str | None
    proposed_due_at: datetime | None
    deadline_agreed: bool
    escalation_level: int
    events: list[Event] = field(default_factory=list)
    forwards: list[ForwardView] = field(default_factory=list)

    @property
    def deadline(self) -> datetime:
        return self.ack_due_at if self.status == CaseStatus.OPEN else self.resolve_due_at

    @property
    def clock_running(self) -> bool:
        """Whether a deadline of ours runs: not once the solution is sent (CMP-3)."""
        return self.status not in CLOCK_STOPPED


@dataclass(frozen=True)
class QueuePage:
    items: list[CaseView]
    page: int
    pages: int
    total: int


# -- reading --------------------------------------------------------------------------------

def _require(actor: Actor, roles: Iterable[Role]) -> None:
    if not actor.roles & frozenset(roles):
        raise AccessDenied(N_("This is for customer service staff."))


async def _names(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    names: dict[int, str] = {}
    for staff_id in {i for i in ids if i is not None}:
        names[staff_id] = (await uow.staff.get(staff_id)).name
    return names


async def _actor(uow: UnitOfWork, label_: str, names: dict[int, str],
                 contacts: dict[int, str]) -> tuple[str, str | None]:
    """Who an event's `actor_label` names: ("staff"|"customer"|"system", name or None)."""
    kind, _, ident = label_.partition(":")
    if kind == "staff":
        return "staff", names.get(int(ident)) if ident.isdigit() else None
    if kind == "contact" and ident.isdigit():
        if int(ident) not in contacts:
            contact = await uow.contacts.get(int(ident))
            contacts[int(ident)] = contact.name if contact is not None else ""
        return "customer", contacts[int(ident)] or None
    return "system", None


_ESCALATED = re.compile(r"(ack|resolve) L(\d+) \((\w+)\)( late)?")
_ACTION_DONE = "corrective action done: "


def _shown_event(e: CaseEvent, by: str, name: str | None) -> Event:
    """An event as the timeline shows it: what the stored text encodes becomes fields, so
    the reader sees labels, dates and phrases in their own language."""
    text = e.text or ""
    department: Department | None = None
    when: datetime | None = None
    detail: str | None = None
    escalation: Escalation | None = None
    if e.kind in ("forwarded", "forward_answered"):
        # Stored as "<department>: <text>"; the department is shown by its translated label.
        prefix, sep, rest = text.partition(": ")
        if sep and prefix in {d.value for d in Department}:
            text, department = rest, Department(prefix)
    elif e.kind in ("deadline_proposed", "deadline_agreed"):
        with contextlib.suppress(ValueError):
            when, text = datetime.fromisoformat(text), ""
    elif e.kind == "closed" and text == "review":
        text, detail = "", "review"
    elif e.kind == "note" and text.startswith(_ACTION_DONE):
        text, detail = text.removeprefix(_ACTION_DONE), "action_done"
    elif e.kind == "escalated" and (m := _ESCALATED.fullmatch(text)):
        text, escalation = "", Escalation(m[1], int(m[2]), m[3], bool(m[4]))
    return Event(e.at, e.kind, name, text, by, department, when, detail, escalation)


async def _view(uow: UnitOfWork, case: Case, *, internal: bool) -> CaseView:
    customer = await uow.customers.get(case.customer_id)
    events = await uow.cases.events(case.id)
    ids: list[int | None] = [case.assignee_id]
    ids += [int(e.actor_label.split(":")[1]) for e in events
            if e.actor_label.startswith("staff:") and e.actor_label.split(":")[1].isdigit()]
    names = await _names(uow, ids)
    contacts: dict[int, str] = {}
    shown = [_shown_event(e, *await _actor(uow, e.actor_label, names, contacts))
             for e in events if internal or not e.internal]
    forwards = [ForwardView(f.id, Department(f.role.value), f.question, f.due_at, f.answer)
                for f in await uow.cases.forwards(case.id)] if internal else []
    files = [(a.kind, a.file_id) for a in await uow.cases.attachments(case.id)]
    return CaseView(
        case.id, case.number or "", case.version, case.kind, case.category, case.status,
        case.urgent, customer.name, case.description, files, case.opened_at, case.ack_due_at,
        case.resolve_due_at, names.get(case.assignee_id) if case.assignee_id else None,
        case.assignee_id, case.solution, case.proposed_due_at, case.deadline_agreed,
        case.escalation_level, shown, forwards)


async def _load(uow: UnitOfWork, case_id: int) -> Case:
    case = await uow.cases.get(case_id)
    if case is None:
        raise NotFound(N_("That case was not found."))
    return case


def _sees(actor: Actor, case: Case) -> bool:
    if actor.roles & OVERSIGHT:
        return True
    return actor.customer_id is not None and actor.customer_id == case.customer_id


async def view_case(uow: UnitOfWork, actor: Actor, *, case_id: int | None = None,
                    number: str | None = None) -> CaseView:
    """A case by id or number: staff see everything, a customer only their own (R18)."""
    async with uow:
        case = (await uow.cases.get(case_id) if case_id is not None
                else await uow.cases.by_number(number or ""))
        if case is None or not _sees(actor, case):
            raise NotFound(N_("That case was not found."))
        return await _view(uow, case, internal=bool(actor.roles & OVERSIGHT))


async def queue(uow: UnitOfWork, actor: Actor, *, page: int = 1,
                page_size: int = 8) -> QueuePage:
    """Active cases, urgent first, then nearest deadline first."""
    _require(actor, OVERSIGHT)
    async with uow:
        _, total = await uow.cases.queue(limit=1, offset=0)
        pages = max(1, -(-total // page_size))
        page = min(max(page, 1), pages)
        rows, total = await uow.cases.queue(limit=page_size, offset=(page - 1) * page_size)
        items = [await _view(uow, c, internal=False) for c in rows]
        return QueuePage(items, page, pages, total)


async def desk_staff(uow: UnitOfWork) -> list[tuple[int, str]]:
    """Who a case can be assigned to."""
    async with uow:
        return [(s.id, s.name) for s in await uow.staff.with_roles(list(DESK)) if s.active]


async def action_owners(uow: UnitOfWork) -> list[tuple[int, str]]:
    """Who can own a corrective action: anyone on staff with a role, the admin aside."""
    roles = [r for r in Role if r != Role.ADMIN]
    async with uow:
        return [(s.id, s.name) for s in await uow.staff.with_roles(roles) if s.active][:12]


async def forward_number(uow: UnitOfWork, actor: Actor, forward_id: int) -> str:
    """The case number of a forwarded question, if the actor's department was asked."""
    async with uow:
        fwd = await uow.cases.forward(forward_id)
        if fwd is None or Role(fwd.role.value) not in actor.roles:
            raise NotFound(N_("That request was not found."))
        if fwd.answered_at is not None:
            raise CaseMoved(N_("This request was already answered."))
        return (await _load(uow, fwd.case_id)).number or ""


# -- changing -------------------------------------------------------------------------------

async def _moved(uow: UnitOfWork, case: Case, actor: Actor, now: datetime) -> CaseMoved:
    """Say what happened instead, with who holds the case now; the stale press is kept in the
    audit log (R7). Called before anything changed, so committing keeps only that entry."""
    audit(uow, now=now, action="case.stale_press", target_type="case", target_id=case.number,
          actor=actor, after={"version": case.version})
    await uow.commit()
    fresh = await _load(uow, case.id)
    who = (await uow.staff.get(fresh.assignee_id)).name if fresh.assignee_id else "-"
    return CaseMoved(N_("{number} has moved on since that button was sent (it is with "
                        "{name} now); nothing was changed."), number=fresh.number or "",
                     name=who)


async def _change(uow: UnitOfWork, actor: Actor, case_id: int, version: int, action: str,
                  now: datetime, **values: Any) -> Case:
    """The conditional update every staff or customer action goes through (R7)."""
    case = await _load(uow, case_id)
    if case.version != version or case.status not in ALLOWED.get(action, ACTIVE):
        raise await _moved(uow, case, actor, now)
    if not await uow.cases.transition(case_id, version=version, statuses=ALLOWED.get(
            action, ACTIVE), updated_at=now, **values):
        raise await _moved(uow, case, actor, now)
    return await _load(uow, case_id)


def _event(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, kind: str,
           text: str = "", *, internal: bool = True, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    uow.cases.add_event(case.id, at=now, kind=kind, actor_label=actor.label, text=text,
                        internal=internal)
    audit(uow, now=now, action=f"case.{kind}", target_type="case", target_id=case.number,
          actor=actor, before=before, after=after)


async def _tell_customer(uow: UnitOfWork, case: Case, what: str, msgid: str, now: datetime,
                         desk: Desk, params: dict[str, Any],
                         buttons: list[list[dict[str, str]]] | None = None) -> None:
    if case.contact_id is None:
        return
    contact = await uow.contacts.get(case.contact_id)
    if contact is None:
        return
    await notify(uow, key=message_key(f"case:{case.id}:{what}", Recipient.CONTACT, contact.id),
                 chat_id=contact.telegram_id,
                 locale=await recipient_locale(uow, contact.telegram_id, desk.default_locale),
                 msgid=msgid, now=now, params=params, buttons=buttons)


async def _tell_staff(uow: UnitOfWork, staff_ids: Iterable[int], subject: str, msgid: str,
                      now: datetime, desk: Desk, params: dict[str, Any],
                      buttons: list[list[dict[str, str]]] | None = None) -> None:
    await tell_staff(uow, staff_ids, subject, msgid, now, default_locale=desk.default_locale,
                     params=params, buttons=buttons)


_role_ids = role_ids


async def _owners(uow: UnitOfWork, case: Case) -> list[int]:
    """Who answers for a case: its assignee, else the whole service desk."""
    if case.assignee_id is not None:
        return [case.assignee_id]
    return await _role_ids(uow, Role.SERVICE, Role.SERVICE_LEAD)


def _base(case: Case, company: str) -> dict[str, Any]:
    return {"number": case.number, "company": company,
            "kind": label(KIND_LABEL[case.kind])}


def clean_text(text: str) -> str:
    """A staff or customer text for a case: not empty, not endless."""
    return _clean(text)


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(N_("Please write it as text."))
    if len(text) > MAX_TEXT:
        raise DomainError(Np_("Please keep it under {count} character.",
                              "Please keep it under {count} characters."), count=MAX_TEXT)
    return text


def _staff_id(actor: Actor) -> int:
    assert actor.staff_id is not None
    return actor.staff_id


async def acknowledge(uow: UnitOfWork, actor: Actor, case_id: int, version: int, *,
                      now: datetime, desk: Desk) -> CaseView:
    """Acknowledge a new case (CMP-2): the acknowledger takes it, the customer hears at once."""
    _require(actor, DESK)
    async with uow:
        before = await _load(uow, case_id)
        assignee = before.assignee_id or _staff_id(actor)
        case = await _change(uow, actor, case_id, version, "acknowledge", now,
                             status=CaseStatus.ACKNOWLEDGED, acknowledged_at=now,
                             assignee_id=assignee)
        _event(uow, case, actor, now, "acknowledged", internal=False,
               after={"on_time": now <= case.ack_due_at})
        await cancel_sla(uow, case, "ack", case.ack_due_at)
        customer = await uow.customers.get(case.customer_id)
        params = _base(case, customer.name) | {
            "name": actor.staff_name or "", "due": _due(desk, case.resolve_due_at)}
        await _tell_customer(uow, case, "ack", C_ACK_INQUIRY if case.kind == CaseKind.INQUIRY
                             else C_ACKNOWLEDGED, now, desk, params)
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


async def assign(uow: UnitOfWork, actor: Actor, case_id: int, version: int, *,
                 assignee_id: int | None, now: datetime, desk: Desk) -> CaseView:
    """Take a case (no assignee given) or, as the service lead, give it to someone."""
    _require(actor, DESK)
    target = assignee_id if assignee_id is not None else _staff_id(actor)
    if target != actor.staff_id and Role.SERVICE_LEAD not in actor.roles:
        raise AccessDenied(N_("Only the service lead can assign cases to others."))
    async with uow:
        staff = await uow.staff.get(target)
        if staff.id not in await _role_ids(uow, *DESK):
            raise DomainError(N_("{name} is not in customer service."), name=staff.name)
        case = await _change(uow, actor, case_id, version, "assign", now, assignee_id=target)
        _event(uow, case, actor, now, "assigned", staff.name, after={"assignee": staff.id})
        if target != actor.staff_id:
            customer = await uow.customers.get(case.customer_id)
            params = _base(case, customer.name) | {
                "name": actor.staff_name or "",
                "due": _due(desk, case.ack_due_at if case.status == CaseStatus.OPEN
                              else case.resolve_due_at)}
            await _tell_staff(uow, [target], f"case:{case.id}:assigned:{case.version}",
                              S_ASSIGNED, now, desk, params)
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


async def add_note(uow: UnitOfWork, actor: Actor, case_id: int, version: int, text: str, *,
                   now: datetime) -> CaseView:
    """An investigation note, seen by staff only."""
    _require(actor, DESK)
    text = _clean(text)
    async with uow:
        case = await _change(uow, actor, case_id, version, "note", now)
        _event(uow, case, actor, now, "note", text)
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


async def forward(uow: UnitOfWork, actor: Actor, case_id: int, version: int, *,
                  department: Department, question: str, now: datetime,
                  desk: Desk) -> CaseView:
    """Ask a department for input, with its own working-day reply deadline."""
    _require(actor, DESK)
    question = _clean(question)
    async with uow:
        case = await _change(uow, actor, case_id, version, "forward", now)
        due = desk.calendar.add_working_days(now, desk.policy.forward_days)
        role = Role(department.value)
        fwd = uow.cases.add_forward(case_id=case.id, role=role, question=question,
                                    asked_by_id=_staff_id(actor), asked_at=now, due_at=due)
        await uow.flush()
        _event(uow, case, actor, now, "forwarded", f"{department.value}: {question}",
               after={"department": department.value, "due": due.isoformat()})
        customer = await uow.customers.get(case.customer_id)
        params = _base(case, customer.name) | {
            "name": actor.staff_name or "", "department": label(DEPARTMENT_LABEL[department]),
            "question": question, "due": _due(desk, due)}
        await _tell_staff(uow, await _role_ids(uow, role), f"case:{case.id}:fwd:{fwd.id}",
                          S_FORWARD, now, desk, params,
                          buttons=[[{"msgid": N_("Reply"), "data": f"fw:{fwd.id}"}]])
        await uow.due.schedule(key=f"fwd:{fwd.id}", kind=FORWARD_KIND, due_at=due,
                               subject_id=str(fwd.id))
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


async def reply_forward(uow: UnitOfWork, actor: Actor, forward_id: int, answer: str, *,
                        now: datetime, desk: Desk) -> str:
    """A department answers a forwarded question once; returns the case number."""
    answer = _clean(answer)
    async with uow:
        fwd = await uow.cases.forward(forward_id)
        if fwd is None or Role(fwd.role.value) not in actor.roles:
            raise NotFound(N_("That request was not found."))
        case = await _load(uow, fwd.case_id)
        if not await uow.cases.answer_forward(forward_id, answer=answer,
                                              staff_id=_staff_id(actor), now=now):
            raise CaseMoved(N_("This request was already answered."))
        department = Department(fwd.role.value)
        _event(uow, case, actor, now, "forward_answered", f"{department.value}: {answer}")
        await uow.due.cancel(f"fwd:{forward_id}")
        params = {"number": case.number, "department": label(DEPARTMENT_LABEL[department]),
                  "answer": answer}
        await _tell_staff(uow, [fwd.asked_by_id, *await _owners(uow, case)],
                          f"case:{case.id}:fwd-answer:{forward_id}", S_FORWARD_ANSWERED, now,
                          desk, params)
        await uow.commit()
        return case.number or ""


async def propose(uow: UnitOfWork, actor: Actor, case_id: int, version: int, solution: str,
                  *, now: datetime, desk: Desk) -> CaseView:
    """Propose a solution (or, for an inquiry, the answer); the customer accepts or not."""
    _require(actor, DESK)
    solution = _clean(solution)
    async with uow:
        case = await _change(uow, actor, case_id, version, "propose", now,
                             status=CaseStatus.SOLUTION_PROPOSED, solution=solution)
        _event(uow, case, actor, now, "proposed", solution, internal=False)
        v = case.version
        await _tell_customer(
            uow, case, f"proposal:{v}",
            C_ANSWERED if case.kind == CaseKind.INQUIRY else C_PROPOSED, now, desk,
            {"number": case.number, "solution": solution}, buttons=_decision_buttons(case))
        # The solution clock stops here (CMP-3); the customer's answer has its own reminder.
        at = desk.calendar.within_business_hours(
            desk.calendar.add_working_days(now, desk.policy.decision_reminder_days),
            desk.policy.business_hours)
        await uow.due.schedule(key=f"decision:{case.id}:{v}", kind=DECISION_KIND, due_at=at,
                               subject_id=str(case.id),
                               payload={"solution": _fingerprint(solution)})
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


def _due(desk: Desk, due: datetime) -> dict[str, Any]:
    """A deadline parameter as people say it, in the company's time zone."""
    return said_deadline(due, desk.calendar, desk.policy.business_hours)


def _fingerprint(solution: str) -> str:
    return hashlib.sha256(solution.encode()).hexdigest()[:16]


def _decision_buttons(case: Case) -> list[list[dict[str, str]]]:
    v = case.version
    return [[{"msgid": N_("Yes, accept"), "data": f"cc:acc:{case.id}:{v}"},
             {"msgid": N_("No, reject"), "data": f"cc:rej:{case.id}:{v}"}]]


async def decide_solution(uow: UnitOfWork, actor: Actor, case_id: int, version: int, *,
                          accept: bool, now: datetime, desk: Desk) -> CaseView:
    """The customer accepts or rejects the proposed solution with a button."""
    async with uow:
        current = await _load(uow, case_id)
        if actor.customer_id is None or actor.customer_id != current.customer_id:
            raise NotFound(N_("That case was not found."))
        customer = await uow.customers.get(current.customer_id)
        if accept:
            inquiry = current.kind == CaseKind.INQUIRY
            case = await _change(uow, actor, case_id, version, "decide", now,
                                 status=CaseStatus.CLOSED if inquiry else CaseStatus.RESOLVED,
                                 resolved_at=now, closed_at=now if inquiry else None)
            _event(uow, case, actor, now, "accepted", internal=False,
                   after={"on_time": now <= case.resolve_due_at})
            await cancel_sla(uow, case, "resolve", case.resolve_due_at)
            if inquiry:
                await _after_close(uow, case, customer.name, now, desk)
            else:
                await _tell_staff(uow, await _owners(uow, case), f"case:{case.id}:accepted",
                                  S_ACCEPTED, now, desk, _base(case, customer.name))
        else:
            case = await _change(uow, actor, case_id, version, "decide", now,
                                 status=CaseStatus.ACKNOWLEDGED)
            _event(uow, case, actor, now, "rejected", internal=False)
            await _tell_staff(uow, await _owners(uow, case),
                              f"case:{case.id}:rejected:{case.version}",
                              S_ANSWER_REJECTED if case.kind == CaseKind.INQUIRY
                              else S_REJECTED, now, desk,
                              _base(case, customer.name)
                              | {"due": _due(desk, case.resolve_due_at)})
        view = await _view(uow, case, internal=False)
        await uow.commit()
        return view


async def propose_deadline(uow: UnitOfWork, actor: Actor, case_id: int, version: int,
                           new_due: date, *, now: datetime, desk: Desk) -> CaseView:
    """For a complex case, propose a later deadline; it holds once the customer agrees."""
    _require(actor, DESK)
    due = datetime.combine(new_due, time(18, 0), tzinfo=desk.calendar.tz).astimezone(
        now.tzinfo)
    async with uow:
        current = await _load(uow, case_id)
        if due <= now or due <= current.resolve_due_at:
            raise DomainError(N_("The new deadline must be later than the current one "
                                 "({due})."),
                              due=current.resolve_due_at.astimezone(desk.calendar.tz).date()
                              .isoformat())
        if not desk.calendar.is_working_day(new_due):
            raise DomainError(N_("{date} is not a working day. Please choose a working day."),
                              date=new_due.isoformat())
        case = await _change(uow, actor, case_id, version, "deadline", now,
                             proposed_due_at=due)
        _event(uow, case, actor, now, "deadline_proposed", due.isoformat(), internal=False)
        v = case.version
        await _tell_customer(
            uow, case, f"deadline:{v}", C_DEADLINE, now, desk,
            {"number": case.number, "due": _due(desk, due)},
            buttons=[[{"msgid": N_("Agree"), "data": f"cc:dly:{case.id}:{v}"},
                      {"msgid": N_("Do not agree"), "data": f"cc:dln:{case.id}:{v}"}]])
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


async def decide_deadline(uow: UnitOfWork, actor: Actor, case_id: int, version: int, *,
                          accept: bool, now: datetime, desk: Desk) -> CaseView:
    """The customer confirms (or declines) the proposed deadline."""
    async with uow:
        current = await _load(uow, case_id)
        if actor.customer_id is None or actor.customer_id != current.customer_id:
            raise NotFound(N_("That case was not found."))
        if current.proposed_due_at is None:
            raise await _moved(uow, current, actor, now)
        customer = await uow.customers.get(current.customer_id)
        old_due, new_due = current.resolve_due_at, current.proposed_due_at
        if accept:
            case = await _change(uow, actor, case_id, version, "deadline", now,
                                 resolve_due_at=new_due, proposed_due_at=None,
                                 deadline_agreed=True)
            _event(uow, case, actor, now, "deadline_agreed", new_due.isoformat(),
                   internal=False, before={"due": old_due.isoformat()},
                   after={"due": new_due.isoformat()})
            await cancel_sla(uow, case, "resolve", old_due)
            await schedule_sla(uow, case, "resolve", now, new_due, desk)
            await _schedule_progress(uow, case, now, desk)
            msgid = S_DEADLINE_AGREED
        else:
            case = await _change(uow, actor, case_id, version, "deadline", now,
                                 proposed_due_at=None)
            _event(uow, case, actor, now, "deadline_declined", internal=False)
            msgid = S_DEADLINE_DECLINED
        await _tell_staff(uow, await _owners(uow, case), f"case:{case.id}:dl:{case.version}",
                          msgid, now, desk,
                          _base(case, customer.name) | {"due": _due(desk, case.resolve_due_at)})
        view = await _view(uow, case, internal=False)
        await uow.commit()
        return view


async def send_progress(uow: UnitOfWork, actor: Actor, case_id: int, version: int,
                        text: str, *, now: datetime, desk: Desk) -> CaseView:
    """Tell the customer how the case is going."""
    _require(actor, DESK)
    text = _clean(text)
    async with uow:
        case = await _change(uow, actor, case_id, version, "progress", now)
        _event(uow, case, actor, now, "progress", text, internal=False)
        await _tell_customer(uow, case, f"progress:{case.version}", C_PROGRESS, now, desk,
                             {"number": case.number, "text": text})
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


async def close(uow: UnitOfWork, actor: Actor, case_id: int, version: int, *,
                root_cause: RootCause | None, root_text: str, action_text: str,
                action_owner_id: int | None, action_due: date | None, now: datetime,
                desk: Desk) -> CaseView:
    """Close a solved complaint with its root cause and a corrective action (CMP-3), or a
    reopened case after the lead's review."""
    _require(actor, DESK)
    async with uow:
        current = await _load(uow, case_id)
        if current.status == CaseStatus.REOPENED and Role.SERVICE_LEAD not in actor.roles:
            raise AccessDenied(N_("A reopened case is closed by the service lead."))
        reviewing = current.status == CaseStatus.REOPENED
        values: dict[str, Any] = {"status": CaseStatus.CLOSED, "closed_at": now}
        if not reviewing and current.kind == CaseKind.COMPLAINT:
            if root_cause is None or action_owner_id is None or action_due is None:
                raise DomainError(N_("A complaint is closed with its root cause and a "
                                     "corrective action."))
            values |= {"root_cause": root_cause.value, "root_cause_text": _clean(root_text)}
            action_text = _clean(action_text)
        case = await _change(uow, actor, case_id, version, "close", now, **values)
        customer = await uow.customers.get(case.customer_id)
        _event(uow, case, actor, now, "closed", root_text if not reviewing else "review",
               internal=False, after={"root_cause": values.get("root_cause")})
        if "root_cause" in values and action_owner_id is not None and action_due is not None:
            owner = await uow.staff.get(action_owner_id)
            due = datetime.combine(action_due, time(18, 0), tzinfo=desk.calendar.tz)
            action = uow.cases.add_action(case_id=case.id, text=action_text, owner_id=owner.id,
                                          due_at=due, created_at=now)
            await uow.flush()
            await uow.due.schedule(key=f"action:{action.id}", kind=ACTION_KIND, due_at=due,
                                   subject_id=str(action.id))
            await _tell_staff(uow, [owner.id], f"case:{case.id}:action:{action.id}",
                              S_ACTION_ASSIGNED, now, desk,
                              {"number": case.number, "due": _due(desk, due), "text": action_text},
                              buttons=[[{"msgid": DONE_BUTTON, "data": f"ca:{action.id}"}]])
        if not reviewing:
            await _after_close(uow, case, customer.name, now, desk)
        else:  # the low score came from the customer: they hear how the review ended
            await _tell_customer(uow, case, f"review-closed:{case.version}", C_REVIEW_CLOSED,
                                 now, desk, {"number": case.number})
        view = await _view(uow, case, internal=True)
        await uow.commit()
        return view


async def _after_close(uow: UnitOfWork, case: Case, company: str, now: datetime,
                       desk: Desk) -> None:
    """CMP-4: the satisfaction survey, and a follow-up visit for the sales rep."""
    msgid = C_CLOSED if case.kind == CaseKind.COMPLAINT else C_ANSWER_CLOSED
    buttons = [[{"msgid": str(n), "data": f"sv:{case.id}:{n}"} for n in range(1, 6)]]
    await _tell_customer(uow, case, "survey", msgid, now, desk, {"number": case.number},
                         buttons=buttons)
    customer = await uow.customers.get(case.customer_id)
    if case.kind != CaseKind.COMPLAINT or customer.owner_id is None:
        return
    due = desk.calendar.add_working_days(now, desk.policy.follow_up_days)
    task = uow.cases.add_task(kind="follow_up_visit", owner_id=customer.owner_id,
                              customer_id=customer.id, case_id=case.id, due_at=due,
                              created_at=now, text=case.number or "")
    await uow.flush()
    await uow.due.schedule(key=f"task:{task.id}", kind=TASK_KIND, due_at=due,
                           subject_id=str(task.id))
    await _tell_staff(uow, [customer.owner_id], f"case:{case.id}:followup", S_FOLLOW_UP, now,
                      desk, {"number": case.number, "company": company, "due": _due(desk, due)},
                      buttons=[[{"msgid": DONE_BUTTON, "data": f"tk:{task.id}"}]])


async def answer_survey(uow: UnitOfWork, actor: Actor, case_id: int, score: str, *,
                        now: datetime, desk: Desk) -> int:
    """The customer's score (1-5), once; a low one reopens the case for the lead's review."""
    value = check_score(score)
    async with uow:
        case = await _load(uow, case_id)
        if actor.customer_id is None or actor.customer_id != case.customer_id:
            raise NotFound(N_("That case was not found."))
        if case.survey_score is not None or case.status != CaseStatus.CLOSED:
            raise CaseMoved(N_("Thank you, your answer for {number} is already recorded."),
                            number=case.number or "")
        low = value <= desk.policy.low_score
        values: dict[str, Any] = {"survey_score": value, "survey_at": now}
        if low:
            values |= {"status": CaseStatus.REOPENED, "reopened_at": now}
        if not await uow.cases.transition(case.id, version=case.version,
                                          statuses=[CaseStatus.CLOSED], updated_at=now,
                                          **values):
            raise await _moved(uow, case, actor, now)
        case = await _load(uow, case_id)
        _event(uow, case, actor, now, "survey", str(value), after={"score": value})
        if low:
            _event(uow, case, actor, now, "reopened", internal=False)
            customer = await uow.customers.get(case.customer_id)
            await _tell_staff(uow, await _role_ids(uow, Role.SERVICE_LEAD),
                              f"case:{case.id}:low-score", S_LOW_SCORE, now, desk,
                              {"number": case.number, "company": customer.name,
                               "score": value})
        await uow.commit()
        return value


async def survey_comment(uow: UnitOfWork, actor: Actor, case_id: int, comment: str, *,
                         now: datetime) -> None:
    comment = _clean(comment)
    async with uow:
        case = await _load(uow, case_id)
        if actor.customer_id != case.customer_id or case.survey_score is None:
            raise NotFound(N_("That case was not found."))
        case.survey_comment = comment
        uow.cases.add_event(case.id, at=now, kind="survey", actor_label=actor.label,
                            text=comment)
        await uow.commit()


async def finish_action(uow: UnitOfWork, actor: Actor, action_id: int, *,
                        now: datetime) -> str:
    """The owner (or the service lead) marks a corrective action done."""
    async with uow:
        action = await uow.cases.action(action_id)
        if action is None or (not owns(actor.staff_id, action.owner_id)
                              and Role.SERVICE_LEAD not in actor.roles):
            raise NotFound(N_("That corrective action was not found."))
        case = await _load(uow, action.case_id)
        if not await uow.cases.finish_action(action_id, now):
            raise CaseMoved(N_("This corrective action is already done."))
        await uow.due.cancel(f"action:{action_id}")
        audit(uow, now=now, action="case.action_done", target_type="case",
              target_id=case.number, actor=actor, after={"action": action_id})
        uow.cases.add_event(case.id, at=now, kind="note", actor_label=actor.label,
                            text=f"corrective action done: {action.text}")
        await uow.commit()
        return case.number or ""


async def finish_task(uow: UnitOfWork, actor: Actor, task_id: int, *, now: datetime) -> None:
    async with uow:
        task = await uow.cases.task(task_id)
        if task is None or not owns(actor.staff_id, task.owner_id):
            raise NotFound(N_("That task was not found."))
        if task.done_at is not None:
            raise CaseMoved(N_("This task is already done."))
        task.done_at = now
        await uow.due.cancel(f"task:{task_id}")
        audit(uow, now=now, action="task.done", target_type="task", target_id=task_id,
              actor=actor)
        await uow.commit()


# -- deadlines (due work) -------------------------------------------------------------------

async def _schedule_progress(uow: UnitOfWork, case: Case, now: datetime, desk: Desk) -> None:
    at = desk.calendar.add_working_days(now, desk.policy.progress_days)
    if at < case.resolve_due_at:
        await uow.due.schedule(key=f"progress:{case.id}:{int(at.timestamp())}",
                               kind=PROGRESS_KIND, due_at=at, subject_id=str(case.id),
                               payload={"due": case.resolve_due_at.isoformat()})


def _stage_done(case: Case, stage: str, due: datetime) -> bool:
    if case.status in CLOCK_STOPPED:
        # Sent, solved or closed: nothing to warn of or escalate. A rejected solution puts the
        # case back to ACKNOWLEDGED and the ladder's remaining steps apply again.
        return True
    if stage == "ack":
        return case.acknowledged_at is not None
    # The solution stage: done once solved, or moot if the deadline was moved since.
    return case.resolved_at is not None or case.resolve_due_at != due


async def on_sla_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                     desk: Desk) -> None:
    """A warning or an escalation level falls due; say nothing if the step is done."""
    case = await uow.cases.get(int(item.subject_id))
    stage, step = item.payload["stage"], item.payload["step"]
    due = datetime.fromisoformat(item.payload["due"])
    if case is None or _stage_done(case, stage, due):
        return
    customer = await uow.customers.get(case.customer_id)
    params = _base(case, customer.name) | {
        "due": _due(desk, due), "step": label(
            STEP_ACK if stage == "ack"
            else STEP_ANSWER if case.kind == CaseKind.INQUIRY else STEP_SOLVE)}
    if step == "warn":
        await _tell_staff(uow, await _owners(uow, case), due_subject(item.key), S_WARN, now,
                          desk, params)
        return
    level = int(step[1:])
    who = LADDER[level - 1]
    if who == "assignee":
        recipients = await _owners(uow, case)
    else:
        recipients = await _role_ids(uow, Role(who))
    await _tell_staff(uow, recipients, due_subject(item.key), S_BREACH, now, desk,
                      params | {"level": level})
    if level > case.escalation_level:  # a stamp, not a change of step: buttons stay valid
        case.escalation_level = level
        case.escalated_at = now
    uow.cases.add_event(case.id, at=now, kind="escalated", actor_label="system",
                        text=f"{stage} L{level} ({who}){' late' if late else ''}")
    audit(uow, now=now, action="case.escalated", target_type="case", target_id=case.number,
          actor_label="system", after={"stage": stage, "level": level, "to": who,
                                       "late": late})


async def on_forward_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                         desk: Desk) -> None:
    fwd = await uow.cases.forward(int(item.subject_id))
    if fwd is None or fwd.answered_at is not None:
        return
    case = await _load(uow, fwd.case_id)
    if case.status == CaseStatus.CLOSED:
        return
    department = Department(fwd.role.value)
    params = {"number": case.number, "department": label(DEPARTMENT_LABEL[department]),
              "due": _due(desk, fwd.due_at)}
    await _tell_staff(uow, [*await _role_ids(uow, fwd.role), fwd.asked_by_id],
                      due_subject(item.key), S_FORWARD_LATE, now, desk, params)


async def on_action_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                        desk: Desk) -> None:
    action = await uow.cases.action(int(item.subject_id))
    if action is None or action.done_at is not None:
        return
    case = await _load(uow, action.case_id)
    await _tell_staff(uow, [action.owner_id, *await _role_ids(uow, Role.SERVICE_LEAD)],
                      due_subject(item.key), S_ACTION_LATE, now, desk,
                      {"number": case.number, "due": _due(desk, action.due_at),
                       "text": action.text},
                      buttons=[[{"msgid": DONE_BUTTON, "data": f"ca:{action.id}"}]])


async def on_progress_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                          desk: Desk) -> None:
    case = await uow.cases.get(int(item.subject_id))
    if case is None or case.status not in (CaseStatus.ACKNOWLEDGED,
                                           CaseStatus.SOLUTION_PROPOSED):
        return
    if case.resolve_due_at.isoformat() != item.payload.get("due"):
        return  # the deadline moved since: its own reminders took over
    if case.status == CaseStatus.ACKNOWLEDGED:  # not while the customer holds the solution
        await _tell_staff(uow, await _owners(uow, case), due_subject(item.key), S_PROGRESS_DUE,
                          now, desk, {"number": case.number,
                                      "due": _due(desk, case.resolve_due_at)})
    await _schedule_progress(uow, case, now, desk)


async def on_decision_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                          desk: Desk) -> None:
    """Remind the customer of a solution still waiting for their yes or no."""
    case = await uow.cases.get(int(item.subject_id))
    if (case is None or case.status != CaseStatus.SOLUTION_PROPOSED
            or _fingerprint(case.solution or "") != item.payload.get("solution")):
        return  # answered, or a newer proposal has its own reminder
    await _tell_customer(uow, case, f"decision-reminder:{case.version}",
                         C_ANSWER_REMINDER if case.kind == CaseKind.INQUIRY
                         else C_DECISION_REMINDER, now, desk,
                         {"number": case.number, "solution": case.solution or ""},
                         buttons=_decision_buttons(case))


async def on_task_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                      desk: Desk) -> None:
    task = await uow.cases.task(int(item.subject_id))
    if task is None or task.done_at is not None or task.customer_id is None:
        return
    customer = await uow.customers.get(task.customer_id)
    await _tell_staff(uow, [task.owner_id], due_subject(item.key), S_TASK_LATE, now, desk,
                      {"company": customer.name, "number": task.text,
                       "due": _due(desk, task.due_at)},
                      buttons=[[{"msgid": DONE_BUTTON, "data": f"tk:{task.id}"}]])


# -- the report (/report complaints) --------------------------------------------------------

@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    total: int
    by_status: dict[CaseStatus, int]
    by_category: dict[Category | None, int]
    by_category_status: dict[tuple[Category | None, CaseStatus], int]
    acknowledged_on_time: float | None  # share of acknowledged cases
    solved_on_time: float | None
    satisfaction: float | None
    answers: int
    root_causes: list[tuple[RootCause, int]]
    open_actions: list[tuple[str, str, str, datetime]]  # (case number, text, owner, due)


async def report(uow: UnitOfWork, actor: Actor, *, start: datetime, end: datetime) -> Report:
    """Complaints and inquiries opened in [start, end), for leads and executives."""
    _require(actor, {Role.SERVICE_LEAD, Role.EXECUTIVE})
    async with uow:
        cases = await uow.cases.opened_between(start, end)
        acked = [c for c in cases if c.acknowledged_at is not None]
        solved = [c for c in cases if c.resolved_at is not None]
        scores = [c.survey_score for c in cases if c.survey_score is not None]
        causes = Counter(RootCause(c.root_cause) for c in cases if c.root_cause)
        actions = []
        for action in await uow.cases.open_actions():
            case = await _load(uow, action.case_id)
            owner = await uow.staff.get(action.owner_id)
            actions.append((case.number or "", action.text, owner.name, action.due_at))
        return Report(
            start, end, len(cases), dict(Counter(c.status for c in cases)),
            dict(Counter(c.category for c in cases)),
            dict(Counter((c.category, c.status) for c in cases)),
            (sum(1 for c in acked if c.acknowledged_at and c.acknowledged_at <= c.ack_due_at)
             / len(acked)) if acked else None,
            (sum(1 for c in solved if c.resolved_at and c.resolved_at <= c.resolve_due_at)
             / len(solved)) if solved else None,
            sum(scores) / len(scores) if scores else None, len(scores),
            causes.most_common(5), actions)


def period_of(text: str, now: datetime, calendar: WorkingCalendar) -> tuple[datetime, datetime]:
    """A report period: '30d', '2026-11', '2026-Q4', '2026'; the last 30 days by default."""
    text = text.strip().upper()
    tz = calendar.tz
    local_today = now.astimezone(tz).date()

    def at(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(now.tzinfo)

    try:
        if not text:
            return at(local_today - timedelta(days=29)), now
        if text.endswith("D") and text[:-1].isdigit() and 0 < int(text[:-1]) <= 3660:
            return at(local_today - timedelta(days=int(text[:-1]) - 1)), now
        if len(text) == 4 and text.isdigit():
            year = int(text)
            return at(date(year, 1, 1)), at(date(year + 1, 1, 1))
        if len(text) == 7 and text[4] == "-" and text[5] == "Q" and text[6] in "1234":
            year, quarter = int(text[:4]), int(text[6])
            first = date(year, 3 * quarter - 2, 1)
            after = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
            return at(first), at(after)
        if len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            first = date(year, month, 1)
            return at(first), at(date(year + (month == 12), month % 12 + 1, 1))
    except (ValueError, OverflowError):  # no such month, or a year the time zone cannot reach
        pass
    raise DomainError(N_("I did not understand the period. Use for example 30d, 2026-11, "
                         "2026-Q4 or 2026."))
