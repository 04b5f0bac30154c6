"""Customer admission (ADM-1..ADM-4): file an application, review it in stages, admit.

A sales rep files the form with its declarations and proof files. The sales head reviews
first; then market, finance and legal side by side; then the executive. Each step has a
working-day deadline with a reminder and an escalation to the executive (due work). A
reviewer approves, rejects or asks the applicant for more information; a rejection ends the
application, a question pauses only that step until the applicant answers. Every decision is
one conditional update (of two reviewers deciding at once, one wins and the other is told
who decided) and keeps who, when, verdict, comment and the files seen then (ADM-4). On the
executive's approval the customer is created with the finance-proposed credit terms, and the
applicant gets an invite link for its contacts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.access import may_work_prospect, owns
from domain.admission import (
    DECLARATIONS,
    FIELDS,
    JOINT,
    MAX_FILES,
    STAGE_ROLE,
    AdmissionPolicy,
    AppStatus,
    Stage,
    StepStatus,
    Verdict,
    application_number,
    check_field,
    customer_code,
    next_stages,
)
from domain.calendar import WorkingCalendar
from domain.cases import Attachment, check_attachment, warning_at
from domain.enums import Grade, Role
from domain.errors import N_, AccessDenied, AlreadyDecided, DomainError, NotFound, Np_
from domain.keys import due_subject
from services.audit import audit
from services.cards import Actor
from services.identity import hash_token
from services.notify import label, moment, role_ids, tell_staff
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.models import Application, DueWork, ReviewStep

REVIEW_KIND = "admission.review"
SEES_ALL = frozenset({Role.SALES_HEAD, Role.MARKET, Role.FINANCE, Role.LEGAL, Role.EXECUTIVE,
                      Role.ADMIN})

STAGE_LABEL = {
    Stage.SALES_HEAD: N_("Sales head review"),
    Stage.MARKET: N_("Market review"),
    Stage.FINANCE: N_("Finance review"),
    Stage.LEGAL: N_("Legal review"),
    Stage.EXECUTIVE: N_("Executive approval"),
}
APP_STATUS_LABEL = {
    AppStatus.IN_REVIEW: N_("In review"),
    AppStatus.INFO_REQUESTED: N_("Waiting for more information from the applicant"),
    AppStatus.APPROVED: N_("Approved"),
    AppStatus.REJECTED: N_("Rejected"),
}
VERDICT_LABEL = {
    StepStatus.APPROVED: N_("approved"),
    StepStatus.REJECTED: N_("rejected"),
    StepStatus.INFO: N_("asked for more information"),
    StepStatus.SUPERSEDED: N_("not needed any more"),
    StepStatus.PENDING: N_("waiting"),
}
R_REVIEW = N_("{stage} of {number} ({company}) is yours, due by {due}. /pending lists what "
              "waits for you.")
R_REMIND = N_("Reminder: {stage} of {number} ({company}) is due by {due}.")
R_LATE = N_("Overdue: {stage} of {number} ({company}) was due by {due} and is not decided.")
A_STEP = N_("{number} ({company}): {stage} {verdict}.")
A_REJECTED = N_("{number} ({company}) was rejected at {stage}. Reason: {comment}")
A_INFO = N_("{number} ({company}): {stage} asks for more information:\n{comment}")
A_APPROVED = N_("{number} ({company}) is approved. The customer code is {code}. Invite its "
                "contacts with this link (it works once): {link}")
ANSWER_BUTTON = N_("Answer")


@dataclass(frozen=True)
class Admission:
    """What admission needs from the running bot's configuration."""

    calendar: WorkingCalendar
    policy: AdmissionPolicy
    default_locale: str
    invite_days: int = 7


@dataclass(frozen=True)
class StepView:
    step_id: int
    stage: Stage
    status: StepStatus
    due_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    credit_limit: Decimal | None
    payment_term_days: int | None
    files_seen: int
    answer: str | None


@dataclass(frozen=True)
class AppView:
    app_id: int
    number: str
    status: AppStatus
    applicant: str
    applicant_id: int
    fields: dict[str, str]
    declarations: dict[str, bool]
    files: list[tuple[str, str, str]]  # (kind, file_id, file name)
    submitted_at: datetime
    customer_code: str | None
    steps: list[StepView] = field(default_factory=list)
    events: list[tuple[datetime, str, str, str]] = field(default_factory=list)

    @property
    def company(self) -> str:
        return self.fields.get("company", "")


# -- filing ---------------------------------------------------------------------------------

def _may_apply(actor: Actor) -> None:
    if not actor.roles & {Role.SALES, Role.SALES_HEAD}:
        raise AccessDenied(N_("Only sales staff can file admission applications."))


