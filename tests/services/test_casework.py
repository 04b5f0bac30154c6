"""Case handling on a real database with a controlled clock: deadlines, the escalation ladder,
conditional updates, the whole life of a complaint, the survey and the report."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.sweeps import Sweeps, register_case_deadlines
from domain.calendar import WorkingCalendar
from domain.cases import (
    CaseKind,
    CasePolicy,
    CaseStatus,
    Category,
    Department,
    RootCause,
    case_deadlines,
    warning_at,
)
from domain.enums import Role
from domain.errors import AccessDenied, DomainError, NotFound
from services import cases, casework, identity
from services.cards import Actor
from services.case_sla import Desk
from services.cases import open_case
from services.casework import CaseMoved
from storage.models import AuditEntry, OutboxMessage
from tests.support.world import (
    ACME_CHEN,
    EXEC_ZHOU,
    FINANCE_FANG,
    FINANCE_MEI,
    SALES_WANG,
    SERVICE_KIM,
    SERVICE_LEAD_LUO,
    invite_token,
    seed,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = WorkingCalendar("CN", "Asia/Shanghai")
# Friday 13 February 2026, 17:55 in Shanghai: the eve of the Spring Festival week, with
# Saturday the 14th a make-up workday (CN) and 23 February back to work (TW).
FRIDAY_EVE = datetime(2026, 2, 13, 17, 55, tzinfo=SHANGHAI).astimezone(UTC)


def local(value: datetime, tz: str = "Asia/Shanghai") -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


@pytest.mark.parametrize(("region", "tz", "kind", "ack", "resolve"), [
    # CN: Saturday the 14th is a make-up workday; the holiday runs 15-23 February.
    ("CN", "Asia/Shanghai", CaseKind.COMPLAINT, "Sat 2026-02-14 17:55", "Fri 2026-02-27 17:55"),
    ("CN", "Asia/Shanghai", CaseKind.INQUIRY, "Sat 2026-02-14 17:55", "Tue 2026-02-24 17:55"),
    # TW: no make-up Saturday; 27 February (228 bridge) and the weekend are off too.
    ("TW", "Asia/Taipei", CaseKind.COMPLAINT, "Mon 2026-02-23 17:55", "Mon 2026-03-02 17:55"),
    ("TW", "Asia/Taipei", CaseKind.INQUIRY, "Mon 2026-02-23 17:55", "Tue 2026-02-24 17:55"),
])
def test_deadlines_filed_friday_1755_on_the_eve_of_a_holiday_week(
        region: str, tz: str, kind: CaseKind, ack: str, resolve: str) -> None:
    calendar = WorkingCalendar(region, tz)
    filed = datetime(2026, 2, 13, 17, 55, tzinfo=ZoneInfo(tz))
    due = case_deadlines(kind, filed, calendar, ack_days=1, answer_days=2, solution_days=5)
    assert (local(due.ack_due, tz), local(due.resolve_due, tz)) == (ack, resolve)


def test_the_warning_falls_when_the_share_of_working_time_is_left() -> None:
    due = CN.add_working_days(FRIDAY_EVE, 1)  # Saturday 17:55: 9 business hours away
    warn = warning_at(FRIDAY_EVE, due, CN, 0.25)
    assert warn is not None and local(warn) == "Sat 2026-02-14 15:40"  # 2:15 before
    # Across the holiday week the warning is counted in business time, not calendar time.
    solve = CN.add_working_days(FRIDAY_EVE, 5)
    warn = warning_at(FRIDAY_EVE, solve, CN, 0.5)
    assert warn is not None
    hours = (9, 18)
    assert CN.business_time_between(warn, solve, hours) == CN.business_time_between(
        FRIDAY_EVE, solve, hours) / 2


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-11", "2026-11-01", "2026-12-01"),
    ("2026-12", "2026-12-01", "2027-01-01"),
    ("2026-q4", "2026-10-01", "2027-01-01"),
    ("2026-Q1", "2026-01-01", "2026-04-01"),
    ("2026", "2026-01-01", "2027-01-01"),
])
def test_report_periods(text: str, start: str, end: str) -> None:
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    first, after = casework.period_of(text, now, CN)
    assert (first.astimezone(SHANGHAI).date().isoformat(),
            after.astimezone(SHANGHAI).date().isoformat()) == (start, end)


@pytest.mark.parametrize("text", ["last week", "2026-13", "0d", "2026-Q5", "x"])
def test_report_periods_refuse_what_they_cannot_read(text: str) -> None:
    with pytest.raises(DomainError):
        casework.period_of(text, datetime(2026, 11, 27, tzinfo=UTC), CN)


# -- on the database ------------------------------------------------------------------------

DESK = Desk(CN, CasePolicy(warn_share=0.25), "en")


@pytest.fixture
async def world(uow_factory, tmp_path):
    await seed(uow_factory, tmp_path, FRIDAY_EVE - timedelta(days=30))
    token = await invite_token(uow_factory, "ACME", FRIDAY_EVE - timedelta(days=1))
    chen = Actor(telegram_id=ACME_CHEN.id, locale="zh_Hant")
    await identity.link_contact(uow_factory(), token, actor=chen, name="Chen",
                                now=FRIDAY_EVE - timedelta(days=1))
    return uow_factory


async def staff(uow_factory, persona, role: Role) -> Actor:
    async with uow_factory() as uow:
        member = await uow.staff.get_by_telegram_id(persona.id)
        return Actor(telegram_id=persona.id, locale="en", roles=frozenset({role}),
                     staff_id=member.id, staff_name=member.name)


async def customer(uow_factory) -> Actor:
    async with uow_factory() as uow:
        contact = await uow.contacts.get_by_telegram_id(ACME_CHEN.id)
        return Actor(telegram_id=ACME_CHEN.id, locale="zh_Hant", contact_id=contact.id,
                     customer_id=contact.customer_id)


async def file(uow_factory, *, kind=CaseKind.COMPLAINT, urgent=False, at=FRIDAY_EVE) -> int:
    who = await customer(uow_factory)
    async with uow_factory() as uow:
        card = await open_case(
            uow, customer_id=who.customer_id, contact_id=who.contact_id, kind=kind,
            category=Category.QUALITY if kind == CaseKind.COMPLAINT else None, order_id=None,
            description="The pipes arrived rusty.", urgent=urgent, attachments=[], now=at,
            calendar=CN, policy=DESK.policy, default_locale="en", actor_label="test")
        await uow.commit()
        return card.case_id


async def messages(uow_factory, prefix: str = "") -> list[tuple[int, str, str]]:
    """(chat, msgid, key) of every queued message whose key starts with `prefix`."""
    async with uow_factory() as uow:
        rows = (await uow.session.execute(
            select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        return [(r.chat_id, r.payload["msgid"], r.idempotency_key) for r in rows
                if r.idempotency_key.startswith(prefix)]


def sweeper() -> Sweeps:
    sweeps = Sweeps(interval=timedelta(minutes=5))
    register_case_deadlines(sweeps, DESK)
    return sweeps


async def test_the_ladder_climbs_one_level_at_a_time_each_once(world):
    case_id = await file(world)
    sweeps = sweeper()
    ack = f"due:sla:{case_id}:ack"
    # Before the warning: nothing.
    await sweeps.sweep_due(world, datetime(2026, 2, 14, 15, 30, tzinfo=SHANGHAI))
    assert await messages(world, ack) == []
    # The warning (a quarter of the business hours left: Sat 15:40) goes to the desk, once.
    for _ in range(3):
        await sweeps.sweep_due(world, datetime(2026, 2, 14, 15, 45, tzinfo=SHANGHAI))
    warned = await messages(world, ack)
    assert {m[1] for m in warned} == {casework.S_WARN}
    assert {m[0] for m in warned} == {SERVICE_KIM.id, SERVICE_LEAD_LUO.id}
    # Deadline missed: level 1, the desk (nobody has taken it).
    await sweeps.sweep_due(world, datetime(2026, 2, 14, 18, 0, tzinfo=SHANGHAI))
    level1 = [m for m in await messages(world, ack) if m[1] == casework.S_BREACH]
    assert sorted(m[0] for m in level1) == sorted([SERVICE_KIM.id, SERVICE_LEAD_LUO.id])
    # One more working day (the holiday week does not count): level 2, the service lead.
    await sweeps.sweep_due(world, datetime(2026, 2, 23, 18, 0, tzinfo=SHANGHAI))
    assert len([m for m in await messages(world, ack) if m[1] == casework.S_BREACH]) == 2
    await sweeps.sweep_due(world, datetime(2026, 2, 24, 18, 0, tzinfo=SHANGHAI))
    level2 = [m for m in await messages(world, ack) if m[1] == casework.S_BREACH][2:]
    assert [m[0] for m in level2] == [SERVICE_LEAD_LUO.id]
    # Then the executive; and sweeping again, even days later, sends nothing more.
    await sweeps.sweep_due(world, datetime(2026, 2, 25, 18, 0, tzinfo=SHANGHAI))
    before = await messages(world, ack)
    assert before[-1][0] == EXEC_ZHOU.id
    for day in (26, 27, 28):
        await sweeps.sweep_due(world, datetime(2026, 2, day, 18, 0, tzinfo=SHANGHAI))
    assert await messages(world, ack) == before
    view = await casework.view_case(world(), await staff(world, SERVICE_KIM, Role.SERVICE),
                                    case_id=case_id)
    assert view.escalation_level == 3
    assert [e.escalation for e in view.events if e.kind == "escalated"][:3] == [
        casework.Escalation("ack", 1, "assignee", False),
        casework.Escalation("ack", 2, "service_lead", False),
        casework.Escalation("ack", 3, "executive", False)]
    async with world() as uow:
        stamps = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "case.escalated"))).scalars().all()
    assert len([s for s in stamps if s.after["stage"] == "ack"]) == 3


async def test_nothing_fires_for_a_step_already_done(world):
    case_id = await file(world)
    kim = await staff(world, SERVICE_KIM, Role.SERVICE)
    view = await casework.acknowledge(world(), kim, case_id, 1, now=FRIDAY_EVE
                                      + timedelta(minutes=10), desk=DESK)
    view = await casework.propose(world(), kim, case_id, view.version, "Replace them.",
                                  now=FRIDAY_EVE + timedelta(hours=1), desk=DESK)
    await casework.decide_solution(world(), await customer(world), case_id, view.version,
                                   accept=True, now=FRIDAY_EVE + timedelta(hours=2), desk=DESK)
    sweeps = sweeper()
    for day in range(14, 28):
        await sweeps.sweep_due(world, datetime(2026, 2, day, 23, 0, tzinfo=SHANGHAI))
    assert await messages(world, f"due:sla:{case_id}") == []


async def test_a_sent_solution_stops_the_clock_and_the_customer_is_reminded(world):
    """CMP-3 puts the deadline on sending the solution: waiting for the customer's answer is
    neither overdue nor escalated; the customer gets a reminder of their own instead."""
    case_id = await file(world)  # solve by Fri 27 Feb 17:55 (the holiday week in between)
    kim = await staff(world, SERVICE_KIM, Role.SERVICE)
    view = await casework.acknowledge(world(), kim, case_id, 1, now=FRIDAY_EVE
                                      + timedelta(minutes=10), desk=DESK)
    assert view.clock_running
    sent = datetime(2026, 2, 26, 10, 0, tzinfo=SHANGHAI)  # Thursday, before the warning
    view = await casework.propose(world(), kim, case_id, view.version, "Replace them.",
                                  now=sent, desk=DESK)
    assert not view.clock_running
    sweeps = sweeper()
    for day in (26, 27, 28):  # past the deadline and two ladder steps, the customer silent
        await sweeps.sweep_due(world, datetime(2026, 2, day, 23, 0, tzinfo=SHANGHAI))
    await sweeps.sweep_due(world, datetime(2026, 3, 1, 23, 0, tzinfo=SHANGHAI))
    assert await messages(world, f"due:sla:{case_id}") == []
    view = await casework.view_case(world(), kim, case_id=case_id)
    assert view.escalation_level == 0 and not view.clock_running
    assert "escalated" not in {e.kind for e in view.events}
    # The customer is reminded two working days after the solution went out (Saturday 28th
    # is a make-up workday), once, with the buttons of the current proposal.
    reminders = await messages(world, f"case:{case_id}:decision-reminder")
    assert [m[:2] for m in reminders] == [(ACME_CHEN.id, casework.C_DECISION_REMINDER)]
    # Rejected: the case is back with the desk and the deadline counts again.
    chen = await customer(world)
    view = await casework.decide_solution(world(), chen, case_id, view.version, accept=False,
                                          now=datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI),
                                          desk=DESK)
    view = await casework.view_case(world(), kim, case_id=case_id)
    assert view.status == CaseStatus.ACKNOWLEDGED and view.clock_running
    await sweeps.sweep_due(world, datetime(2026, 3, 2, 23, 0, tzinfo=SHANGHAI))
    assert [m[1] for m in await messages(world, f"due:sla:{case_id}")] == [casework.S_BREACH]


async def test_an_inquiry_is_answered_not_solved_in_every_message(world):
    """SVC-3: an inquiry gets an answer; staff read what it asks, not "inquiry" twice."""
    case_id = await file(world, kind=CaseKind.INQUIRY)
    async with world() as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.idempotency_key.startswith(f"case:{case_id}:new")))).scalars().all()
    assert {r.payload["msgid"] for r in rows} == {cases.NEW_INQUIRY}
    assert rows[0].payload["params"]["summary"] == "The pipes arrived rusty."
    kim = await staff(world, SERVICE_KIM, Role.SERVICE)
    chen = await customer(world)
    t = FRIDAY_EVE
    view = await casework.acknowledge(world(), kim, case_id, 1, now=t, desk=DESK)
    view = await casework.propose(world(), kim, case_id, view.version, "Next Monday.",
                                  now=t, desk=DESK)
    assert casework.status_label(view.kind, view.status) == "Answered, waiting for the customer"
    view = await casework.decide_solution(world(), chen, case_id, view.version, accept=False,
                                          now=t, desk=DESK)
    to_customer = [m[1] for m in await messages(world, f"case:{case_id}:")
                   if m[0] == ACME_CHEN.id]
    assert to_customer == [casework.C_ACK_INQUIRY, casework.C_ANSWERED]
    rejected = await messages(world, f"case:{case_id}:rejected")
    assert {m[1] for m in rejected} == {casework.S_ANSWER_REJECTED}
    # The ladder speaks of answering: a missed inquiry deadline is not "to be solved".
    await sweeper().sweep_due(world, datetime(2026, 2, 24, 23, 0, tzinfo=SHANGHAI))
    async with world() as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.idempotency_key.startswith(f"due:sla:{case_id}:resolve"))
        )).scalars().all()
    assert rows and {r.payload["params"]["step"]["label"] for r in rows} == {
        casework.STEP_ANSWER}


async def test_a_deadline_counted_from_a_holiday_is_said_as_the_end_of_a_working_day(world):
    """Filed on Sunday in the Spring Festival week, acknowledgment is due Wed 25 Feb 00:00:
    staff read "Tue 24 Feb, end of the working day", not a midnight (issue 13.6)."""
    case_id = await file(world, at=datetime(2026, 2, 22, 10, 0, tzinfo=SHANGHAI))
    async with world() as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.idempotency_key.startswith(f"case:{case_id}:new")))).scalars().all()
    assert rows and {tuple(r.payload["params"]["due"]["deadline"]) for r in rows} == {
        ("2026-02-24", None)}
    # Missed, it is escalated when the office opens, not at midnight.
    sweeps = sweeper()
    await sweeps.sweep_due(world, datetime(2026, 2, 25, 0, 30, tzinfo=SHANGHAI))
    assert [m for m in await messages(world, f"due:sla:{case_id}:ack")
            if m[1] == casework.S_BREACH] == []
    await sweeps.sweep_due(world, datetime(2026, 2, 25, 9, 5, tzinfo=SHANGHAI))
    assert [m for m in await messages(world, f"due:sla:{case_id}:ack")
            if m[1] == casework.S_BREACH]


async def test_an_urgent_case_alerts_the_lead_and_the_executive_at_once(world):
    case_id = await file(world, urgent=True)
    urgent = await messages(world, f"case:{case_id}:urgent")
    assert sorted(m[0] for m in urgent) == sorted([SERVICE_LEAD_LUO.id, EXEC_ZHOU.id])


async def test_two_agents_acknowledging_at_once_make_one_acknowledgment(world):
    case_id = await file(world)
    kim = await staff(world, SERVICE_KIM, Role.SERVICE)
    luo = await staff(world, SERVICE_LEAD_LUO, Role.SERVICE_LEAD)
    results = await asyncio.gather(
        casework.acknowledge(world(), kim, case_id, 1, now=FRIDAY_EVE, desk=DESK),
        casework.acknowledge(world(), luo, case_id, 1, now=FRIDAY_EVE, desk=DESK),
        return_exceptions=True)
    won = [r for r in results if isinstance(r, casework.CaseView)]
    lost = [r for r in results if isinstance(r, CaseMoved)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].params["name"] == won[0].assignee  # the loser is told who has it
    assert len(await messages(world, f"case:{case_id}:ack")) == 1  # the customer hears once
    async with world() as uow:
        acks = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "case.acknowledged"))).scalars().all()
        stale = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "case.stale_press"))).scalars().all()
    assert len(acks) == 1 and len(stale) == 1  # the late press is kept too (R7)


async def test_a_complaint_from_acknowledgment_to_closing_and_the_survey(world):
    case_id = await file(world)
    kim = await staff(world, SERVICE_KIM, Role.SERVICE)
    mei = await staff(world, FINANCE_MEI, Role.FINANCE)
    chen = await customer(world)
    t = FRIDAY_EVE
    view = await casework.acknowledge(world(), kim, case_id, 1, now=t, desk=DESK)
    assert view.status == CaseStatus.ACKNOWLEDGED and view.assignee == "Kim"
    view = await casework.add_note(world(), kim, case_id, view.version, "Batch 42 again.",
                                   now=t)
    view = await casework.forward(world(), kim, case_id, view.version,
                                  department=Department.FINANCE,
                                  question="Credit note possible?", now=t, desk=DESK)
    [fwd] = view.forwards
    asked = await messages(world, f"case:{case_id}:fwd:{fwd.forward_id}")
    assert {m[0] for m in asked} == {FINANCE_MEI.id, FINANCE_FANG.id}  # the whole department
    assert {m[1] for m in asked} == {casework.S_FORWARD}
    assert f"case:{case_id}:fwd:{fwd.forward_id}:staff:{mei.staff_id}" in {m[2] for m in asked}
    with pytest.raises(NotFound):  # only the department asked may answer
        await casework.reply_forward(world(), kim, fwd.forward_id, "yes", now=t, desk=DESK)
    await casework.reply_forward(world(), mei, fwd.forward_id, "Yes, 5%.", now=t, desk=DESK)
    with pytest.raises(CaseMoved):
        await casework.reply_forward(world(), mei, fwd.forward_id, "again", now=t, desk=DESK)
    view = await casework.view_case(world(), kim, case_id=case_id)
    view = await casework.propose(world(), kim, case_id, view.version, "Credit note 5%.",
                                  now=t, desk=DESK)
    # The customer sees no internal notes, and cannot act on someone else's case.
    mine = await casework.view_case(world(), chen, case_id=case_id)
    assert "note" not in {e.kind for e in mine.events} and mine.forwards == []
    with pytest.raises(AccessDenied):
        await casework.propose(world(), chen, case_id, view.version, "x", now=t, desk=DESK)
    view = await casework.decide_solution(world(), chen, case_id, view.version, accept=False,
                                          now=t, desk=DESK)
    assert view.status == CaseStatus.ACKNOWLEDGED
    view = await casework.view_case(world(), kim, case_id=case_id)
    view = await casework.propose(world(), kim, case_id, view.version, "Replace all.",
                                  now=t, desk=DESK)
    stale = view.version - 1
    with pytest.raises(CaseMoved):  # an old proposal's button does nothing
        await casework.decide_solution(world(), chen, case_id, stale, accept=True, now=t,
                                       desk=DESK)
    view = await casework.decide_solution(world(), chen, case_id, view.version, accept=True,
                                          now=t, desk=DESK)
    assert view.status == CaseStatus.RESOLVED
    view = await casework.view_case(world(), kim, case_id=case_id)
    with pytest.raises(DomainError):  # a complaint closes only with its analysis
        await casework.close(world(), kim, case_id, view.version, root_cause=None,
                             root_text="", action_text="", action_owner_id=None,
                             action_due=None, now=t, desk=DESK)
    view = await casework.close(world(), kim, case_id, view.version,
                                root_cause=RootCause.PRODUCTION, root_text="Coating skipped",
                                action_text="Check coating per batch",
                                action_owner_id=kim.staff_id, action_due=date(2026, 3, 6),
                                now=t, desk=DESK)
    assert view.status == CaseStatus.CLOSED
    survey = await messages(world, f"case:{case_id}:survey")
    assert [m[:2] for m in survey] == [(ACME_CHEN.id, casework.C_CLOSED)]
    follow_up = await messages(world, f"case:{case_id}:followup")
    assert [m[:2] for m in follow_up] == [(SALES_WANG.id, casework.S_FOLLOW_UP)]
    # A low score reopens the case for the service lead; a second score changes nothing.
    assert await casework.answer_survey(world(), chen, case_id, "2", now=t, desk=DESK) == 2
    with pytest.raises(CaseMoved):
        await casework.answer_survey(world(), chen, case_id, "5", now=t, desk=DESK)
    view = await casework.view_case(world(), kim, case_id=case_id)
    assert view.status == CaseStatus.REOPENED
    assert [m[0] for m in await messages(world, f"case:{case_id}:low-score")] == [
        SERVICE_LEAD_LUO.id]
    with pytest.raises(AccessDenied):  # the lead reviews a reopened case
        await casework.close(world(), kim, case_id, view.version, root_cause=None,
                             root_text="", action_text="", action_owner_id=None,
                             action_due=None, now=t, desk=DESK)
    # The corrective action is tracked: a reminder when it is late, none once done.
    sweeps = sweeper()
    await sweeps.sweep_due(world, datetime(2026, 3, 6, 19, 0, tzinfo=SHANGHAI))
    late = [m for m in await messages(world) if m[1] == casework.S_ACTION_LATE]
    assert sorted(m[0] for m in late) == sorted([SERVICE_KIM.id, SERVICE_LEAD_LUO.id])
    lead = await staff(world, SERVICE_LEAD_LUO, Role.SERVICE_LEAD)
    report = await casework.report(world(), lead, start=t - timedelta(days=1),
                                   end=t + timedelta(days=1))
    assert report.total == 1 and report.by_status == {CaseStatus.REOPENED: 1}
    assert report.acknowledged_on_time == 1.0 and report.solved_on_time == 1.0
    assert report.satisfaction == 2.0 and report.root_causes == [(RootCause.PRODUCTION, 1)]
    assert [a[0] for a in report.open_actions] == [view.number]
    with pytest.raises(AccessDenied):  # the report is for leads and executives
        await casework.report(world(), kim, start=t, end=t)
    # The lead closes the review; the customer who gave the low score hears of it, once.
    view = await casework.close(world(), lead, case_id, view.version, root_cause=None,
                                root_text="", action_text="", action_owner_id=None,
                                action_due=None, now=t, desk=DESK)
    assert view.status == CaseStatus.CLOSED
    told = await messages(world, f"case:{case_id}:review-closed")
    assert [m[:2] for m in told] == [(ACME_CHEN.id, casework.C_REVIEW_CLOSED)]
    assert told[0][2].endswith(f":contact:{chen.contact_id}")


async def test_an_agreed_deadline_replaces_the_old_ladder(world):
    case_id = await file(world)
    kim = await staff(world, SERVICE_KIM, Role.SERVICE)
    chen = await customer(world)
    view = await casework.acknowledge(world(), kim, case_id, 1, now=FRIDAY_EVE, desk=DESK)
    with pytest.raises(DomainError):  # not a working day in Shanghai
        await casework.propose_deadline(world(), kim, case_id, view.version,
                                        date(2026, 3, 1), now=FRIDAY_EVE, desk=DESK)
    view = await casework.propose_deadline(world(), kim, case_id, view.version,
                                           date(2026, 3, 13), now=FRIDAY_EVE, desk=DESK)
    view = await casework.decide_deadline(world(), chen, case_id, view.version, accept=True,
                                          now=FRIDAY_EVE, desk=DESK)
    assert view.deadline_agreed and local(view.resolve_due_at) == "Fri 2026-03-13 18:00"
    sweeps = sweeper()
    for day in range(14, 32):  # past the old deadline (27 February): no breach
        when = datetime(2026, 2, 1, 23, 0, tzinfo=SHANGHAI) + timedelta(days=day - 1)
        await sweeps.sweep_due(world, when)
    resolve = [m for m in await messages(world, f"due:sla:{case_id}:resolve")
               if m[1] == casework.S_BREACH]
    assert resolve == []
    progress = [m for m in await messages(world) if m[1] == casework.S_PROGRESS_DUE]
    assert progress and {m[0] for m in progress} == {SERVICE_KIM.id}
    await sweeps.sweep_due(world, datetime(2026, 3, 13, 18, 30, tzinfo=SHANGHAI))
    breach = [m for m in await messages(world, f"due:sla:{case_id}:resolve")
              if m[1] == casework.S_BREACH]
    assert [m[0] for m in breach] == [SERVICE_KIM.id]  # the new deadline, to the assignee
