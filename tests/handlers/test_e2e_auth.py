"""Authorization and leaks end to end (issue 12, section 4): prospects nobody owns, answers
that do not tell existing records from missing ones (R18), every refused press audited
(R7, R15), private data kept out of groups, and staff who leave losing access at once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.fake_api import Persona
from domain.calendar import WorkingCalendar
from domain.cases import CaseKind, CasePolicy, Category
from services.cases import open_case
from storage.models import AuditEntry
from tests.support.harness import Harness, running_bot
from tests.support.world import (
    ACME_CHEN,
    GLOBEX_JOHN,
    LEGAL_LU,
    SALES_HEAD_HAN,
    SALES_LIN,
    SALES_WANG,
    STRANGER,
    invite_token,
    seed,
)

ROOT = Path(__file__).resolve().parents[2]
GROUP = {"id": -100123, "type": "supergroup", "title": "Acme and us"}


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def refused(world, action: str) -> list[AuditEntry]:
    async with world() as uow:
        return list(await uow.audit.list_recent(action=action, limit=500))


async def customer_id(world, code: str) -> int:
    async with world() as uow:
        customer = await uow.customers.get_by_code(code)
        assert customer is not None
        return customer.id


async def a_message(h: Harness, who: Persona) -> dict[str, Any]:
    """Any message of the bot in this person's chat, to press forged buttons on."""
    [reply] = await h.say(who, "/help")
    return reply


def cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    """The operator CLI in its own process, on the bot's database, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCM_")}
    env.update(PYTHONPATH=str(ROOT), DCM_DATABASE_URL=db_url)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


# -- prospects ------------------------------------------------------------------------------

async def unowned_prospect(world, now: datetime) -> int:
    """A prospect that came in while no sales rep was active: nobody owns it."""
    async with world() as uow:
        prospect = uow.customer_file.add_prospect(
            telegram_id=6201, company="Orphan Metals", contact="Zhao 137", needs="Valves",
            source="bot", proposal={}, owner_id=None, status="new", created_at=now,
            updated_at=now)
        await uow.flush()
        prospect.number = f"PR-{prospect.id:06d}"
        await uow.commit()
        return prospect.id


async def test_a_prospect_without_a_rep_is_hidden_from_other_reps_and_strangers(world, db_url,
                                                                                now):
    ident = await unowned_prospect(world, now)
    async with running_bot(db_url, lambda: now) as h:
        for who in (SALES_LIN, STRANGER):
            message = await a_message(h, who)
            missing = await h.press(who, message, "pr:v:999999")
            assert missing["text"] in ("That prospect was not found.", "找不到該潛在客戶。")
            for data in (f"pr:v:{ident}", f"pr:c:{ident}:0", f"pr:p:{ident}",
                         f"pr:a:{ident}"):
                before = len(h.api.sent_to(who.id))
                answer = await h.press(who, message, data)
                # The same refusal as for a prospect that does not exist, and nothing shown.
                assert answer.get("text") == missing["text"], data
                assert answer.get("show_alert") is True
                assert not any("Orphan" in m.get("text", "")
                               for m in h.api.sent_to(who.id)[before:])
        # The sales head works every prospect, owned or not (the button itself works).
        message = await a_message(h, SALES_HEAD_HAN)
        before = len(h.api.sent_to(SALES_HEAD_HAN.id))
        await h.press(SALES_HEAD_HAN, message, f"pr:v:{ident}")
        shown = await h.api.wait_for(lambda: h.api.sent_to(SALES_HEAD_HAN.id)[before:])
        assert "Orphan Metals" in shown[0]["text"]
    async with world() as uow:
        prospect = await uow.customer_file.prospect(ident)
        assert prospect is not None
        assert (prospect.source, prospect.status, prospect.proposal) == ("bot", "new", {})
        assert await uow.dialogs.get(SALES_LIN.id) is None  # no proposal dialog was started
    targets = [(e.actor_telegram_id, e.target_id) for e in await refused(world,
                                                                          "button.refused")]
    for who in (SALES_LIN, STRANGER):
        for data in (f"pr:v:{ident}", f"pr:c:{ident}:0", f"pr:p:{ident}", f"pr:a:{ident}"):
            assert targets.count((who.id, data)) == 1, (who, data)


# -- enumeration (R18) ----------------------------------------------------------------------

async def test_statement_button_and_export_tell_nothing_about_what_exists(world, db_url, now):
    acme = await customer_id(world, "ACME")
    token = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(GLOBEX_JOHN, f"/start {token}")
        # Lin owns Globex, not Acme; John is Globex's contact; the stranger is nobody.
        for who in (SALES_LIN, GLOBEX_JOHN, STRANGER):
            message = await a_message(h, who)
            before = len(h.api.sent_to(who.id))
            theirs_not = await h.press(who, message, f"st:{acme}")
            missing = await h.press(who, message, "st:999999")
            assert (theirs_not["text"], theirs_not.get("show_alert")) == (missing["text"],
                                                                       missing["show_alert"])
            assert theirs_not.get("show_alert") is True and "ACME" not in theirs_not["text"]
            assert len(h.api.sent_to(who.id)) == before  # no statement was sent
        for who in (STRANGER, SALES_LIN, GLOBEX_JOHN):
            [exists] = await h.say(who, "/export ACME basic Bank of Taipei")
            [unknown] = await h.say(who, "/export NOPE basic Bank of Taipei")
            assert exists["text"] == unknown["text"]
            assert "Acme" not in exists["text"]
        # A control: legal gets past the role check and is refused for lack of consent.
        [lu] = await h.say(LEGAL_LU, "/export ACME basic Bank of Taipei")
        assert "not consented" in lu["text"]
    presses = {(e.actor_telegram_id, e.target_id) for e in await refused(world,
                                                                          "button.refused")}
    commands = {(e.actor_telegram_id, e.target_id) for e in await refused(world,
                                                                           "command.refused")}
    for who in (SALES_LIN, GLOBEX_JOHN, STRANGER):
        assert {(who.id, f"st:{acme}"), (who.id, "st:999999")} <= presses
        assert {(who.id, "/export ACME basic Bank of Taipei"),
                (who.id, "/export NOPE basic Bank of Taipei")} <= commands


# -- every refused press is audited (R7, R15) -----------------------------------------------

async def acme_case(world, now: datetime) -> tuple[int, int]:
    """A complaint of Acme's, opened through the service the dialog uses: (id, version)."""
    async with world() as uow:
        contact = await uow.contacts.get_by_telegram_id(ACME_CHEN.id)
        case = await open_case(
            uow, customer_id=contact.customer_id, contact_id=contact.id,
            kind=CaseKind.COMPLAINT, category=Category.QUALITY, order_id=None,
            description="Rust on the third batch.", urgent=False, attachments=[], now=now,
            calendar=WorkingCalendar("CN", "Asia/Shanghai"), policy=CasePolicy(),
            default_locale="en", actor_label="test")
        await uow.commit()
    async with world() as uow:
        row = await uow.cases.get(case.case_id)
        assert row is not None
        return row.id, row.version


