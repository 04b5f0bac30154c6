"""Receivables through the fake Bot API: a customer's statement in their language, finance's
overview with its chart, and an order over the limit approved with buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.calendar import WorkingCalendar
from domain.enums import OrderStatus
from domain.receivables import LadderPolicy
from services import receivables
from services.receivables import Ledger
from storage.models import AuditEntry, CreditRequest
from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import (
    ACME_CHEN,
    EXEC_ZHOU,
    FINANCE_FANG,
    FINANCE_MEI,
    SALES_WANG,
    invite_token,
    seed,
    write_csv,
)

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
LEDGER = Ledger(WorkingCalendar("CN", "Asia/Shanghai"), LadderPolicy(), "en")


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    csv = write_csv(tmp_path / "inv.csv", ["invoice_no", "customer_code", "order_no", "amount",
                                           "currency", "issued_on", "due_on"], [
        ["INV-1", "ACME", "PO-1001", "100000", "TWD", "2026-09-01", "2026-10-12"],
        ["INV-2", "ACME", "", "20000", "TWD", "2026-11-01", "2026-12-31"]])
    await receivables.import_invoices(uow_factory(), csv, now=now, ledger=LEDGER)
    async with uow_factory() as uow:
        customer = await uow.customers.get_by_code("ACME")
        assert customer is not None
        customer.credit_currency, customer.credit_limit = "TWD", Decimal("125000")
        uow.orders.add(order_no="PO-2002", customer_id=customer.id, order_date=date(2026, 11, 26),
                       product="Steel pipe", spec="", quantity=Decimal("1200"), unit="pcs",
                       unit_price=Decimal("12.5"), currency="TWD", delivery_date=None,
                       delivery_place="", payment_terms="", expected_delivery=None,
                       status=OrderStatus.PENDING, created_at=now, updated_at=now)
        await uow.commit()
    return uow_factory


async def notice(h: Harness, who, fragment: str) -> dict:
    h.runner.relay.wake.set()
    return await h.api.wait_for(lambda: next(
        (m for m in reversed(h.api.sent_to(who.id)) if fragment in m.get("text", "")), None))


async def test_statement_overview_and_an_order_over_the_limit(world, db_url):
    token = await invite_token(world, "ACME", NOW)
    async with running_bot(db_url, lambda: NOW, timezone="Asia/Shanghai") as h:
        await h.say(ACME_CHEN, f"/start {token}")
        [statement] = await h.say(ACME_CHEN, "/statement")
        assert "INV-1" in statement["text"] and "INV-2" in statement["text"]
        assert "100,000.00" in statement["text"] and "46" in statement["text"]  # days overdue
        [usage] = await h.say(SALES_WANG, "/statement")
        assert "/statement ACME" in usage["text"]
        [overview] = await h.say(FINANCE_MEI, "/receivables")
        assert "120,000.00" in overview["text"] and "ACME" in overview["text"]
        await h.api.wait_for(lambda: [c for c in h.api.calls_of("sendPhoto")
                                      if c.params["chat_id"] == FINANCE_MEI.id])
        # While the chart is drawn, the chat says a photo is on its way.
        to_mei = [c.method for c in h.api.calls if c.params.get("chat_id") == FINANCE_MEI.id]
        assert to_mei.index("sendChatAction") < to_mei.index("sendPhoto")
        assert h.api.calls_of("sendChatAction")[-1].params["action"] == "upload_photo"
        drill = next(d for _, d in buttons(overview) if d.startswith("st:"))
        before = len(h.api.sent_to(FINANCE_MEI.id))
        await h.press(FINANCE_MEI, overview, drill)  # into the worst account
        await h.api.wait_for(lambda: len(h.api.sent_to(FINANCE_MEI.id)) > before)
        assert "INV-1" in h.api.sent_to(FINANCE_MEI.id)[-1]["text"]
        forged = await h.press(SALES_WANG, statement, "st:2")  # Globex is not Wang's
        assert forged.get("show_alert")
        # 120,000 open + 15,000 for the order > 125,000: finance, then the executive.
        [held] = await h.say(SALES_WANG, "/confirm PO-2002")
        assert "PO-2002" in held["text"]
        ask = await notice(h, FINANCE_MEI, "PO-2002")
        approve = next(d for _, d in buttons(ask) if d.startswith("cr:ok:"))
        forged = await h.press(ACME_CHEN, statement, approve)  # a customer cannot decide
        assert forged.get("show_alert")
        answer = await h.press(FINANCE_MEI, ask, approve)
        assert "executive" in answer["text"]
        ask = await notice(h, EXEC_ZHOU, "PO-2002")
        await h.press(EXEC_ZHOU, ask, next(d for _, d in buttons(ask) if d.startswith("cr:ok:")))
        await notice(h, SALES_WANG, "超出信用额度的订单")  # told in Simplified Chinese
    async with world() as uow:
        orders = await uow.orders.by_numbers(["PO-2002"])
        assert orders["PO-2002"].status == OrderStatus.CONFIRMED


async def test_the_second_finance_approver_is_told_who_decided_and_when(world, db_url):
    """Two finance staff press on the same order at once: one decision; the other hears who
    took it and when, not "this step is not yours" (R7)."""
    async with running_bot(db_url, lambda: NOW, timezone="Asia/Shanghai") as h:
        await h.say(FINANCE_FANG, "/help")  # her language (Simplified Chinese) becomes known
        await h.say(SALES_WANG, "/confirm PO-2002")
        asks = {p: await notice(h, p, "PO-2002") for p in (FINANCE_MEI, FINANCE_FANG)}
        approve = next(d for _, d in buttons(asks[FINANCE_MEI]) if d.startswith("cr:ok:"))
        before = len(h.api.calls_of("answerCallbackQuery"))
        for persona, ask in asks.items():  # both presses arrive before either is handled
            await h.api.press(persona, ask, approve)
        await h.api.wait_for(lambda: len(h.api.calls_of("answerCallbackQuery")) >= before + 2)
        answers = {c.params["callback_query_id"]: c.params.get("text", "")
                   for c in h.api.calls_of("answerCallbackQuery")[before:]}
        # A late press after the step moved on to the executive is told the same.
        late = await h.press(FINANCE_FANG, asks[FINANCE_FANG], approve)
        h.runner.relay.wake.set()
        await notice(h, EXEC_ZHOU, "PO-2002")
    async with world() as uow:
        request = (await uow.session.execute(select(CreditRequest))).scalar_one()
        winner = await uow.staff.get(request.finance_by_id)
        stale = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "credit.stale_press"))).scalars().all()
        denied = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "credit.denied"))).scalars().all()
    assert request.status == "executive"
    told = [text for text in [*answers.values(), late["text"]] if winner.name in text]
    assert len(told) == 2, (answers, late)  # the loser at once, and the late press
    assert all("11月27日" in text or "Nov 27" in text for text in told), told  # and when
    assert not any("not yours" in t or "不是" in t for t in [*answers.values(), late["text"]])
    assert len(stale) == 2 and not denied
    assert len([m for m in h.api.sent_to(EXEC_ZHOU.id) if "PO-2002" in m.get("text", "")]) == 1
