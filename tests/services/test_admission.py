"""Admission on a real database with a controlled clock: the stages, each rejection, the
information loop, the deadlines, the race between two reviewers, and what approval creates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.sweeps import Sweeps
from domain.admission import AdmissionPolicy, AppStatus, Stage, StepStatus, Verdict
from domain.calendar import WorkingCalendar
from domain.cases import Attachment
from domain.enums import Grade, Role
from domain.errors import AccessDenied, AlreadyDecided, DomainError, NotFound
from services import admission
from services.admission import REVIEW_KIND, Admission, on_review_due
from services.cards import Actor
from storage.models import AuditEntry, Invite, OutboxMessage
from tests.support.world import (
    ACME_CHEN,
    EXEC_ZHOU,
    FINANCE_FANG,
    FINANCE_MEI,
    LEGAL_LU,
    MARKET_MA,
    SALES_HEAD_HAN,
    SALES_WANG,
    seed,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
ADM = Admission(WorkingCalendar("CN", "Asia/Shanghai"), AdmissionPolicy(), "en")
FORM = {"company": "Huaxin Metals Ltd", "legal_rep": "Zhang Wei",
        "address": "88 Binjiang Rd, Hangzhou", "contacts": "Zhang Wei +86 138 0000 0000",
        "scope": "Metal trading", "scale": "120 staff, CNY 80m revenue",
        "intent": "Long-term supply of galvanised pipe", "volume": "300 t a year"}
DECLARED = {"licence": True, "reputation": True, "violations": True, "strength": True,
            "rules": True}
LICENCE = Attachment("document", "lic1", "u-lic1", "licence.pdf", "application/pdf", 90_000)


@pytest.fixture
async def world(uow_factory, tmp_path):
    await seed(uow_factory, tmp_path, MONDAY - timedelta(days=30))
    return uow_factory


async def who(world, persona, *roles: Role) -> Actor:
    async with world() as uow:
        member = await uow.staff.get_by_telegram_id(persona.id)
        return Actor(telegram_id=persona.id, locale="en", roles=frozenset(roles),
                     staff_id=member.id, staff_name=member.name)


async def file(world, at=MONDAY) -> admission.AppView:
    wang = await who(world, SALES_WANG, Role.SALES)
    return await admission.submit(world(), wang, fields=FORM, declarations=DECLARED,
                                  files=[LICENCE], now=at, adm=ADM)


def pending_step(view: admission.AppView, stage: Stage) -> int:
    return next(s.step_id for s in view.steps
                if s.stage == stage and s.status == StepStatus.PENDING)


async def notices(world, chat_id: int) -> list[dict]:
    async with world() as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id))).scalars()
        return [r.payload for r in rows]


async def test_the_whole_review_with_a_question_then_admission(world):
    view = await file(world)
    assert view.number == "ADM-000001" and view.status == AppStatus.IN_REVIEW
    han = await who(world, SALES_HEAD_HAN, Role.SALES_HEAD)
    assert [n["msgid"] for n in await notices(world, SALES_HEAD_HAN.id)] == [admission.R_REVIEW]
    t = MONDAY + timedelta(hours=1)
    view = await admission.decide(world(), han, pending_step(view, Stage.SALES_HEAD),
                                  verdict=Verdict.APPROVE, comment="Real demand, fits us.",
                                  now=t, adm=ADM)
    assert {s.stage for s in view.steps if s.status == StepStatus.PENDING} == {
        Stage.MARKET, Stage.FINANCE, Stage.LEGAL}
    mei = await who(world, FINANCE_MEI, Role.FINANCE)
    ma = await who(world, MARKET_MA, Role.MARKET)
    lu = await who(world, LEGAL_LU, Role.LEGAL)
    with pytest.raises(DomainError):  # finance approves with terms
        await admission.decide(world(), mei, pending_step(view, Stage.FINANCE),
                               verdict=Verdict.APPROVE, comment="ok", now=t, adm=ADM)
    view = await admission.decide(world(), mei, pending_step(view, Stage.FINANCE),
                                  verdict=Verdict.APPROVE, comment="Sound balance sheet.",
                                  now=t, adm=ADM, credit_limit=Decimal("500000"),
                                  payment_term_days=45)
    view = await admission.decide(world(), ma, pending_step(view, Stage.MARKET),
                                  verdict=Verdict.APPROVE, comment="Growing segment.", now=t,
                                  adm=ADM)
    legal_step = pending_step(view, Stage.LEGAL)
    view = await admission.decide(world(), lu, legal_step, verdict=Verdict.INFO,
                                  comment="Send the litigation record.", now=t, adm=ADM)
    assert view.status == AppStatus.INFO_REQUESTED
    assert not any(s.stage == Stage.EXECUTIVE for s in view.steps)  # legal has not approved
    wang = await who(world, SALES_WANG, Role.SALES)
    [question] = [n for n in await notices(world, SALES_WANG.id)
                  if n["msgid"] == admission.A_INFO]
    assert question["buttons"][0][0]["data"] == f"ap:a:{legal_step}"
    assert [i.waiting_for_me for i in await admission.pending(world(), wang)] == [False]
    record = Attachment("document", "lit1", "u-lit1", "litigation.pdf", "application/pdf", 5)
    view = await admission.answer(world(), wang, legal_step, "No litigation; record attached.",
                                  [record], now=t, adm=ADM)
    assert view.status == AppStatus.IN_REVIEW and len(view.files) == 2
    with pytest.raises(AlreadyDecided):
        await admission.answer(world(), wang, legal_step, "again", [], now=t, adm=ADM)
    view = await admission.decide(world(), lu, pending_step(view, Stage.LEGAL),
                                  verdict=Verdict.APPROVE, comment="Clean.", now=t, adm=ADM)
    zhou = await who(world, EXEC_ZHOU, Role.EXECUTIVE)
    view = await admission.decide(world(), zhou, pending_step(view, Stage.EXECUTIVE),
                                  verdict=Verdict.APPROVE, comment="Welcome.", now=t, adm=ADM)
    assert view.status == AppStatus.APPROVED and view.customer_code == "C000001"
    # The decisions keep who, when, verdict, comment and what was seen (ADM-4).
    legal = [s for s in view.steps if s.stage == Stage.LEGAL]
    assert [s.status for s in legal] == [StepStatus.INFO, StepStatus.APPROVED]
    assert legal[0].files_seen == 1 and legal[1].files_seen == 2 and legal[1].decided_by == "Lu"
    async with world() as uow:
        customer = await uow.customers.get_by_code("C000001")
        assert customer is not None and customer.name == "Huaxin Metals Ltd"
        assert customer.credit_limit == Decimal("500000.00")
        assert customer.payment_term_days == 45 and customer.grade == Grade.B
        assert customer.owner_id == wang.staff_id
        invites = (await uow.session.execute(select(Invite).where(
            Invite.customer_id == customer.id))).scalars().all()
        assert len(invites) == 1
        actions = [a.action for a in (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.target_id == "ADM-000001")
            .order_by(AuditEntry.id))).scalars()]
    assert actions == ["application.filed", "application.approve", "application.approve",
                       "application.approve", "application.info", "application.answered",
                       "application.approve", "application.approve"]
    [admitted] = [n for n in await notices(world, SALES_WANG.id)
                  if n["msgid"] == admission.A_APPROVED]
    assert admitted["params"]["code"] == "C000001" and "start" in admitted["params"]["link"]


@pytest.mark.parametrize("stage", list(Stage))
async def test_a_rejection_at_any_stage_ends_it_and_tells_the_applicant_why(world, stage):
    view = await file(world)
    deciders = {
        Stage.SALES_HEAD: (SALES_HEAD_HAN, Role.SALES_HEAD),
        Stage.MARKET: (MARKET_MA, Role.MARKET), Stage.FINANCE: (FINANCE_MEI, Role.FINANCE),
        Stage.LEGAL: (LEGAL_LU, Role.LEGAL), Stage.EXECUTIVE: (EXEC_ZHOU, Role.EXECUTIVE)}
    order = [Stage.SALES_HEAD, Stage.MARKET, Stage.FINANCE, Stage.LEGAL, Stage.EXECUTIVE]
    for current in order:
        actor = await who(world, *deciders[current])
        step = pending_step(view, current)
        if current == stage:
            view = await admission.decide(world(), actor, step, verdict=Verdict.REJECT,
                                          comment="Unpaid debts elsewhere.", now=MONDAY,
                                          adm=ADM)
            break
        view = await admission.decide(world(), actor, step, verdict=Verdict.APPROVE,
                                      comment="Fine.", now=MONDAY, adm=ADM,
                                      credit_limit=Decimal(1000), payment_term_days=30)
    assert view.status == AppStatus.REJECTED and view.customer_code is None
    assert not any(s.status == StepStatus.PENDING for s in view.steps)
    [told] = [n for n in await notices(world, SALES_WANG.id)
              if n["msgid"] == admission.A_REJECTED]
    assert told["params"]["comment"] == "Unpaid debts elsewhere."


async def test_two_reviewers_deciding_at_once_make_one_decision(world):
    view = await file(world)
    han = await who(world, SALES_HEAD_HAN, Role.SALES_HEAD)
    view = await admission.decide(world(), han, pending_step(view, Stage.SALES_HEAD),
                                  verdict=Verdict.APPROVE, comment="Go.", now=MONDAY, adm=ADM)
    step = pending_step(view, Stage.FINANCE)
    mei = await who(world, FINANCE_MEI, Role.FINANCE)
    fang = await who(world, FINANCE_FANG, Role.FINANCE)
    results = await asyncio.gather(
        admission.decide(world(), mei, step, verdict=Verdict.APPROVE, comment="Yes.",
                         now=MONDAY, adm=ADM, credit_limit=Decimal(1), payment_term_days=30),
        admission.decide(world(), fang, step, verdict=Verdict.REJECT, comment="No.",
                         now=MONDAY, adm=ADM),
        return_exceptions=True)
    won = [r for r in results if isinstance(r, admission.AppView)]
    lost = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(won) == 1 and len(lost) == 1, results
    finance = [s for s in won[0].steps if s.stage == Stage.FINANCE]
    assert len(finance) == 1 and lost[0].params["name"] == finance[0].decided_by
    async with world() as uow:
        decisions = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action.in_(["application.approve", "application.reject"]),
            AuditEntry.after["stage"].as_string() == "finance"))).scalars().all()
        stale = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "application.stale_press"))).scalars().all()
    assert len(decisions) == 1 and len(stale) == 1


async def test_a_customer_contact_cannot_approve_and_the_attempt_is_kept(world):
    view = await file(world)
    chen = Actor(telegram_id=ACME_CHEN.id, locale="zh_Hant", contact_id=1, customer_id=1)
    # The same answer as for a step that does not exist (R18), and the attempt is kept.
    with pytest.raises(NotFound, match="application was not found"):
        await admission.decide(world(), chen, pending_step(view, Stage.SALES_HEAD),
                               verdict=Verdict.APPROVE, comment="me", now=MONDAY, adm=ADM)
    wang = await who(world, SALES_WANG, Role.SALES)  # nor the applicant, for their own
    with pytest.raises(NotFound, match="application was not found"):
        await admission.decide(world(), wang, pending_step(view, Stage.SALES_HEAD),
                               verdict=Verdict.APPROVE, comment="me", now=MONDAY, adm=ADM)
    async with world() as uow:
        denied = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "application.denied"))).scalars().all()
        assert len(denied) == 2
    view = await admission.view(world(), wang, number="ADM-000001")
    assert [s.status for s in view.steps] == [StepStatus.PENDING]


async def test_review_deadlines_remind_then_escalate_once_and_stop_when_decided(world):
    view = await file(world)  # Monday 10:00: due Wednesday 10:00, reminder Tuesday 10:00
    sweeps = Sweeps(interval=timedelta(minutes=5))

    async def handler(uow, item, now, late):
        await on_review_due(uow, item, now, late, adm=ADM)

    sweeps.on_due(REVIEW_KIND, handler)
    await sweeps.sweep_due(world, datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))
    assert [n["msgid"] for n in await notices(world, SALES_HEAD_HAN.id)] == [admission.R_REVIEW]
    for _ in range(2):
        await sweeps.sweep_due(world, datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI))
    assert [n["msgid"] for n in await notices(world, SALES_HEAD_HAN.id)][1:] == [
        admission.R_REMIND]
    for day in (25, 26, 27):
        await sweeps.sweep_due(world, datetime(2026, 11, day, 10, 30, tzinfo=SHANGHAI))
    assert [n["msgid"] for n in await notices(world, EXEC_ZHOU.id)] == [admission.R_LATE]
    assert [n["msgid"] for n in await notices(world, SALES_HEAD_HAN.id)][2:] == [
        admission.R_LATE]
    # The next step, decided in time, gets no reminder at all.
    han = await who(world, SALES_HEAD_HAN, Role.SALES_HEAD)
    t = datetime(2026, 11, 27, 11, 0, tzinfo=SHANGHAI)
    view = await admission.decide(world(), han, pending_step(view, Stage.SALES_HEAD),
                                  verdict=Verdict.APPROVE, comment="Late, but fine.", now=t,
                                  adm=ADM)
    ma = await who(world, MARKET_MA, Role.MARKET)
    await admission.decide(world(), ma, pending_step(view, Stage.MARKET),
                           verdict=Verdict.APPROVE, comment="ok", now=t, adm=ADM)
    for day in range(28, 31):
        await sweeps.sweep_due(world, datetime(2026, 11, day, 18, 0, tzinfo=SHANGHAI))
    assert [n["msgid"] for n in await notices(world, MARKET_MA.id)] == [admission.R_REVIEW]
    assert admission.R_REMIND in [n["msgid"] for n in await notices(world, LEGAL_LU.id)]


async def test_an_incomplete_form_or_the_wrong_role_cannot_file(world):
    wang = await who(world, SALES_WANG, Role.SALES)
    with pytest.raises(DomainError):
        await admission.submit(world(), wang, fields={**FORM, "scope": ""},
                               declarations=DECLARED, files=[], now=MONDAY, adm=ADM)
    mei = await who(world, FINANCE_MEI, Role.FINANCE)
    with pytest.raises(AccessDenied):
        await admission.submit(world(), mei, fields=FORM, declarations=DECLARED, files=[],
                               now=MONDAY, adm=ADM)
