"""Sales reps in chat: their own customers' orders, and invites for their own customers only."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.support.harness import running_bot
from tests.support.world import (
    ACME_HUANG,
    FINANCE_MEI,
    SALES_LIN,
    SALES_WANG,
    seed,
)


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def test_sales_see_only_their_customers_orders(world, db_url, now):
    async with running_bot(db_url, lambda: now) as h:
        [page] = await h.say(SALES_WANG, "/orders")
        assert "12" in page["text"] and "Acme Trading" in page["text"]
        assert "GX-1" not in page["text"]
        [card] = await h.say(SALES_WANG, "/order PO-1001")
        assert "ACME" in card["text"]  # staff see which customer an order belongs to
        [denied] = await h.say(SALES_WANG, "/order GX-1")
        assert "GX-1" in denied["text"] and "GX-1</b>" not in denied["text"]
        [lin] = await h.say(SALES_LIN, "/orders")
        assert "GX-1" in lin["text"] and "PO-1001" not in lin["text"]
        [all_orders] = await h.say(FINANCE_MEI, "/orders")
        assert "13 orders" in all_orders["text"]


async def test_a_sales_rep_invites_a_contact_who_then_links(world, db_url, now):
    async with running_bot(db_url, lambda: now) as h:
        [refused] = await h.say(SALES_WANG, "/invite GLOBEX")
        assert "own sales rep" in refused["text"] or "销售" in refused["text"]
        [invite] = await h.say(SALES_WANG, "/invite ACME")
        link = next(w for w in invite["text"].split() if w.startswith("https://t.me/"))
        assert link.startswith("https://t.me/dcm_demo_bot?start=")
        [welcome] = await h.say(ACME_HUANG, "/start " + link.split("start=")[1])
        assert "Acme Trading" in welcome["text"] and "已关联" in welcome["text"]
        [missing] = await h.say(SALES_WANG, "/invite")
        assert "/invite ACME" in missing["text"]
    async with world() as uow:
        actions = [e.action for e in await uow.audit.list_recent(limit=10)]
        assert "invite.denied" in actions and "contact.linked" in actions
