"""The customer file, consents and prospects through the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import (
    FINANCE_MEI,
    LEGAL_LU,
    SALES_LIN,
    SALES_WANG,
    SERVICE_KIM,
    STRANGER,
    seed,
)

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CONSENT_PDF = {"document": {"file_id": "cons1", "file_unique_id": "uc1",
                            "file_name": "consent.pdf", "mime_type": "application/pdf",
                            "file_size": 40_000}}


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def press(h: Harness, who, message: dict, prefix: str) -> list[dict]:
    data = next(d for _, d in buttons(message) if d.startswith(prefix))
    before = len(h.api.sent_to(who.id))
    await h.press(who, message, data)
    await h.api.wait_for(lambda: len(h.api.sent_to(who.id)) > before)
    return h.api.sent_to(who.id)[before:]


async def test_an_export_is_refused_until_a_consent_is_recorded(world, db_url):
    async with running_bot(db_url, lambda: MONDAY, timezone="Asia/Shanghai") as h:
        [refused] = await h.say(LEGAL_LU, "/export ACME credit Bank of Taipei")
        assert "Refused" in refused["text"] and "Bank of Taipei" in refused["text"]
        assert h.api.calls_of("sendDocument") == []
        [usage] = await h.say(LEGAL_LU, "/export ACME everything Bank")
        assert "Usage" in usage["text"]
        [no] = await h.say(SERVICE_KIM, "/export ACME credit Bank of Taipei")
        assert "legal" in no["text"]
        # Legal records the signed consent in chat.
        [ask] = await h.say(LEGAL_LU, "/consent ACME")
        [ask] = await press(h, LEGAL_LU, ask, "dlg:consent:1:credit")
        [ask] = await h.say(LEGAL_LU, "Bank of Taipei")
        [junk, ask] = await h.say(LEGAL_LU, "here it is", replies=2)
        assert "signed document" in junk["text"]
        before = len(h.api.sent_to(LEGAL_LU.id))
        await h.api.send_message_body(LEGAL_LU, **CONSENT_PDF)
        await h.api.wait_for(lambda: len(h.api.sent_to(LEGAL_LU.id)) > before)
        [ask] = await h.say(LEGAL_LU, "2026-11-01")
        [done] = await press(h, LEGAL_LU, ask, "dlg:consent:")  # no expiry
        assert "Consent recorded" in done["text"]
        await h.say(LEGAL_LU, "/export ACME credit Bank of Taipei")
        [sent] = await h.api.wait_for(lambda: h.api.calls_of("sendDocument"))
        assert sent.params["chat_id"] == LEGAL_LU.id
        # The file shows the consent to legal; service sees neither credit nor consents.
        [file_] = await h.say(LEGAL_LU, "/customer ACME")
        assert "Bank of Taipei" in file_["text"]
        [basic] = await h.say(SERVICE_KIM, "/customer ACME")
        assert "500,000" not in basic["text"] and "Bank of Taipei" not in basic["text"]
        [credit] = await h.say(FINANCE_MEI, "/customer ACME")
        assert "CNY\u00a0500,000.00" in credit["text"]  # a limit with its currency


async def test_a_stranger_asks_to_become_a_customer_and_a_rep_takes_it(world, db_url):
    async with running_bot(db_url, lambda: MONDAY, timezone="Asia/Shanghai") as h:
        [hello] = await h.say(STRANGER, "/start")
        [ask] = await press(h, STRANGER, hello, "pr:new:")
        [ask] = await h.say(STRANGER, "Huaxin Metals")
        [ask] = await h.say(STRANGER, "Zhang, +86 138 0000 0000")
        [thanks] = await h.say(STRANGER, "Galvanised pipe, 300 t a year")
        assert "PR-000001" in thanks["text"]
        h.runner.relay.wake.set()
        owner = await h.api.wait_for(lambda: next(
            (p for p in (SALES_WANG, SALES_LIN) if any(
                "PR-000001" in m["text"] for m in h.api.sent_to(p.id))), None))
        notice = next(m for m in h.api.sent_to(owner.id) if "PR-000001" in m["text"])
        [card] = await press(h, owner, notice, "pr:v:")
        [card] = await press(h, owner, card, "pr:c:")  # the first source: trade show
        assert "Trade show" in card["text"] or "展" in card["text"]
        [ask] = await press(h, owner, card, "pr:a:")  # the application starts prefilled
        assert "2 of 8" in ask["text"] or "2" in ask["text"]
        [again] = await h.say(STRANGER, "/join")
        assert "PR-000001" in again["text"] or "already" in again["text"] or "已" in again["text"]
