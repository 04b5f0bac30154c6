"""The bot as a real process: kill -9 mid-update, SIGTERM, a second process, health."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.fake_api import FakeBotApi
from tests.conftest import real_now
from tests.support.processes import TOKEN, env_for, start
from tests.support.world import ADMIN_ALI, seed


@pytest.fixture
def now() -> datetime:
    """The bot runs as a real process on the real clock: seed relative to it."""
    return real_now()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def test_kill_9_while_handling_then_restart_answers_once(world, db_url, api):
    # On PostgreSQL the dead process's claim runs out with its lease (SQLite frees it at start).
    env = env_for(api, db_url, DCM_LEASE_SECONDS="3")
    bot = await start(env)
    await api.wait_for(lambda: api.calls_of("deleteWebhook"), timeout=30)
    api.inject("sendMessage", "timeout")  # the reply hangs: the update is mid-handling
    await api.send_text(ADMIN_ALI, "/help")
    await api.wait_for(lambda: any(c.result == "fault:timeout" for c in api.calls), timeout=20)
    bot.kill()  # SIGKILL: no cleanup at all
    await bot.wait()
    again = await start(env)
    try:
        await api.wait_for(lambda: api.sent_to(ADMIN_ALI.id), timeout=30)
        await asyncio.sleep(1.0)
        assert len(api.sent_to(ADMIN_ALI.id)) == 1
        assert "What you can do" in api.sent_to(ADMIN_ALI.id)[0]["text"]
    finally:
        again.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(again.communicate(), 30)
        print(err.decode())
        assert again.returncode == 0


async def test_sigterm_finishes_in_flight_work_and_exits_zero(world, db_url, api):
    env = env_for(api, db_url)
    bot = await start(env)
    await api.wait_for(lambda: api.calls_of("deleteWebhook"), timeout=30)
    api.inject("sendMessage", "500", delay=1.5)  # slow, then fails: in flight at SIGTERM
    await api.send_text(ADMIN_ALI, "/help")
    await api.wait_for(lambda: api.calls_of("sendMessage"), timeout=20)
    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0
    second = await start(env)  # the lock was released: a new process may start at once
    try:
        await api.wait_for(lambda: api.sent_to(ADMIN_ALI.id), timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 30)


async def test_a_second_process_on_sqlite_refuses_with_a_clear_message(tmp_path, api):
    # SQLite only: on PostgreSQL several processes may run (tests/storage/test_leases.py).
    env = env_for(api, f"sqlite:///{tmp_path / 'one.sqlite3'}")
    first = await start(env)
    try:
        await api.wait_for(lambda: api.calls_of("deleteWebhook"), timeout=30)
        second = await start(env)
        _, err = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 1
        assert "another bot process is already running" in err.decode()
    finally:
        first.send_signal(signal.SIGTERM)
        await asyncio.wait_for(first.wait(), 30)


async def test_409_conflicts_exit_non_zero_and_log_critical(world, db_url, api):
    api.inject("getUpdates", "409", count=10)
    bot = await start(env_for(api, db_url, DCM_CONFLICT_LIMIT="2"))
    _, err = await asyncio.wait_for(bot.communicate(), 60)
    assert bot.returncode == 3
    assert "CRITICAL" in err.decode() and "another process is polling" in err.decode()
    assert TOKEN not in err.decode() and TOKEN.split(":")[1] not in err.decode()


async def test_health_reports_backlog_and_problems(world, db_url, api):
    env = env_for(api, db_url)
    health = await start(env, "health")
    out, _ = await asyncio.wait_for(health.communicate(), 60)
    assert health.returncode == 1 and "no successful poll recorded" in out.decode()
    bot = await start(env)
    await api.send_text(ADMIN_ALI, "/help")
    await api.wait_for(lambda: api.sent_to(ADMIN_ALI.id), timeout=30)
    healthy = await start(env, "health")
    out, _ = await asyncio.wait_for(healthy.communicate(), 60)
    bot.send_signal(signal.SIGTERM)
    await asyncio.wait_for(bot.wait(), 30)
    assert healthy.returncode == 0, out.decode()
    assert "inbox: done 1" in out.decode() and "status: OK" in out.decode()


async def test_a_dialog_survives_kill_9_at_every_step(world, db_url, api, now):
    from tests.support.world import GLOBEX_JOHN, invite_token

    token = await invite_token(world, "GLOBEX", now)
    env = env_for(api, db_url)

    async def answer(action, expect: str) -> dict:
        # A restart may first repeat the question whose answer was in flight at the kill
        # (the update is handled again and the dialog asks its current step once more).
        before = len(api.sent_to(GLOBEX_JOHN.id))
        await action()
        try:
            got = await api.wait_for(lambda: next(
                (m for m in api.sent_to(GLOBEX_JOHN.id)[before:] if expect in m["text"]),
                None), timeout=30)
        except TimeoutError:
            raise AssertionError([m["text"][:60] for m in api.sent_to(GLOBEX_JOHN.id)]) from None
        return got

    def press(message: dict, fragment: str):
        data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"]
                    for b in row if fragment in b["text"])
        return lambda: api.press(GLOBEX_JOHN, message, data)

    bot = await start(env)
    await answer(lambda: api.send_text(GLOBEX_JOHN, f"/start {token}"), "Globex")
    ask = await answer(lambda: api.send_text(GLOBEX_JOHN, "/complaint"), "about")
    steps = [
        (lambda m: press(m, "Quantity"), "Which order"),
        (lambda m: press(m, "No specific order"), "describe the problem"),
        (lambda m: lambda: api.send_text(GLOBEX_JOHN, "Forty cartons short in GX-1."),
         "evidence"),
        (lambda m: press(m, "Skip"), "How urgent"),
        (lambda m: press(m, "Normal"), "Forty cartons short"),
        (lambda m: press(m, "Submit"), "CMP-000001"),
    ]
    try:
        for make_action, expect in steps:
            bot.kill()  # kill -9 between every two answers
            await bot.wait()
            bot = await start(env)
            ask = await answer(make_action(ask), expect)
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 30)


async def test_kill_9_after_the_send_before_the_outbox_row_is_marked(world, db_url, api, now):
    from services.notify import notify
    from tests.support.world import SALES_WANG

    async with world() as uow:
        await notify(uow, key="test:one-notice", chat_id=SALES_WANG.id, locale="en",
                     msgid="Choose your language:", now=now)
        await uow.commit()
    ops_chat = -4242
    env = env_for(api, db_url, DCM_OPS_CHAT_ID=str(ops_chat), DCM_LEASE_SECONDS="2")
    api.inject("sendMessage", "delivered_then_hang", chat_id=SALES_WANG.id)
    bot = await start(env)
    await api.wait_for(lambda: api.sent_to(SALES_WANG.id), timeout=30)  # it arrived...
    bot.kill()  # ...and the bot died before it could write that down
    await bot.wait()
    again = await start(env)
    try:
        await api.wait_for(lambda: api.sent_to(ops_chat), timeout=30)
        await asyncio.sleep(0.5)
        assert "may or may not have been delivered" in api.sent_to(ops_chat)[0]["text"]
        assert len(api.sent_to(SALES_WANG.id)) == 1  # reported, not resent
    finally:
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.wait(), 30)
    async with world() as uow:
        row = await uow.outbox.by_key("test:one-notice")
        assert row is not None and row.status == "uncertain"


async def test_kill_9_after_the_business_commit_keeps_one_case_and_one_notice(world, db_url,
                                                                               api, now):
    from sqlalchemy import func, select

    from storage.models import Case
    from tests.support.world import GLOBEX_JOHN, SERVICE_KIM, invite_token

    token = await invite_token(world, "GLOBEX", now)
    env = env_for(api, db_url)
    bot = await start(env)

    async def said(text: str, expect: str) -> dict:
        before = len(api.sent_to(GLOBEX_JOHN.id))
        await api.send_text(GLOBEX_JOHN, text)
        return await api.wait_for(lambda: next(
            (m for m in api.sent_to(GLOBEX_JOHN.id)[before:] if expect in m["text"]), None),
            timeout=30)

    await said(f"/start {token}", "Globex")
    await said("/inquiry", "ask or tell")
    summary = await said("Do you ship to Macau as well?", "Macau")
    submit = next(b["callback_data"] for row in summary["reply_markup"]["inline_keyboard"]
                  for b in row if b["text"] == "Submit")
    api.inject("sendMessage", "timeout", chat_id=GLOBEX_JOHN.id)  # the thank-you hangs
    await api.press(GLOBEX_JOHN, summary, submit)
    await api.wait_for(lambda: any(c.result == "fault:timeout" for c in api.calls), timeout=30)
    bot.kill()  # after the case and its outbox rows were committed
    await bot.wait()
    again = await start(env)
    try:
        await api.wait_for(lambda: [m for m in api.sent_to(SERVICE_KIM.id)
                                    if "INQ-000001" in m["text"]], timeout=30)
        await asyncio.sleep(1.0)
    finally:
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.wait(), 30)
    assert len([m for m in api.sent_to(SERVICE_KIM.id) if "INQ-000001" in m["text"]]) == 1
    async with world() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Case))
                ).scalar_one() == 1