def check_form(fields: dict[str, Any], declarations: dict[str, Any]) -> None:
    missing = [name for name in FIELDS if not str(fields.get(name, "")).strip()]
    if missing or set(declarations) != set(DECLARATIONS):
        raise DomainError(N_("The application is not complete yet."))
    for name in FIELDS:
        check_field(name, str(fields[name]))


async def submit(uow: UnitOfWork, actor: Actor, *, fields: dict[str, str],
                 declarations: dict[str, bool], files: Sequence[Attachment], now: datetime,
                 adm: Admission, prospect_id: int | None = None) -> AppView:
    """File a complete application; the sales head's step opens at once."""
    _may_apply(actor)
    check_form(fields, declarations)
    if len(files) > MAX_FILES:
        raise DomainError(Np_("You can attach at most {count} file.",
                               "You can attach at most {count} files."), count=MAX_FILES)
    for index, attachment in enumerate(files):
        check_attachment(attachment, index)
    async with uow:
        assert actor.staff_id is not None
        app = uow.applications.add(applicant_id=actor.staff_id, status=AppStatus.IN_REVIEW,
                                   fields=dict(fields), declarations=dict(declarations),
                                   submitted_at=now, updated_at=now)
        await uow.flush()
        app.number = application_number(app.id)
        for attachment in files:
            uow.applications.add_file(app.id, kind=attachment.kind, file_id=attachment.file_id,
                                      file_unique_id=attachment.file_unique_id,
                                      file_name=attachment.file_name[:300],
                                      mime_type=attachment.mime_type[:100],
                                      size=attachment.size, added_at=now)
        uow.applications.add_event(app.id, at=now, kind="filed", actor_label=actor.label)
        if prospect_id is not None:  # the prospect it grew from (DEV-1)
            prospect = await uow.customer_file.prospect(prospect_id)
            if prospect is not None and may_work_prospect(
                    actor.roles, owns_prospect=owns(actor.staff_id, prospect.owner_id)):
                prospect.status, prospect.application_id = "applied", app.id
                prospect.updated_at = now
        audit(uow, now=now, action="application.filed", target_type="application",
              target_id=app.number, actor=actor,
              after={"company": fields["company"], "declarations": declarations,
                     "files": len(files)})
        await _open(uow, app, Stage.SALES_HEAD, now, adm)
        await uow.dialogs.delete(actor.telegram_id)
        view = await _view(uow, app)
        await uow.commit()
        return view


async def _open(uow: UnitOfWork, app: Application, stage: Stage, now: datetime,
                adm: Admission) -> ReviewStep:
    """Open a review step with its deadline, reminder and escalation; tell the reviewers."""
    due = adm.calendar.add_working_days(now, adm.policy.review_days)
    step = uow.applications.add_step(application_id=app.id, stage=stage,
                                     status=StepStatus.PENDING, opened_at=now, due_at=due,
                                     files_seen=[])
    await uow.flush()
    warn = warning_at(now, due, adm.calendar, adm.policy.warn_share,
                      adm.policy.business_hours)
    if warn is not None:
        await uow.due.schedule(key=f"adm:{step.id}:warn", kind=REVIEW_KIND, due_at=warn,
                               subject_id=str(step.id), payload={"step": "warn"})
    await uow.due.schedule(key=f"adm:{step.id}:late", kind=REVIEW_KIND, due_at=due,
                           subject_id=str(step.id), payload={"step": "late"})
    params = {"stage": label(_stage_label(stage)), "number": app.number,
              "company": app.fields.get("company", ""), "due": moment(due)}
    await _tell(uow, await _role_ids(uow, STAGE_ROLE[stage]), f"adm:{step.id}:open", R_REVIEW,
                now, adm, params,
                buttons=[[{"msgid": N_("Open the application"), "data": f"ap:v:{step.id}"}]])
    return step


def _stage_label(stage: Stage) -> str:
    return STAGE_LABEL[stage]


_role_ids = role_ids


async def _tell(uow: UnitOfWork, staff_ids: Iterable[int], subject: str, msgid: str,
                now: datetime, adm: Admission, params: dict[str, Any],
                buttons: list[list[dict[str, str]]] | None = None) -> None:
    await tell_staff(uow, staff_ids, subject, msgid, now, default_locale=adm.default_locale,
                     params=params, buttons=buttons)


# -- reading --------------------------------------------------------------------------------

