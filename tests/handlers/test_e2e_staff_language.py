"""Pushes to staff in each reader's language (issue 13, item 1): their own /language choice,
then the language the operator set (`staff add --locale`), then Telegram's language_code seen
on any update from them (a button press is enough), then the default."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.fake_api import Persona
from domain.enums import Role
from services import staff
from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import (
    EXEC_ZHOU,
    GLOBEX_JOHN,
    SALES_HEAD_HAN,
    SERVICE_KIM,
    SERVICE_LEAD_LUO,
    invite_token,
    seed,
)


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    # Kim (service) and Han (sales head) never write to the bot: only `staff add --locale`
    # tells their language.
    await seed(uow_factory, tmp_path, now)
    await staff.add_staff(uow_factory(), telegram_id=SERVICE_KIM.id, name="Kim",
                          roles=[Role.SERVICE], now=now, locale="en")
    # The sales head also stands in for the executive on emergencies here.
    await staff.add_staff(uow_factory(), telegram_id=SALES_HEAD_HAN.id, name="Han",
                          roles=[Role.SALES_HEAD, Role.EXECUTIVE], now=now, locale="zh_Hant")
    return uow_factory


async def pick(h: Harness, who: Persona, message: dict, fragment: str) -> dict:
    before = len(h.api.sent_to(who.id))
    await h.press(who, message, next(d for t, d in buttons(message) if fragment in t))
    await h.api.wait_for(lambda: len(h.api.sent_to(who.id)) > before)
    return h.api.sent_to(who.id)[-1]


async def test_staff_who_never_wrote_get_pushes_in_their_language(world, db_url, now):
    token = await invite_token(world, "GLOBEX", now)
    # Simplified by default, so English and Traditional can only come from what we stored.
    async with running_bot(db_url, lambda: now, default_locale="zh_Hans") as h:
        # Zhou (executive, no --locale, Telegram in zh-hant) only ever presses one button.
        somewhere = {"message_id": 1, "date": 0, "text": "old",
                     "chat": {"id": EXEC_ZHOU.id, "type": "private"}}
        await h.press(EXEC_ZHOU, somewhere, "cmp:ack:999999")
        await h.say(GLOBEX_JOHN, f"/start {token}")
        ask = (await h.say(GLOBEX_JOHN, "/complaint"))[0]
        ask = await pick(h, GLOBEX_JOHN, ask, "Delivery")
        ask = await pick(h, GLOBEX_JOHN, ask, "No specific order")
        [ask] = await h.say(GLOBEX_JOHN, "The truck never arrived, the line is stopped.")
        ask = await pick(h, GLOBEX_JOHN, ask, "Skip")
        ask = await pick(h, GLOBEX_JOHN, ask, "Urgent")
        await pick(h, GLOBEX_JOHN, ask, "Submit")
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: h.api.sent_to(SERVICE_KIM.id)
                             and h.api.sent_to(SALES_HEAD_HAN.id)
                             and h.api.sent_to(EXEC_ZHOU.id)
                             and len(h.api.sent_to(SERVICE_LEAD_LUO.id)) >= 2)
        [kim] = h.api.sent_to(SERVICE_KIM.id)
        assert kim["text"].startswith("New complaint CMP-000001 from Globex"), kim["text"]
        [han] = h.api.sent_to(SALES_HEAD_HAN.id)
        assert han["text"].startswith("緊急") and "CMP-000001" in han["text"], han["text"]
        assert "請立即處理" in han["text"]
        [zhou] = h.api.sent_to(EXEC_ZHOU.id)
        assert zhou["text"].startswith("緊急") and "請立即處理" in zhou["text"], zhou["text"]
        # Luo never wrote and has no --locale: the default.
        assert all("请立即处理" in m["text"] or "确认受理" in m["text"]
                   for m in h.api.sent_to(SERVICE_LEAD_LUO.id)), h.api.sent_to(
                       SERVICE_LEAD_LUO.id)
