"""Admission end to end through the fake Bot API: six people in three languages, a restart in
the middle of the form, the information loop, finance's terms, the invite link at the end,
and a forged approval."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import (
    ACME_CHEN,
    EXEC_ZHOU,
    FINANCE_MEI,
    LEGAL_LU,
    MARKET_MA,
    SALES_HEAD_HAN,
    SALES_WANG,
    invite_token,
    seed,
)

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LICENCE = {"document": {"file_id": "lic1", "file_unique_id": "ul1", "file_name": "licence.pdf",
                        "mime_type": "application/pdf", "file_size": 90_000}}
ANSWERS = ["华信金属有限公司", "张伟", "杭州市滨江路88号", "张伟 13800000000", "金属贸易",
           "120人，年营收8000万", "长期采购镀锌管", "每年300吨"]


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


def settings() -> dict:
    return {"timezone": "Asia/Shanghai", "holiday_region": "CN", "default_locale": "en"}


async def notice(h: Harness, who, fragment: str) -> dict:
    h.runner.relay.wake.set()
    return await h.api.wait_for(lambda: next(
        (m for m in reversed(h.api.sent_to(who.id)) if fragment in m.get("text", "")), None),
        timeout=20)


async def press(h: Harness, who, message: dict, prefix: str, replies: int = 1) -> list[dict]:
    data = next(d for _, d in buttons(message) if d.startswith(prefix))
    before = len(h.api.sent_to(who.id))
    await h.press(who, message, data)
    if replies:
        await h.api.wait_for(lambda: len(h.api.sent_to(who.id)) >= before + replies)
    return h.api.sent_to(who.id)[before:]


async def decide(h: Harness, who, prefix: str, *answers: str) -> dict:
    """Open the review notice, press a verdict, answer its questions; return the last reply."""
    opened = await notice(h, who, "ADM-000001")
    [card] = await press(h, who, opened, "ap:v:")
    [ask] = await press(h, who, card, prefix)
    reply = ask
    for text in answers:
        [reply] = await h.say(who, text)
    return reply


async def test_an_application_from_chat_to_an_admitted_customer(world, db_url):
    async with running_bot(db_url, lambda: MONDAY, **settings()) as h:
        for persona in (SALES_HEAD_HAN, MARKET_MA, LEGAL_LU, EXEC_ZHOU):
            await h.say(persona, "/help")  # each one's language becomes known
        [ask] = await h.say(SALES_WANG, "/apply")
        assert "1" in ask["text"] and "8" in ask["text"]
        for text in ANSWERS[:4]:
            [ask] = await h.say(SALES_WANG, text)
    # The bot restarts in the middle of the form: the draft is still there.
    async with running_bot(db_url, lambda: MONDAY, **settings()) as h:
        h.api.continue_after(1000)  # Telegram's update ids go on rising across a restart
        [again] = await h.say(SALES_WANG, "/apply")
        assert "5" in again["text"]  # it goes on at the fifth field
        for text in ANSWERS[4:]:
            [ask] = await h.say(SALES_WANG, text)
        for _ in range(5):  # the five ADM-1 criteria
            [ask] = await press(h, SALES_WANG, ask, "dlg:apply:")
        before = len(h.api.sent_to(SALES_WANG.id))
        await h.api.send_message_body(SALES_WANG, **LICENCE)
        await h.api.wait_for(lambda: len(h.api.sent_to(SALES_WANG.id)) > before)
        files = h.api.sent_to(SALES_WANG.id)[-1]
        [summary] = await press(h, SALES_WANG, files, "dlg:apply:")
        assert "华信金属有限公司" in summary["text"] and "✅" in summary["text"]
        [filed] = await press(h, SALES_WANG, summary, "dlg:apply:")
        assert "ADM-000001" in filed["text"]
        # The sales head's list says the review deadline as people say it, in his language.
        # (His review notice may arrive first: look for the list among what comes.)
        before = len(h.api.sent_to(SALES_HEAD_HAN.id))
        await h.api.send_text(SALES_HEAD_HAN, "/pending")
        await h.api.wait_for(lambda: any(
            "ADM-000001" in m["text"] and "週" in m["text"]
            for m in h.api.sent_to(SALES_HEAD_HAN.id)[before:]))
        # The sales head (Traditional Chinese) approves with a comment.
        done = await decide(h, SALES_HEAD_HAN, "ap:ok:", "需求真實，符合業務方向。")
        assert "ADM-000001" in done["text"]
        # Market approves; finance approves with a credit limit and a term (English).
        await decide(h, MARKET_MA, "ap:ok:", "市场前景良好")
        [ask] = [await decide(h, FINANCE_MEI, "ap:ok:")]
        assert "credit limit" in ask["text"]
        [junk, _] = await h.say(FINANCE_MEI, "lots", replies=2)
        assert "500000" in junk["text"]
        await h.say(FINANCE_MEI, "500,000")
        await h.say(FINANCE_MEI, "45")
        [done] = await h.say(FINANCE_MEI, "Sound finances.")
        assert "approved" in done["text"]
        # Legal asks for more information; the applicant answers in chat.
        await decide(h, LEGAL_LU, "ap:q:", "Please send the litigation record.")
        question = await notice(h, SALES_WANG, "litigation record")
        [ask] = await press(h, SALES_WANG, question, "ap:a:")
        [thanks] = await h.say(SALES_WANG, "没有诉讼记录，附件为法院查询结果。")
        assert "ADM-000001" in thanks["text"]
        h.runner.relay.wake.set()
        reopened = await h.api.wait_for(lambda: [  # a second review notice for legal
            m for m in h.api.sent_to(LEGAL_LU.id)
            if any(d.startswith("ap:v:") for _, d in buttons(m))][1:])
        [card] = await press(h, LEGAL_LU, reopened[-1], "ap:v:")
        assert "没有诉讼记录" in card["text"]
        [ask] = await press(h, LEGAL_LU, card, "ap:ok:")
        await h.say(LEGAL_LU, "Clean record.")
        # The executive approves: the customer exists and the applicant has an invite link.
        await decide(h, EXEC_ZHOU, "ap:ok:", "同意。")
        admitted = await notice(h, SALES_WANG, "C000001")
        assert "https://t.me/" in admitted["text"] and "?start=" in admitted["text"]
        [timeline] = await h.say(SALES_WANG, "/application adm-000001")
        assert "C000001" in timeline["text"] and "Mei" in timeline["text"]
    async with world() as uow:
        customer = await uow.customers.get_by_code("C000001")
        assert customer is not None and customer.payment_term_days == 45
        assert str(customer.credit_limit) == "500000.00"


async def test_a_customer_contact_pressing_approve_changes_nothing(world, db_url):
    token = await invite_token(world, "ACME", MONDAY)
    async with running_bot(db_url, lambda: MONDAY, **settings()) as h:
        [linked] = await h.say(ACME_CHEN, f"/start {token}")
        [ask] = await h.say(SALES_WANG, "/apply")
        for text in ANSWERS:
            [ask] = await h.say(SALES_WANG, text)
        for _ in range(5):
            [ask] = await press(h, SALES_WANG, ask, "dlg:apply:")
        [summary] = await press(h, SALES_WANG, ask, "dlg:apply:")
        await press(h, SALES_WANG, summary, "dlg:apply:")
        answer = await h.press(ACME_CHEN, linked, "ap:ok:1")
        assert answer.get("show_alert")
        [nothing] = await h.say(ACME_CHEN, "/application ADM-000001")
        assert "ADM-000001" not in nothing["text"] or "找不到" in nothing["text"]
    async with world() as uow:
        step = await uow.applications.step(1)
        assert step is not None and step.status.value == "pending"


async def test_two_finance_reviewers_at_once_one_decides_the_other_hears_who_and_when(
        world, db_url):
    from domain.admission import AdmissionPolicy, Stage, StepStatus, Verdict
    from domain.calendar import WorkingCalendar
    from domain.cases import Attachment
    from domain.enums import Role
    from services import admission
    from services.cards import Actor
    from tests.support.world import FINANCE_FANG

    adm = admission.Admission(WorkingCalendar("CN", "Asia/Shanghai"), AdmissionPolicy(), "en")

    async def actor(persona, role: Role) -> Actor:
        async with world() as uow:
            member = await uow.staff.get_by_telegram_id(persona.id)
            return Actor(telegram_id=persona.id, locale="en", roles=frozenset({role}),
                         staff_id=member.id, staff_name=member.name)

    form = dict(zip(["company", "legal_rep", "address", "contacts", "scope", "scale",
                     "intent", "volume"], ANSWERS, strict=True))
    view = await admission.submit(
        world(), await actor(SALES_WANG, Role.SALES), fields=form,
        declarations=dict.fromkeys(("licence", "reputation", "violations", "strength",
                                    "rules"), True),
        files=[Attachment("document", "lic1", "ul1", "licence.pdf", "application/pdf", 9)],
        now=MONDAY, adm=adm)
    head = next(s.step_id for s in view.steps if s.stage == Stage.SALES_HEAD)
    view = await admission.decide(world(), await actor(SALES_HEAD_HAN, Role.SALES_HEAD), head,
                                  verdict=Verdict.APPROVE, comment="OK", now=MONDAY, adm=adm)
    step = next(s.step_id for s in view.steps
                if s.stage == Stage.FINANCE and s.status == StepStatus.PENDING)
    async with running_bot(db_url, lambda: MONDAY, **settings()) as h:
        await h.say(FINANCE_FANG, "/help")
        # Both open the step and start approving before either has finished.
        for persona in (FINANCE_MEI, FINANCE_FANG):
            opened = await notice(h, persona, "ADM-000001")
            [card] = await press(h, persona, opened, "ap:v:")
            [ask] = await press(h, persona, card, f"ap:ok:{step}")
            assert "credit limit" in ask["text"] or "信用额度" in ask["text"]
            for text in ("500000", "30"):
                await h.say(persona, text)
        [done] = await h.say(FINANCE_MEI, "Sound finances.")
        assert "Recorded" in done["text"]
        [late] = await h.say(FINANCE_FANG, "财务状况良好。")
        again = await h.press(FINANCE_FANG, card, f"ap:ok:{step}")
    for text in (late["text"], again["text"]):
        assert "Mei" in text and "11月23日" in text, text  # who decided, and when
    async with world() as uow:
        steps = await uow.applications.steps(view.app_id)
    finance = [s for s in steps if s.stage == Stage.FINANCE]
    assert [s.status for s in finance] == [StepStatus.APPROVED]
    assert str(finance[0].credit_limit) == "500000.00"