async def _view(uow: UnitOfWork, app: Application) -> AppView:
    applicant = await uow.staff.get(app.applicant_id)
    names: dict[int, str] = {}
    steps = []
    for step in await uow.applications.steps(app.id):
        who = None
        if step.decided_by_id is not None:
            if step.decided_by_id not in names:
                names[step.decided_by_id] = (await uow.staff.get(step.decided_by_id)).name
            who = names[step.decided_by_id]
        steps.append(StepView(step.id, step.stage, step.status, step.due_at, who,
                              step.decided_at, step.comment, step.credit_limit,
                              step.payment_term_days, len(step.files_seen or []), step.answer))
    files = [(f.kind, f.file_id, f.file_name) for f in await uow.applications.files(app.id)]
    events = [(e.at, e.kind, e.actor_label, e.text) for e in await uow.applications.events(app.id)]
    code = None
    if app.customer_id is not None:
        code = (await uow.customers.get(app.customer_id)).code
    return AppView(app.id, app.number or "", app.status, applicant.name, applicant.id,
                   dict(app.fields), dict(app.declarations), files, app.submitted_at, code,
                   steps, events)


def _entitled(actor: Actor, app: Application) -> bool:
    return bool(actor.roles & SEES_ALL) or owns(actor.staff_id, app.applicant_id)


async def view(uow: UnitOfWork, actor: Actor, *, number: str | None = None,
               step_id: int | None = None) -> AppView:
    """An application with its timeline, for the applicant and anyone who reviews."""
    async with uow:
        app = None
        if step_id is not None:
            step = await uow.applications.step(step_id)
            app = await uow.applications.get(step.application_id) if step else None
        elif number is not None:
            app = await uow.applications.by_number(number)
        if app is None or not _entitled(actor, app):
            raise NotFound(N_("That application was not found."))
        return await _view(uow, app)


@dataclass(frozen=True)
class PendingItem:
    step_id: int
    number: str
    company: str
    stage: Stage
    due_at: datetime
    waiting_for_me: bool  # False: the applicant must answer a question


async def pending(uow: UnitOfWork, actor: Actor) -> list[PendingItem]:
    """What waits for this person: review steps of their roles, and questions to answer."""
    stages = [stage for stage, role in STAGE_ROLE.items() if role in actor.roles]
    items: list[PendingItem] = []
    async with uow:
        for step in await uow.applications.pending(stages):
            app = await uow.applications.get(step.application_id)
            assert app is not None
            items.append(PendingItem(step.id, app.number or "", app.fields.get("company", ""),
                                     step.stage, step.due_at, True))
        if actor.staff_id is not None:
            for app in await uow.applications.of_applicant(actor.staff_id):
                if app.status != AppStatus.INFO_REQUESTED:
                    continue
                for step in await uow.applications.steps(app.id):
                    if step.status == StepStatus.INFO and step.answer is None:
                        items.append(PendingItem(step.id, app.number or "",
                                                 app.fields.get("company", ""), step.stage,
                                                 step.due_at, False))
    return items


# -- deciding -------------------------------------------------------------------------------

async def open_step(uow: UnitOfWork, actor: Actor, step_id: int, *, now: datetime) -> AppView:
    """Check that `actor` may decide this step now (denials are audited); return the card."""
    async with uow:
        _, app = await _reviewable(uow, actor, step_id, now)
        return await _view(uow, app)


async def _reviewable(uow: UnitOfWork, actor: Actor, step_id: int, now: datetime
                      ) -> tuple[ReviewStep, Application]:
    step = await uow.applications.step(step_id)
    app = await uow.applications.get(step.application_id) if step else None
    if step is None or app is None:
        raise NotFound(N_("That application was not found."))
    if STAGE_ROLE[step.stage] not in actor.roles:
        # A press from someone who may not decide this step (forged or forwarded): kept,
        # and answered as for a missing one so that step numbers reveal nothing (R18).
        audit(uow, now=now, action="application.denied", target_type="application",
              target_id=app.number, actor=actor, after={"stage": step.stage.value})
        await uow.commit()
        raise NotFound(N_("That application was not found.")).mark_audited()
    if step.status != StepStatus.PENDING:
        raise await _decided(uow, step, app, actor, now)
    return step, app


async def _decided(uow: UnitOfWork, step: ReviewStep, app: Application, actor: Actor,
                   now: datetime) -> AlreadyDecided:
    """Tell who decided first; the late press is kept in the audit log (R7, R15)."""
    audit(uow, now=now, action="application.stale_press", target_type="application",
          target_id=app.number, actor=actor, after={"stage": step.stage.value})
    await uow.commit()
    fresh = await uow.applications.step(step.id)
    assert fresh is not None
    who = (await uow.staff.get(fresh.decided_by_id)).name if fresh.decided_by_id else "-"
    return AlreadyDecided(N_("{number}: this step was already decided by {name} ({when}); "
                             "nothing was changed."), number=app.number or "", name=who,
                          when=fresh.decided_at or now)


