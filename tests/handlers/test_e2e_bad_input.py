"""Bad input that used to crash or stall an update (issue 12, section 5), end to end.

Each update here was retried and dead-lettered before (on PostgreSQL for out-of-range ids and
NUL characters; on both for updates nobody sent): now each gets a clear answer, or none where
no person sent it, and is done on its first try.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from handlers.inbound import strip_nul
from storage.models import AuditEntry, Case, Contact, InboxUpdate
from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import (
    ACME_CHEN,
    FINANCE_MEI,
    GLOBEX_JOHN,
    LEGAL_LU,
    SALES_WANG,
    SERVICE_KIM,
    invite_token,
    seed,
)

GROUP = {"id": -1001234, "type": "supergroup", "title": "Acme purchasing"}
CHANNEL = {"id": -1009999, "type": "channel", "title": "Acme news"}
ORDERS = {"text": "/orders", "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                   "username": "GroupAnonymousBot"}
TELEGRAM = {"id": 777000, "is_bot": False, "first_name": "Telegram"}


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


def fast(**extra: Any) -> dict[str, Any]:
    """Settings under which a failing update is dead-lettered within a second."""
    return {"inbox_backoff_seconds": 0.05, "inbox_max_attempts": 2, **extra}


async def settled(world, count: int = 1, timeout: float = 15.0) -> list[InboxUpdate]:
    """Wait until at least `count` updates are stored and none waits for (another) try."""
    deadline = time.monotonic() + timeout
    while True:
        async with world() as uow:
            rows = list((await uow.session.execute(select(InboxUpdate))).scalars())
        if len(rows) >= count and all(r.status != "new" for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise TimeoutError([(r.update_id, r.status, r.last_error) for r in rows])
        await asyncio.sleep(0.05)


async def assert_each_done_on_first_try(world) -> None:
    bad = [(r.update_id, r.status, r.attempts, r.last_error) for r in await settled(world)
           if r.status != "done" or r.attempts]
    assert not bad, bad


async def test_forged_buttons_with_out_of_range_ids_or_nul_are_refused_and_audited(
        world, db_url, now):
    token = await invite_token(world, "ACME", now)
    forged = ["ord:o:99999999999", "ap:ok:3000000000", "cs:ack:2147483648:1",
              "cr:ok:2147483648", "ev:y:999999999999", "pr:v:2147483648", "x\x00y"]
    async with running_bot(db_url, lambda: now, **fast()) as h:
        [card] = await h.say(ACME_CHEN, f"/start {token}")
        answers = [await h.press(ACME_CHEN, card, data) for data in forged]
        answers += [await h.press(SERVICE_KIM, card, "cs:ack:99999999999:1"),
                    await h.press(FINANCE_MEI, card, "cr:no:4294967296")]
        # A NUL is dropped before the data is read: what is left is an ordinary press.
        before = len(h.api.sent_to(ACME_CHEN.id))
        await h.press(ACME_CHEN, card, "ord:o:\x001")
        [order] = await h.api.wait_for(lambda: h.api.sent_to(ACME_CHEN.id)[before:])
        assert "PO-1001" in order["text"]
    assert all(a.get("show_alert") for a in answers), answers
    assert len({a["text"] for a in answers[:len(forged)]}) == 1  # one refusal, for each
    await assert_each_done_on_first_try(world)
    async with world() as uow:
        refused = (await uow.session.execute(select(AuditEntry.target_id).where(
            AuditEntry.action == "button.rejected"))).scalars().all()
    assert {"ord:o:99999999999", "cs:ack:99999999999:1", "cr:no:4294967296"} <= set(refused)
    assert "xy" in refused  # kept without its NUL: PostgreSQL cannot store one


async def test_nul_in_text_names_and_commands_is_dropped_at_the_edge(world, db_url, now):
    token = await invite_token(world, "GLOBEX", now)
    john = GLOBEX_JOHN.__class__(GLOBEX_JOHN.id, "Jo\x00hn", "en")
    async with running_bot(db_url, lambda: now, **fast()) as h:
        await h.say(john, f"/start {token}\x00")
        [card] = await h.say(GLOBEX_JOHN, "/order GX-\x001")
        assert "GX-1" in card["text"] and "not found" not in card["text"]
        await h.say(GLOBEX_JOHN, "/inquiry")
        [summary] = await h.say(GLOBEX_JOHN, "When\x00 is the price list due?")
        assert "When is the price list due?" in summary["text"]
        submit = next(d for text, d in buttons(summary) if "Submit" in text)
        before = len(h.api.sent_to(GLOBEX_JOHN.id))
        await h.press(GLOBEX_JOHN, summary, submit)
        [filed] = await h.api.wait_for(lambda: h.api.sent_to(GLOBEX_JOHN.id)[before:])
        assert "INQ-" in filed["text"] or "000001" in filed["text"], filed["text"]
        for command in ("/case CMP-00\x00001", "/customer GLO\x00BEX", "/statement G\x00"):
            [reply] = await h.say(SERVICE_KIM if "statement" not in command else FINANCE_MEI,
                                  command)
            assert reply["text"].strip()
    await assert_each_done_on_first_try(world)
    async with world() as uow:
        case = (await uow.session.execute(select(Case))).scalar_one()
        contact = (await uow.session.execute(
            select(Contact).where(Contact.telegram_id == GLOBEX_JOHN.id))).scalar_one()
    assert case.description == "When is the price list due?" and contact.name == "John"


async def test_typed_numbers_out_of_range_get_an_answer_not_an_error(world, db_url, now):
    async with running_bot(db_url, lambda: now, **fast()) as h:
        replies = {}
        for who, command in ((SERVICE_KIM, "/case 99999999999"),
                             (SERVICE_KIM, "/case -1"),
                             (LEGAL_LU, "/application 99999999999"),
                             (LEGAL_LU, "/order 99999999999"),
                             (FINANCE_MEI, "/credit ACME 100 ² annual review"),
                             (FINANCE_MEI, "/credit ACME 100 99999999999 annual review"),
                             (FINANCE_MEI, "/credit ACME 1000000000000 30 annual review"),
                             (SERVICE_KIM, "/report complaints 0001")):
            [reply] = await h.say(who, command)
            replies[command] = reply["text"]
    assert "not found" in replies["/case 99999999999"]
    assert "not found" in replies["/application 99999999999"]
    assert "0 to 365" in replies["/credit ACME 100 ² annual review"]
    assert "0 to 365" in replies["/credit ACME 100 99999999999 annual review"]
    assert "as a number" in replies["/credit ACME 1000000000000 30 annual review"]
    assert "did not understand the period" in replies["/report complaints 0001"]
    assert not any("went wrong" in text for text in replies.values()), replies
    await assert_each_done_on_first_try(world)


async def push(h: Harness, key: str, **message: Any) -> int:
    body = {"message_id": 50, "date": int(time.time()), **message}
    return await h.api.push_update({key: body})


async def test_updates_no_person_sent_are_ignored_quietly(world, db_url, now):
    async with running_bot(db_url, lambda: now, **fast(ops_chat_id=SALES_WANG.id)) as h:
        await push(h, "message", chat=GROUP, **ORDERS)  # no `from` at all
        await push(h, "message", chat=GROUP, sender_chat=GROUP, **{"from": ANONYMOUS_ADMIN},
                   **ORDERS)
        await push(h, "message", chat=GROUP, sender_chat=CHANNEL, **{"from": TELEGRAM},
                   is_automatic_forward=True, text="New price list")
        await push(h, "channel_post", chat=CHANNEL, sender_chat=CHANNEL, **ORDERS)
        await push(h, "edited_channel_post", chat=CHANNEL, sender_chat=CHANNEL, **ORDERS)
        await h.api.push_update({"callback_query": {
            "id": "q1", "from": ANONYMOUS_ADMIN, "chat_instance": "1", "data": "ord:p:1",
            "message": {"message_id": 1, "date": 0, "chat": GROUP}}})
        await h.api.wait_for(lambda: h.api.calls_of("answerCallbackQuery"))
        await settled(world, count=6)
        [answer] = h.api.calls_of("answerCallbackQuery")  # a press is still answered (R8)
        assert answer.params["callback_query_id"] == "q1" and not answer.params.get("text")
        # A person in the same group is answered as always.
        [reply] = await h.say(GLOBEX_JOHN, "/help")
        assert reply["text"]
    await assert_each_done_on_first_try(world)
    sent = [c.params.get("chat_id") for c in h.api.calls_of("sendMessage")]
    assert sent == [GLOBEX_JOHN.id]  # nothing to the group, the channel or ops


async def test_an_edit_is_not_taken_as_the_answer_to_the_current_step(world, db_url, now):
    token = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now, **fast()) as h:
        await h.say(GLOBEX_JOHN, f"/start {token}")
        await h.say(GLOBEX_JOHN, "hello")  # an old message, before any dialog
        await h.say(GLOBEX_JOHN, "/inquiry")
        before = len(h.api.sent_to(GLOBEX_JOHN.id))
        await push(h, "edited_message", message_id=1,
                   edit_date=int(time.time()), chat=GLOBEX_JOHN.private_chat(),
                   **{"from": GLOBEX_JOHN.as_user()}, text="hello, edited")
        [note] = await h.api.wait_for(lambda: h.api.sent_to(GLOBEX_JOHN.id)[before:])
        assert "Edits are not taken" in note["text"]
        [summary] = await h.say(GLOBEX_JOHN, "Is the price list out?")
        assert "Is the price list out?" in summary["text"]
        assert "hello, edited" not in summary["text"]
    async with world() as uow:
        dialog = await uow.dialogs.get(GLOBEX_JOHN.id)
    assert dialog is not None and dialog.step == "confirm"
    assert dialog.data["description"] == "Is the price list out?"
    await assert_each_done_on_first_try(world)


def test_stripping_nul_keeps_entities_on_their_words() -> None:
    from telegram import Update

    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": False, "first_name": "A\x00n"},
        "text": "/order\x00 \x00😀 PO-1", "caption": None,
        "entities": [{"type": "bot_command", "offset": 0, "length": 6},
                     {"type": "bold", "offset": 8, "length": 1},
                     {"type": "code", "offset": 12, "length": 4}]}}, None)
    assert update is not None and update.message is not None
    assert strip_nul(update)
    message = update.message
    assert message.text == "/order 😀 PO-1" and message.from_user.first_name == "An"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bot_command", 0, 6), ("code", 10, 4)]  # the bold one covered only a NUL
    assert message.parse_entity(message.entities[1]) == "PO-1"
    assert not strip_nul(update)  # nothing left to strip


async def test_a_member_of_staff_with_every_role_is_answered(world, db_url, now):
    """The per-chat menu key listed every command: with all roles it outgrew its column and
    PostgreSQL failed each update this person sent."""
    from bot.fake_api import Persona
    from domain.enums import Role
    from services import staff

    boss = Persona(9999, "Boss", "en")
    await staff.add_staff(world(), telegram_id=boss.id, name="Boss", roles=list(Role),
                          now=now)
    async with running_bot(db_url, lambda: now, **fast()) as h:
        [reply] = await h.say(boss, "/help")
        assert "/receivables" in reply["text"] and "/queue" in reply["text"]
        await h.api.wait_for(lambda: h.api.calls_of("setMyCommands"))
    await assert_each_done_on_first_try(world)
