"""Relationship care through the fake Bot API: the visit plan, logging a visit in a few taps,
news with its one-tap opt-out, and a birthday."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.calendar import WorkingCalendar
from domain.care import CarePolicy
from services.care import Care, plan_visits
from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import ACME_CHEN, MARKET_MA, SALES_WANG, invite_token, seed

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, datetime(2026, 10, 1, tzinfo=UTC))
    return uow_factory


async def press(h: Harness, who, message: dict, prefix: str) -> list[dict]:
    data = next(d for _, d in buttons(message) if d.startswith(prefix))
    before = len(h.api.sent_to(who.id))
    await h.press(who, message, data)
    await h.api.wait_for(lambda: len(h.api.sent_to(who.id)) > before)
    return h.api.sent_to(who.id)[before:]


async def test_plan_log_a_visit_news_and_opt_out(world, db_url):
    token = await invite_token(world, "ACME", NOW)
    async with running_bot(db_url, lambda: NOW, timezone="Asia/Shanghai",
                           holiday_region="CN") as h:
        await h.say(ACME_CHEN, f"/start {token}")
        # ACME (grade A) was created on 1 October: its first visit was due 31 October.
        await h.say(SALES_WANG, "/help")
        await plan_visits(world(), NOW, Care(WorkingCalendar("CN", "Asia/Shanghai"), "CN",
                                             CarePolicy(), "en"))
        [plan] = await h.say(SALES_WANG, "/visits")
        assert "ACME" in plan["text"] and "⚠️" in plan["text"]  # overdue
        [ask] = await press(h, SALES_WANG, plan, "vs:")
        [ask] = await press(h, SALES_WANG, ask, "dlg:visit:1:on_site")
        [ask] = await h.say(SALES_WANG, "订单稳定，客户满意")
        [ask] = await press(h, SALES_WANG, ask, "dlg:visit:")  # skip feedback
        [ask] = await h.say(SALES_WANG, "下月寄样品")
        [done] = await h.say(SALES_WANG, "可能增加镀锌管采购")
        assert "ACME" in done["text"] and "12" in done["text"]  # next visit in late December
        [birthday] = await h.say(ACME_CHEN, "/birthday 09-25")
        assert "09-25" in birthday["text"]
        [junk] = await h.say(ACME_CHEN, "/birthday 13-45")
        assert "03-28" in junk["text"]
        # News from market, in the contact's language, with the opt-out button.
        [ask] = await h.say(MARKET_MA, "/news")
        [ask] = await press(h, MARKET_MA, ask, "dlg:news:1:A")
        [ask] = await h.say(MARKET_MA, "新品：鍍鋅管第二代")
        [ask] = await press(h, MARKET_MA, ask, "dlg:news:")  # skip Simplified
        [ask] = await h.say(MARKET_MA, "New: galvanised pipe, second generation")
        [done] = await press(h, MARKET_MA, ask, "dlg:news:")
        assert "1" in done["text"]
        h.runner.relay.wake.set()
        news = await h.api.wait_for(lambda: next(
            (m for m in h.api.sent_to(ACME_CHEN.id) if "鍍鋅管第二代" in m["text"]), None))
        answer = await h.press(ACME_CHEN, news, "nw:off")
        assert answer.get("show_alert")
        # An event: Market announces it; the contact answers with a button.
        [ask] = await h.say(MARKET_MA, "/event")
        [ask] = await h.say(MARKET_MA, "镀锌工艺研讨会")
        [junk, ask] = await h.say(MARKET_MA, "next friday", replies=2)
        assert "2026-12-18 14:00" in junk["text"]
        [ask] = await h.say(MARKET_MA, "2026-12-18 14:00")
        [ask] = await h.say(MARKET_MA, "杭州总部")
        [done] = await press(h, MARKET_MA, ask, "dlg:event:")  # all customers
        assert "/events" in done["text"]
    async with world() as uow:
        contact = await uow.contacts.get_by_telegram_id(ACME_CHEN.id)
        assert contact is not None and contact.news_opt_out and contact.birthday == "09-25"
        [visit] = await uow.care.visits_of(contact.customer_id)
        assert visit.kind == "on_site" and visit.opportunity == "可能增加镀锌管采购"