@pytest.mark.parametrize("who", [STRANGER, GLOBEX_JOHN, SALES_WANG],
                         ids=["stranger", "other-customer", "sales"])
async def test_each_refused_press_leaves_one_audit_entry(world, db_url, now, who):
    token = await invite_token(world, "ACME", now)
    globex = await invite_token(world, "GLOBEX", now)
    ident = await unowned_prospect(world, now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        await h.say(GLOBEX_JOHN, f"/start {globex}")
        case, version = await acme_case(world, now)
        forged = [f"cs:{act}:{case}:{version}" for act in
                  ("view", "ack", "take", "asg", "fil", "note", "prop", "cls")]
        forged += [f"cs:to:{case}:{version}:1", f"cc:acc:{case}:{version}",
                   f"cc:rej:{case}:{version}", f"cc:dly:{case}:{version}",
                   f"cc:dln:{case}:{version}", f"pr:v:{ident}", f"pr:p:{ident}"]
        message = await a_message(h, who)
        for data in forged:
            answer = await h.press(who, message, data)
            assert answer.get("show_alert") is True, data
    entries = [e for e in await refused(world, "button.refused")
               if e.actor_telegram_id == who.id]
    assert sorted(e.target_id for e in entries) == sorted(forged)
    assert all(e.after and e.after.get("reason") for e in entries)
    async with world() as uow:  # and nothing changed: the case is where it was
        row = await uow.cases.get(case)
        assert row is not None and row.version == version


# -- groups ---------------------------------------------------------------------------------

async def say_in_group(h: Harness, who: Persona, text: str) -> list[dict[str, Any]]:
    """Send a command in the group; wait for the bot's reply there and a moment more."""
    before = len(h.api.sent_to(GROUP["id"]))
    await h.api.send_text(who, text, chat=GROUP)
    await h.api.wait_for(lambda: len(h.api.sent_to(GROUP["id"])) > before)
    await asyncio.sleep(0.3)  # anything else the bot would send lands now
    return h.api.sent_to(GROUP["id"])[before:]


async def test_private_data_never_goes_to_a_group(world, db_url, now):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        for who, text in ((ACME_CHEN, "/orders"), (ACME_CHEN, "/order PO-1001"),
                          (ACME_CHEN, "/statement"), (ACME_CHEN, "/cases"),
                          (SALES_WANG, "/orders@dcm_demo_bot"),
                          (SALES_WANG, "/customer ACME"), (SALES_WANG, "/statement ACME")):
            [reply] = await say_in_group(h, who, text)
            assert "private chat" in reply["text"] or "私人對話" in reply["text"] \
                or "私聊" in reply["text"], text
            assert "PO-" not in reply["text"] and "Acme" not in reply["text"]
        # A command for another bot in the group is not ours to answer.
        await h.api.send_text(ACME_CHEN, "/orders@other_bot", chat=GROUP)
        # A button pressed in the group (forged on our reply) opens nothing there either.
        reply = h.api.sent_to(GROUP["id"])[-1]
        answer = await h.press(ACME_CHEN, reply, "ord:o:1")
        assert answer.get("show_alert") is True and "私人對話" in answer.get("text")
        await asyncio.sleep(0.3)
        group = h.api.sent_to(GROUP["id"])
        assert len(group) == 7
        assert not any("PO-" in m.get("text", "") or m.get("reply_markup") for m in group)
        assert not h.api.calls_of("sendDocument") and not h.api.calls_of("sendPhoto")
        # In the private chat the same command still works.
        [page] = await h.say(ACME_CHEN, "/orders")
        assert "PO-1012" in page["text"]


# -- staff who leave ------------------------------------------------------------------------

async def test_a_removed_member_of_staff_is_refused_from_the_next_update_on(world, db_url,
                                                                           now):
    async with running_bot(db_url, lambda: now) as h:
        [page] = await h.say(SALES_WANG, "/orders")
        assert "PO-1012" in page["text"]
        removed = await asyncio.to_thread(cli, "staff", "remove", "--telegram-id",
                                          str(SALES_WANG.id), db_url=db_url)
        assert removed.returncode == 0, removed.stderr
        assert "removed staff Wang (9101)" in removed.stdout
        [orders] = await h.say(SALES_WANG, "/orders")
        assert "PO-" not in orders["text"]
        [customer] = await h.say(SALES_WANG, "/customer ACME")
        assert "陈大文" not in customer["text"] and "陳大文" not in customer["text"]
        [invite] = await h.say(SALES_WANG, "/invite ACME")
        assert "t.me/" not in invite["text"]
        [help_] = await h.say(SALES_WANG, "/help")
        assert "邀请链接" in help_["text"]  # what a stranger is told, in their language
        # Adding them again gives the access back.
        back = await asyncio.to_thread(cli, "staff", "add", "--telegram-id",
                                       str(SALES_WANG.id), "--name", "Wang", "--role",
                                       "sales", db_url=db_url)
        assert back.returncode == 0, back.stderr
        [page] = await h.say(SALES_WANG, "/orders")
        assert "PO-1012" in page["text"]
    async with world() as uow:
        [entry] = await uow.audit.list_recent(action="staff.removed")
        assert entry.target_id == str(SALES_WANG.id) and entry.actor == "cli"
        assert entry.before["active"] is True and entry.after["active"] is False
        member = await uow.staff.get_by_telegram_id(SALES_WANG.id)
        assert member is not None and member.active  # reactivated, same row
        assert [r.role.value for r in member.roles] == ["sales"]


async def test_staff_add_locale_is_the_language_the_bot_speaks_to_them(world, db_url, now):
    # Wang's Telegram is in Simplified Chinese, Lu's in English.
    for persona, roles, locale in ((SALES_WANG, "sales", "en"), (LEGAL_LU, "legal", "zh_Hant")):
        done = await asyncio.to_thread(cli, "staff", "add", "--telegram-id", str(persona.id),
                                       "--name", persona.first_name, "--role", roles,
                                       "--locale", locale, db_url=db_url)
        assert done.returncode == 0, done.stderr
        assert f"[{locale}]" in done.stdout
    bad = await asyncio.to_thread(cli, "staff", "add", "--telegram-id", "9999", "--name", "X",
                                  "--role", "sales", "--locale", "fr", db_url=db_url)
    assert bad.returncode == 2 and "--locale: unknown locale 'fr'" in bad.stderr
    async with running_bot(db_url, lambda: now) as h:
        [wang] = await h.say(SALES_WANG, "/help")
        assert "Your roles: Sales" in wang["text"]
        [lu] = await h.say(LEGAL_LU, "/customer NOPE")
        assert lu["text"] == "找不到客戶代碼為 NOPE 的客戶。"
        # Their own choice still wins over the operator's.
        [menu] = await h.say(SALES_WANG, "/language")
        choice = next(b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"]
                      for b in row if "简体中文" in b["text"])
        await h.press(SALES_WANG, menu, choice)
        [wang] = await h.say(SALES_WANG, "/help")
        assert "您的角色" in wang["text"]
    async with world() as uow:  # messages sent outside an update use it too
        from services.notify import recipient_locale

        assert await recipient_locale(uow, LEGAL_LU.id, "en") == "zh_Hant"
        assert await recipient_locale(uow, SALES_WANG.id, "en") == "zh_Hans"