async def decide(uow: UnitOfWork, actor: Actor, step_id: int, *, verdict: Verdict,
                 comment: str, now: datetime, adm: Admission,
                 credit_limit: Decimal | None = None,
                 payment_term_days: int | None = None) -> AppView:
    """A reviewer's verdict on their step, recorded with the files they saw (ADM-4)."""
    comment = (comment or "").strip()
    if len(comment) < 2:
        raise DomainError(N_("Please give a short comment or reason."))
    async with uow:
        step, app = await _reviewable(uow, actor, step_id, now)
        if verdict == Verdict.APPROVE and step.stage == Stage.FINANCE and (
                credit_limit is None or payment_term_days is None):
            raise DomainError(N_("Finance approves with a credit limit and a payment term."))
        files = [f.file_unique_id for f in await uow.applications.files(app.id)]
        status = {Verdict.APPROVE: StepStatus.APPROVED, Verdict.REJECT: StepStatus.REJECTED,
                  Verdict.INFO: StepStatus.INFO}[verdict]
        assert actor.staff_id is not None
        if not await uow.applications.decide(step.id, status=status,
                                             decided_by_id=actor.staff_id, decided_at=now,
                                             comment=comment[:2000], files_seen=files,
                                             credit_limit=credit_limit,
                                             payment_term_days=payment_term_days):
            raise await _decided(uow, step, app, actor, now)
        for kind in ("warn", "late"):
            await uow.due.cancel(f"adm:{step.id}:{kind}")
        uow.applications.add_event(app.id, at=now, kind=f"{step.stage.value}.{verdict.value}",
                                   actor_label=actor.label, text=comment)
        audit(uow, now=now, action=f"application.{verdict.value}", target_type="application",
              target_id=app.number, actor=actor,
              after={"stage": step.stage.value, "comment": comment, "files_seen": files,
                     "credit_limit": str(credit_limit) if credit_limit is not None else None,
                     "payment_term_days": payment_term_days})
        params = {"number": app.number, "company": app.fields.get("company", ""),
                  "stage": label(_stage_label(step.stage)), "comment": comment}
        if verdict == Verdict.REJECT:
            await uow.applications.supersede_pending(app.id)
            app.status, app.decided_at, app.updated_at = AppStatus.REJECTED, now, now
            await _tell(uow, [app.applicant_id], f"adm:{step.id}:rejected", A_REJECTED, now,
                        adm, params)
        elif verdict == Verdict.INFO:
            app.status, app.updated_at = AppStatus.INFO_REQUESTED, now
            await _tell(uow, [app.applicant_id], f"adm:{step.id}:info", A_INFO, now, adm,
                        params, buttons=[[{"msgid": ANSWER_BUTTON, "data": f"ap:a:{step.id}"}]])
        else:
            await _tell(uow, [app.applicant_id], f"adm:{step.id}:approved", A_STEP, now, adm,
                        params | {"verdict": label(VERDICT_LABEL[StepStatus.APPROVED])})
            await _advance(uow, app, step, now, adm)
        result = await _view(uow, app)
        await uow.commit()
        return result


async def _advance(uow: UnitOfWork, app: Application, step: ReviewStep, now: datetime,
                   adm: Admission) -> None:
    """Open what follows an approval, or admit the customer after the executive."""
    if step.stage == Stage.EXECUTIVE:
        await _admit(uow, app, now, adm)
        return
    steps = await uow.applications.steps(app.id)
    approved = {s.stage for s in steps if s.status == StepStatus.APPROVED and s.stage in JOINT}
    for stage in next_stages(step.stage, approved - {step.stage}):
        await _open(uow, app, stage, now, adm)
    await _settle_status(uow, app, now)


async def _settle_status(uow: UnitOfWork, app: Application, now: datetime) -> None:
    """In review, or waiting for the applicant while any question is unanswered."""
    asking = [s for s in await uow.applications.steps(app.id)
              if s.status == StepStatus.INFO and s.answer is None]
    app.status = AppStatus.INFO_REQUESTED if asking else AppStatus.IN_REVIEW
    app.updated_at = now


