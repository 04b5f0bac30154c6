"""End to end over HTTP: invite, link, /orders, the order card, in all three languages."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage.models import AuditEntry
from tests.support.harness import buttons, running_bot
from tests.support.world import (
    ACME_CHEN,
    ACME_HUANG,
    GLOBEX_JOHN,
    STRANGER,
    invite_token,
    seed,
)


@pytest.fixture
async def world(uow_factory, tmp_path: Path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def test_link_then_orders_newest_first_with_pages_in_traditional_chinese(
    world, db_url, now
):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        [welcome] = await h.say(ACME_CHEN, f"/start {token}")
        assert "Acme Trading" in welcome["text"]
        assert "已連結" in welcome["text"]  # zh_Hant from Telegram's language_code

        [page1] = await h.say(ACME_CHEN, "/orders")
        assert "12" in page1["text"]
        first_lines = [ln for ln in page1["text"].splitlines() if "PO-" in ln]
        assert [ln.split("</b>")[0].split("<b>")[1] for ln in first_lines] == [
            "PO-1012", "PO-1011", "PO-1010", "PO-1009", "PO-1008"]
        labels = [t for t, _ in buttons(page1)]
        assert any("較舊" in label for label in labels)

        older = next(d for t, d in buttons(page1) if d.startswith("ord:p:"))
        await h.press(ACME_CHEN, page1, older)
        page2 = h.api.message(ACME_CHEN.id, page1["message_id"])
        assert "PO-1007" in page2["text"] and "PO-1012" not in page2["text"]

        open_data = next(d for t, d in buttons(page2) if d.startswith("ord:o:"))
        before = len(h.api.sent_to(ACME_CHEN.id))
        await h.press(ACME_CHEN, page2, open_data)
        card = h.api.sent_to(ACME_CHEN.id)[before]["text"]
        assert "PO-1007" in card
        assert "生產中" in card  # in_production in zh_Hant
        assert "15,000.00" in card  # 1200 x 12.5 formatted by Babel


async def test_order_card_in_english_and_simplified(world, db_url, now):
    acme = await invite_token(world, "ACME", now)
    globex = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(GLOBEX_JOHN, f"/start {globex}")
        [card] = await h.say(GLOBEX_JOHN, "/order GX-1")
        text = card["text"]
        assert "Order GX-1" in text and "Shipped" in text
        assert "HKD\u00a049,025.00" in text
        assert "Copper wire" in text and "Kwai Chung" in text

        await h.say(ACME_HUANG, f"/start {acme}")
        [card] = await h.say(ACME_HUANG, "/order PO-1003")
        assert "订单 PO-1003" in card["text"] and "生产中" in card["text"]


async def test_used_expired_and_unknown_tokens_are_refused(world, db_url, now):
    token = await invite_token(world, "ACME", now)
    old = await invite_token(world, "GLOBEX", now - timedelta(days=30), days=7)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        [reply] = await h.say(GLOBEX_JOHN, f"/start {token}")
        assert "already been used" in reply["text"]
        [reply] = await h.say(GLOBEX_JOHN, f"/start {old}")
        assert "expired" in reply["text"]
        [reply] = await h.say(GLOBEX_JOHN, "/start not-a-real-token")
        assert "not valid" in reply["text"]
        [reply] = await h.say(GLOBEX_JOHN, "/orders")
        assert "invite link" in reply["text"]  # still a stranger: told how to get access


async def test_foreign_and_unknown_orders_get_the_same_not_found_and_are_audited(
    world, db_url, now
):
    token = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(GLOBEX_JOHN, f"/start {token}")
        [foreign] = await h.say(GLOBEX_JOHN, "/order PO-1001")
        [unknown] = await h.say(GLOBEX_JOHN, "/order PO-9999")
        assert foreign["text"] == unknown["text"].replace("PO-9999", "PO-1001")
        assert "not found" in foreign["text"]
        # A forged button for Acme's order id changes nothing and answers "not found" too.
        forged = await h.press(GLOBEX_JOHN, foreign, "ord:o:1")
        assert "not found" in forged["text"]
    async with world() as uow:
        denials = await uow.audit.list_recent(action="order.denied")
        assert len(denials) == 3
        assert all(isinstance(d, AuditEntry) and d.actor_telegram_id == GLOBEX_JOHN.id
                   for d in denials)
        assert {d.target_id for d in denials} == {"PO-1001", "PO-9999", "1"}


async def test_stranger_learns_what_the_bot_is(world, db_url, now):
    async with running_bot(db_url, lambda: now) as h:
        [reply] = await h.say(STRANGER, "hello there, who are you?")
        assert "invite link" in reply["text"]
        [reply] = await h.say(STRANGER, "/order PO-1001")
        assert "not found" in reply["text"]
