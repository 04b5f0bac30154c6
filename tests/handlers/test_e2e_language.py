"""Language end to end: Telegram's code, detection from the first text, /language, errors."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.fake_api import Persona
from tests.support.harness import buttons, running_bot
from tests.support.world import ACME_CHEN, invite_token, seed

NO_CODE = Persona(6101, "Lee", None)


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def test_first_text_decides_the_language_then_language_button_overrides(world, db_url,
                                                                              now):
    async with running_bot(db_url, lambda: now) as h:
        [reply] = await h.say(NO_CODE, "請問你們的訂單怎麼查詢？")
        assert "邀請連結" in reply["text"]  # detected Traditional Chinese, kept from now on
        [reply] = await h.say(NO_CODE, "/help")
        assert "邀請連結" in reply["text"]
        [menu] = await h.say(NO_CODE, "/language")
        data = dict((label.removeprefix("✓ "), d) for label, d in buttons(menu))
        assert set(data) == {"繁體中文", "简体中文", "English"}
        await h.press(NO_CODE, menu, data["English"])
        assert "English" in h.api.message(NO_CODE.id, menu["message_id"])["text"]
        [reply] = await h.say(NO_CODE, "/help")
        assert "invite link" in reply["text"]
        # The menu of commands follows the language and the role.
        scoped = [c for c in h.api.calls_of("setMyCommands")
                  if (c.params.get("scope") or {}).get("chat_id") == NO_CODE.id]
        assert scoped and scoped[-1].params["commands"][0]["command"] == "start"
        assert scoped[-1].params["commands"][1]["description"] == "What I can do for you"


async def test_errors_come_in_the_users_language(world, db_url, now):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        [reply] = await h.say(ACME_CHEN, "/order NOPE-1")
        assert "NOPE-1" in reply["text"] and "找不到" in reply["text"]
        [reply] = await h.say(ACME_CHEN, "/order")
        assert "/order PO-1001" in reply["text"] and "訂單" in reply["text"]
        [reply] = await h.say(ACME_CHEN, "/frobnicate")
        assert "/help" in reply["text"]
        await h.api.send_message_body(ACME_CHEN, sticker={
            "file_id": "s1", "file_unique_id": "s1", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False})
        before = len(h.api.sent_to(ACME_CHEN.id))
        await h.api.wait_for(lambda: len(h.api.sent_to(ACME_CHEN.id)) > before - 1)
        # Contact menus after linking: orders first, in Traditional Chinese.
        scoped = [c for c in h.api.calls_of("setMyCommands")
                  if (c.params.get("scope") or {}).get("chat_id") == ACME_CHEN.id]
        assert scoped[-1].params["commands"][0]["command"] == "orders"


async def test_forged_and_stale_buttons_are_answered_once_and_change_nothing(world, db_url,
                                                                             now):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        [welcome] = await h.say(ACME_CHEN, f"/start {token}")
        for forged in ("adm:ok:1", "ord:p:0", "ord:o:-1", "lang:fr", "x" * 64, ""):
            answer = await h.press(ACME_CHEN, welcome, forged)
            assert answer["show_alert"] is True and "按鈕" in answer["text"]
        queries = h.api.calls_of("answerCallbackQuery")
        assert len({q.params["callback_query_id"] for q in queries}) == len(queries) == 6
    async with world() as uow:
        rejected = await uow.audit.list_recent(action="button.rejected")
        assert sorted(e.target_id for e in rejected) == sorted(
            ["adm:ok:1", "ord:p:0", "ord:o:-1", "lang:fr", "x" * 64, ""])