async def _admit(uow: UnitOfWork, app: Application, now: datetime, adm: Admission) -> None:
    """Create the customer with finance's terms, the applicant as owner, and an invite."""
    steps = await uow.applications.steps(app.id)
    finance = next((s for s in reversed(steps)
                    if s.stage == Stage.FINANCE and s.status == StepStatus.APPROVED), None)
    fields = app.fields
    code = customer_code(app.id)
    customer = uow.customers.add(
        code=code, name=fields["company"][:300], legal_representative=fields["legal_rep"][:200],
        registered_address=fields["address"][:500], phone=fields["contacts"][:64],
        business_scope=fields["scope"], scale=fields["scale"][:200],
        purchase_volume=fields["volume"][:200], owner_id=app.applicant_id,
        grade=Grade(adm.policy.starting_grade),
        credit_limit=finance.credit_limit if finance else None,
        credit_currency=adm.policy.currency,
        payment_term_days=finance.payment_term_days if finance else None,
        created_at=now, updated_at=now)
    await uow.flush()
    app.status, app.decided_at, app.updated_at, app.customer_id = (
        AppStatus.APPROVED, now, now, customer.id)
    token = secrets.token_urlsafe(24)
    uow.invites.add(customer_id=customer.id, token_hash=hash_token(token),
                    created_by_id=app.applicant_id, created_at=now,
                    expires_at=now + timedelta(days=adm.invite_days))
    uow.applications.add_event(app.id, at=now, kind="admitted", actor_label="system",
                               text=code)
    audit(uow, now=now, action="customer.admitted", target_type="customer", target_id=code,
          actor_label="system", after={"application": app.number, "grade": customer.grade.value,
                                       "credit_limit": str(customer.credit_limit),
                                       "payment_term_days": customer.payment_term_days})
    await _tell(uow, [app.applicant_id], f"application:{app.id}:admitted", A_APPROVED, now, adm,
                {"number": app.number, "company": fields["company"], "code": code,
                 "link": {"start": token}})


async def answer(uow: UnitOfWork, actor: Actor, step_id: int, text: str,
                 files: Sequence[Attachment], *, now: datetime, adm: Admission) -> AppView:
    """The applicant answers a reviewer's question; that stage's review opens again."""
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError(N_("Please write your answer as text."))
    async with uow:
        step = await uow.applications.step(step_id)
        app = await uow.applications.get(step.application_id) if step else None
        if step is None or app is None or actor.staff_id != app.applicant_id:
            raise NotFound(N_("That application was not found."))
        if step.status != StepStatus.INFO or step.answer is not None:
            raise AlreadyDecided(N_("{number}: this question was already answered."),
                                 number=app.number or "")
        existing = len(await uow.applications.files(app.id))
        for index, attachment in enumerate(files):
            check_attachment(attachment, existing + index)
            uow.applications.add_file(app.id, kind=attachment.kind, file_id=attachment.file_id,
                                      file_unique_id=attachment.file_unique_id,
                                      file_name=attachment.file_name[:300],
                                      mime_type=attachment.mime_type[:100],
                                      size=attachment.size, added_at=now)
        step.answer = text[:2000]
        uow.applications.add_event(app.id, at=now, kind="answered", actor_label=actor.label,
                                   text=text)
        audit(uow, now=now, action="application.answered", target_type="application",
              target_id=app.number, actor=actor, after={"stage": step.stage.value,
                                                        "files": len(files)})
        await uow.flush()
        await _open(uow, app, step.stage, now, adm)
        await _settle_status(uow, app, now)
        await uow.dialogs.delete(actor.telegram_id)
        result = await _view(uow, app)
        await uow.commit()
        return result


async def on_review_due(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                        adm: Admission) -> None:
    """Remind the reviewers before a step's deadline; after it, escalate to the executive."""
    step = await uow.applications.step(int(item.subject_id))
    if step is None or step.status != StepStatus.PENDING:
        return
    app = await uow.applications.get(step.application_id)
    assert app is not None
    params = {"stage": label(_stage_label(step.stage)), "number": app.number,
              "company": app.fields.get("company", ""), "due": moment(step.due_at)}
    reviewers = await _role_ids(uow, STAGE_ROLE[step.stage])
    if item.payload.get("step") == "warn":
        await _tell(uow, reviewers, due_subject(item.key), R_REMIND, now, adm, params)
        return
    await _tell(uow, [*reviewers, *await _role_ids(uow, Role.EXECUTIVE)],
                due_subject(item.key), R_LATE, now, adm, params,
                buttons=[[{"msgid": N_("Open the application"), "data": f"ap:v:{step.id}"}]])
    uow.applications.add_event(app.id, at=now, kind="escalated", actor_label="system",
                               text=step.stage.value)
    audit(uow, now=now, action="application.escalated", target_type="application",
          target_id=app.number, actor_label="system",
          after={"stage": step.stage.value, "late": late})
