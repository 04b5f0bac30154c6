"""The service desk end to end through the fake Bot API, in three languages: the queue, the
card and its buttons, a stale press, the text dialogs, the customer's buttons, closing with the
analysis, the survey and the report with its chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.cases import CaseKind, Category
from services.cases import open_case
from storage.models import Case
from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import (
    ACME_CHEN,
    SERVICE_KIM,
    SERVICE_LEAD_LUO,
    STRANGER,
    invite_token,
    seed,
)

FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def file_complaint(world, h: Harness, kind: CaseKind = CaseKind.COMPLAINT,
                         description: str = "第三批鋼管有明顯鏽蝕。") -> None:
    """Chen (Acme) links and a complaint is filed through the service the dialog uses."""
    from domain.calendar import WorkingCalendar
    from domain.cases import CasePolicy

    async with world() as uow:
        contact = await uow.contacts.get_by_telegram_id(ACME_CHEN.id)
        await open_case(uow, customer_id=contact.customer_id, contact_id=contact.id,
                        kind=kind, order_id=None, description=description, urgent=False,
                        category=Category.QUALITY if kind == CaseKind.COMPLAINT else None,
                        attachments=[],
                        now=FRIDAY, calendar=WorkingCalendar("CN", "Asia/Shanghai"),
                        policy=CasePolicy(), default_locale="en", actor_label="test")
        await uow.commit()
    h.runner.relay.wake.set()


def data_of(message: dict, prefix: str) -> str:
    return next(d for _, d in buttons(message) if d.startswith(prefix))


async def press_for(h: Harness, who, message: dict, prefix: str, replies: int = 1
                    ) -> tuple[dict, list[dict]]:
    """Press the button whose data starts with `prefix`; return the answer and new messages."""
    before = len(h.api.sent_to(who.id))
    answer = await h.press(who, message, data_of(message, prefix))
    if replies:
        await h.api.wait_for(lambda: len(h.api.sent_to(who.id)) >= before + replies)
    return answer, h.api.sent_to(who.id)[before:]


async def wait_text(h: Harness, who, fragment: str) -> dict:
    return await h.api.wait_for(lambda: next(
        (m for m in reversed(h.api.sent_to(who.id)) if fragment in m.get("text", "")), None))


async def test_the_queue_shows_a_case_overdue_by_minutes(world, db_url):
    """40 minutes past the deadline read "0 working days 0 h left": the sign was lost."""
    clock = [FRIDAY]
    token = await invite_token(world, "ACME", FRIDAY)
    async with running_bot(db_url, lambda: clock[0], timezone="Asia/Shanghai",
                           holiday_region="CN") as h:
        await h.say(ACME_CHEN, f"/start {token}")
        await h.say(SERVICE_LEAD_LUO, "/help")  # Luo writes in Simplified Chinese
        await file_complaint(world, h)
        await wait_text(h, SERVICE_KIM, "New complaint CMP-000001")
        clock[0] = FRIDAY + timedelta(days=3, minutes=40)  # Monday 10:40, acknowledge by 10:00
        [queue] = await h.say(SERVICE_KIM, "/queue")
        assert "overdue by 40 min" in queue["text"] and "left" not in queue["text"]
        [queue] = await h.say(SERVICE_LEAD_LUO, "/queue")
        assert "已逾期 40 分钟" in queue["text"]


async def test_an_inquiry_is_answered_in_its_own_words(world, db_url):
    """Staff read what an inquiry asks and send an answer; the customer is asked whether it
    helps, not whether it solves anything."""
    token = await invite_token(world, "ACME", FRIDAY)
    async with running_bot(db_url, lambda: FRIDAY, timezone="Asia/Shanghai",
                           holiday_region="CN") as h:
        await h.say(ACME_CHEN, f"/start {token}")
        await file_complaint(world, h, CaseKind.INQUIRY, "Do you ship to Macau?")
        new = await wait_text(h, SERVICE_KIM, "New inquiry INQ-000001")
        assert "Do you ship to Macau?" in new["text"] and ": inquiry" not in new["text"]
        [card] = await h.say(SERVICE_KIM, "/case INQ-000001")
        _, [card] = await press_for(h, SERVICE_KIM, card, "cs:ack:")
        assert "Answer by:" in card["text"] and "Solve by" not in card["text"]
        assert "Answer by: Tue, Dec 1, 10:00" in card["text"].replace("\u202f", " ")
        ack = await wait_text(h, ACME_CHEN, "INQ-000001")  # the outbox says it the same way
        assert "12月1日週二 上午10:00" in ack["text"]
        _, [ask] = await press_for(h, SERVICE_KIM, card, "cs:prop:")
        assert "Send the answer to INQ-000001" in ask["text"]
        [_, card] = await h.say(SERVICE_KIM, "Yes, weekly from Zhuhai.", replies=2)
        assert "Answer: Yes, weekly" in card["text"] and "Answer sent" in card["text"]
        assert "Answered, waiting for the customer" in card["text"]
        answer = await wait_text(h, ACME_CHEN, "Zhuhai")
        assert "答覆" in answer["text"] and "解決" not in answer["text"]
        [mine] = await h.say(ACME_CHEN, "/cases")
        assert "請告訴我們這個答覆是否有幫助" in mine["text"]


async def test_the_desk_handles_a_complaint_from_queue_to_survey(world, db_url):
    token = await invite_token(world, "ACME", FRIDAY)
    async with running_bot(db_url, lambda: FRIDAY, timezone="Asia/Shanghai",
                           holiday_region="CN") as h:
        await h.say(ACME_CHEN, f"/start {token}")
        await h.say(SERVICE_LEAD_LUO, "/help")  # Luo writes in Simplified Chinese
        await file_complaint(world, h)
        await wait_text(h, SERVICE_KIM, "New complaint CMP-000001")
        # The queue, nearest deadline first, with the working time left.
        [queue] = await h.say(SERVICE_KIM, "/queue")
        assert "CMP-000001" in queue["text"] and "Acme" in queue["text"]
        assert "1 working day left" in queue["text"]  # Monday 10:00, Friday 10:00 now
        _, [card] = await press_for(h, SERVICE_KIM, queue, "cs:view:")
        assert "Received, waiting for acknowledgment" in card["text"]
        [luo_card] = await h.say(SERVICE_LEAD_LUO, "/case CMP-000001")  # Luo opens it too
        # Acknowledge: the customer hears at once, in Traditional Chinese.
        answer, [card] = await press_for(h, SERVICE_KIM, card, "cs:ack:")
        assert answer.get("text") == "Done."
        assert "Acknowledged, being handled" in card["text"] and "Kim" in card["text"]
        ack = await wait_text(h, ACME_CHEN, "CMP-000001")
        assert "已受理" in ack["text"] or "受理" in ack["text"] or "確認" in ack["text"]
        # Luo presses Acknowledge on the older card: nothing changes, Luo is told who has it.
        answer, [fresh] = await press_for(h, SERVICE_LEAD_LUO, luo_card, "cs:ack:")
        assert answer.get("show_alert") and "Kim" in answer["text"]
        assert "CMP-000001" in fresh["text"]
        assert not any(d.startswith("cs:ack:") for _, d in buttons(fresh))
        # A note through the text dialog; /cancel would stop it.
        _, [ask] = await press_for(h, SERVICE_KIM, card, "cs:note:")
        assert "note" in ask["text"].lower()
        [done, card] = await h.say(SERVICE_KIM, "Batch 42 coating skipped?", replies=2)
        assert done["text"] == "Done." and "Batch 42" in card["text"]
        # Propose a solution; the customer accepts it with a button.
        _, [ask] = await press_for(h, SERVICE_KIM, card, "cs:prop:")
        [done, card] = await h.say(SERVICE_KIM, "We replace the 200 pipes this week.",
                                   replies=2)
        proposal = await wait_text(h, ACME_CHEN, "200 pipes")
        [mine] = await h.say(ACME_CHEN, "/cases")  # what happens next, in their language
        assert "CMP-000001" in mine["text"] and "請回覆我們傳送給您的解決方案" in mine["text"]
        accept = data_of(proposal, "cc:acc:")
        await press_for(h, ACME_CHEN, proposal, "cc:acc:")
        await wait_text(h, SERVICE_KIM, "accepted the solution")
        assert buttons(proposal) == []  # the answered question lost its buttons
        # Pressing the same button again (a replay, a second tap) changes nothing.
        answer = await h.press(ACME_CHEN, proposal, accept)
        assert answer.get("show_alert")
        # Close with the analysis: cause (button), cause text, action, owner (button), due.
        [card] = await h.say(SERVICE_KIM, "/case cmp-000001")
        assert "Solved, being closed" in card["text"]
        _, [ask] = await press_for(h, SERVICE_KIM, card, "cs:cls:")
        assert "root cause" in ask["text"]
        _, [ask] = await press_for(h, SERVICE_KIM, ask, "dlg:csact:1:production")
        [ask] = await h.say(SERVICE_KIM, "Coating step skipped on line 2")
        [ask] = await h.say(SERVICE_KIM, "Check the coating of every batch")
        owner = next(d for text, d in buttons(ask) if text == "Kim")
        before = len(h.api.sent_to(SERVICE_KIM.id))
        await h.press(SERVICE_KIM, ask, owner)
        await h.api.wait_for(lambda: len(h.api.sent_to(SERVICE_KIM.id)) > before)
        [junk, ask] = await h.say(SERVICE_KIM, "next week", replies=2)
        assert "2026-12-31" in junk["text"]  # says what a date looks like, asks again
        [done, card] = await h.say(SERVICE_KIM, "2026-12-10", replies=2)
        assert "Closed" in card["text"]
        # The survey: a low score reopens the case for the lead (in Simplified Chinese).
        survey = await wait_text(h, ACME_CHEN, "滿意")
        assert [t for t, _ in buttons(survey)] == ["1", "2", "3", "4", "5"]
        _, [comment] = await press_for(h, ACME_CHEN, survey, "sv:")
        _, [thanks] = await press_for(h, ACME_CHEN, comment, "dlg:svc:")
        assert "謝謝" in thanks["text"] or "感謝" in thanks["text"]
        low = await wait_text(h, SERVICE_LEAD_LUO, "CMP-000001")
        assert "1" in low["text"] and "重新" in low["text"]
        [mine] = await h.say(ACME_CHEN, "/cases")
        assert "已重新開啟" in mine["text"]
        # The report: text and a chart.
        [report] = await h.say(SERVICE_LEAD_LUO, "/report complaints 2026-11")
        assert "1" in report["text"]
        await h.api.wait_for(lambda: [c for c in h.api.calls_of("sendPhoto")
                                      if c.params["chat_id"] == SERVICE_LEAD_LUO.id])
        [junk] = await h.say(SERVICE_LEAD_LUO, "/report complaints last-week")
        assert "30d" in junk["text"]
    async with world() as uow:
        case = await uow.cases.get(1)
        assert isinstance(case, Case)
        assert case.root_cause == "production" and case.survey_score == 1


async def test_customers_and_strangers_cannot_drive_the_desk(world, db_url):
    token = await invite_token(world, "ACME", FRIDAY)
    async with running_bot(db_url, lambda: FRIDAY) as h:
        [linked] = await h.say(ACME_CHEN, f"/start {token}")
        await file_complaint(world, h)
        # A forged desk button from a customer: refused in their language, nothing changes.
        answer = await h.press(ACME_CHEN, linked, "cs:ack:1:1")
        assert answer.get("show_alert") and "客戶服務" in answer["text"]
        [refused] = await h.say(ACME_CHEN, "/queue")
        assert "客戶服務" in refused["text"]
        [hidden] = await h.say(STRANGER, "/case CMP-000001")
        assert "CMP-000001" not in hidden["text"] or "not found" in hidden["text"]
        answer = await h.press(STRANGER, hidden, "sv:1:5")
        assert answer.get("show_alert")
        [usage] = await h.say(SERVICE_KIM, "/case")
        assert "/case CMP-000001" in usage["text"]
    async with world() as uow:
        case = await uow.cases.get(1)
        assert case is not None and case.status.value == "open" and case.survey_score is None
