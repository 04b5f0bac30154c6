"""Every label in the reader's language (issue 13, item 2): who acted on a case timeline, a
forward's department, and the reason an order waits for finance, with money in the reader's
format."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.calendar import WorkingCalendar
from domain.cases import CaseKind, CasePolicy, Category
from domain.enums import OrderStatus, Role
from services import staff
from services.cases import open_case
from services.receivables import reason_param
from tests.support.harness import running_bot
from tests.support.world import (
    ACME_CHEN,
    FINANCE_FANG,
    FINANCE_MEI,
    SALES_WANG,
    SERVICE_KIM,
    invite_token,
    seed,
)

FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def test_the_traditional_case_card_names_who_acted_in_traditional(world, db_url):
    await staff.add_staff(world(), telegram_id=SERVICE_KIM.id, name="Kim",
                          roles=[Role.SERVICE], now=FRIDAY, locale="zh_Hant")
    token = await invite_token(world, "ACME", FRIDAY)
    async with running_bot(db_url, lambda: FRIDAY, timezone="Asia/Shanghai") as h:
        await h.say(ACME_CHEN, f"/start {token}")
        async with world() as uow:
            contact = await uow.contacts.get_by_telegram_id(ACME_CHEN.id)
            kim = await uow.staff.get_by_telegram_id(SERVICE_KIM.id)
            # What the complaint dialog does when Chen files it.
            card = await open_case(
                uow, customer_id=contact.customer_id, contact_id=contact.id,
                kind=CaseKind.COMPLAINT, category=Category.QUALITY, order_id=None,
                description="第三批鋼管有明顯鏽蝕。", urgent=False, attachments=[], now=FRIDAY,
                calendar=WorkingCalendar("CN", "Asia/Shanghai"), policy=CasePolicy(),
                default_locale="en", actor_label=f"contact:{contact.id}")
            uow.cases.add_event(card.case_id, at=FRIDAY, kind="forwarded",
                                actor_label=f"staff:{kim.id}", text="sales: 請確認出貨批次")
            uow.cases.add_event(card.case_id, at=FRIDAY, kind="escalated",
                                actor_label="system", text="ack L2 (service_lead) late")
            uow.cases.add_event(card.case_id, at=FRIDAY, kind="deadline_proposed",
                                actor_label=f"staff:{kim.id}",
                                text="2026-12-08T02:00:00+00:00")
            uow.cases.add_event(card.case_id, at=FRIDAY, kind="note",
                                actor_label=f"staff:{kim.id}",
                                text="corrective action done: 改用鍍鋅包裝")
            await uow.commit()
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: h.api.sent_to(SERVICE_KIM.id))  # the new-case alert
        [shown] = await h.say(SERVICE_KIM, "/case CMP-000001")
        text = shown["text"]
        assert "（Chen）" in text  # the customer's own filing is theirs, not the system's
        assert "已提出（Chen）" in text and "（系統）" in text and "（Kim）" in text
        assert "銷售人員：請確認出貨批次" in text
        assert "未於期限內確認受理；第 2 級：客戶服務團隊負責人（延遲發出）" in text
        assert "2026年12月8日 上午10:00" in text and "改進措施已完成：改用鍍鋅包裝" in text
        for raw in ("(system)", "(customer)", "sales:", "(Chen)", "L2", "service_lead",
                    "late", "2026-12-08", "corrective action"):
            assert raw not in text, (raw, text)


def test_a_stored_credit_reason_becomes_a_translated_phrase():
    assert reason_param("suspended") == {"label": "supply to the customer is suspended"}
    new = reason_param("limit:13000.00:10000.00:CNY")
    old = reason_param("open 13000.0000000 > limit 10000.00 CNY")  # rows stored before
    assert new == old == {
        "message": "it takes open receivables to {open}, over the credit limit of {limit}",
        "params": {"open": {"money": ["13000.00", "CNY"]},
                   "limit": {"money": ["10000.00", "CNY"]}}}
    assert reason_param("something else") == "something else"


async def test_finance_reads_why_an_order_waits_in_its_own_language(world, db_url):
    await staff.add_staff(world(), telegram_id=FINANCE_MEI.id, name="Mei",
                          roles=[Role.FINANCE], now=FRIDAY, locale="zh_Hant")
    async with world() as uow:
        customer = await uow.customers.get_by_code("ACME")
        customer.credit_currency, customer.credit_limit = "CNY", Decimal("10000")
        uow.orders.add(order_no="PO-3001", customer_id=customer.id,
                       order_date=date(2026, 11, 26), product="Steel pipe", spec="",
                       quantity=Decimal("1000"), unit="pcs", unit_price=Decimal("13.0000000"),
                       currency="CNY", delivery_date=None, delivery_place="", payment_terms="",
                       expected_delivery=None, status=OrderStatus.PENDING, created_at=FRIDAY,
                       updated_at=FRIDAY)
        await uow.commit()
    async with running_bot(db_url, lambda: FRIDAY, timezone="Asia/Shanghai") as h:
        await h.say(FINANCE_FANG, "/help")  # Fang's Telegram is Simplified
        await h.say(SALES_WANG, "/confirm PO-3001")
        h.runner.relay.wake.set()
        mei, fang = [await h.api.wait_for(lambda p=p: next(
            (m for m in h.api.sent_to(p.id) if "PO-3001" in m.get("text", "")), None))
            for p in (FINANCE_MEI, FINANCE_FANG)]
    assert "超出信用額度" in mei["text"] and "13,000.00" in mei["text"], mei["text"]
    assert "10,000.00" in mei["text"], mei["text"]
    assert "超出信用额度" in fang["text"], fang["text"]
    for text in (mei["text"], fang["text"]):
        assert "open " not in text and "> limit" not in text and "0000000" not in text, text
