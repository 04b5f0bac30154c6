"""Faults around a real bot process: the database stops, 429 storms, 5xx bursts, and two
processes sharing due work on PostgreSQL (R3, R5, R10, R11, R16)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.fake_api import FakeBotApi, Persona
from services.dialogs import TIMEOUT_KIND
from services.notify import notify
from services.time import utc_now
from storage.db import open_database
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from tests.conftest import PG_URL, _reset_postgres, real_now
from tests.support.burst import kill9_burst
from tests.support.processes import env_for, start, stop
from tests.support.proxy import CuttableProxy
from tests.support.world import ADMIN_ALI, FINANCE_MEI, SALES_WANG, seed

SORRY = "cannot serve you right now"
# Updates handled at once, one per chat (bot/inbox.py's concurrency): at a kill, at most these
# can have had their reply sent and their done-mark not yet committed.
IN_FLIGHT = 8
HELP = "What you can do"


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


@asynccontextmanager
async def database_outage(db_url: str) -> AsyncIterator[tuple[str, object]]:
    """Yield (the URL the bot should use, a `down(bool)` switch) for either backend.

    PostgreSQL: the bot connects through a proxy that is cut like a stopped server (every
    connection dropped, new ones refused). SQLite: another process holds an exclusive lock
    on the file, as a backup or a migration would, so every write fails with "locked".
    """
    if db_url.startswith("postgresql"):
        parts = urlsplit(db_url)
        proxy = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        port = await proxy.start()
        netloc = f"{parts.username or 'postgres'}@127.0.0.1:{port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

        async def pg_down(down: bool) -> None:
            await (proxy.cut() if down else proxy.restore())

        try:
            yield url, pg_down
        finally:
            await proxy.stop()
    else:
        path = db_url.removeprefix("sqlite:///")
        holder: list[sqlite3.Connection] = []

        def lock() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, timeout=30,
                                   check_same_thread=False)
            conn.execute("BEGIN EXCLUSIVE")
            return conn

        async def sqlite_down(down: bool) -> None:
            # In a thread: waiting for the bot's write to end must not stop this event loop,
            # which serves the fake Bot API the bot is talking to.
            if down:
                holder.append(await asyncio.to_thread(lock))
            else:
                conn = holder.pop()
                await asyncio.to_thread(conn.execute, "ROLLBACK")
                conn.close()

        try:
            yield db_url, sqlite_down
        finally:
            for conn in holder:
                conn.close()


async def test_the_database_stops_the_bot_stays_up_apologises_and_catches_up(world, db_url,
                                                                             api):
    async with database_outage(db_url) as (url, down):
        bot = await start(env_for(api, url))
        try:
            await api.send_text(ADMIN_ALI, "/help")
            await api.wait_for(lambda: api.sent_to(ADMIN_ALI.id), timeout=30)
            await down(True)
            await api.send_text(ADMIN_ALI, "/help")
            await api.send_text(FINANCE_MEI, "/help")
            await api.wait_for(lambda: len(api.sent_to(ADMIN_ALI.id)) >= 2
                               and api.sent_to(FINANCE_MEI.id), timeout=60)
            sorry = [m["text"] for m in api.sent_to(ADMIN_ALI.id)[1:]
                     + api.sent_to(FINANCE_MEI.id)]
            assert sorry and all(SORRY in t for t in sorry)
            await asyncio.sleep(3)  # the outage goes on: still up, nothing sent twice
            assert bot.returncode is None
            assert len(api.sent_to(ADMIN_ALI.id)) == 2 and len(api.sent_to(FINANCE_MEI.id)) == 1
            await down(False)
            await api.wait_for(lambda: sum(HELP in m["text"] for m in api.sent_to(ADMIN_ALI.id))
                               == 2 and any(HELP in m["text"]
                                            for m in api.sent_to(FINANCE_MEI.id)), timeout=90)
            # Back to normal: a new message is answered at once, and nothing came twice.
            await api.send_text(ADMIN_ALI, "/help")
            await api.wait_for(lambda: sum(HELP in m["text"] for m in api.sent_to(ADMIN_ALI.id))
                               == 3, timeout=30)
            await asyncio.sleep(1.0)
            assert [SORRY in m["text"] for m in api.sent_to(FINANCE_MEI.id)] == [True, False]
            assert sum(HELP in m["text"] for m in api.sent_to(ADMIN_ALI.id)) == 3
        finally:
            log = await stop(bot)
            print(log[-6000:])  # shown when the test fails
    assert "database" in log.lower()  # the outage was logged, and the process exited 0


async def test_429_storms_and_5xx_bursts_lose_and_double_nothing(world, db_url, api, now):
    """With the pacer on (the default): 429s on replies and notices, 500/502 on sends and
    on getUpdates; every reply and every notice arrives exactly once."""
    async with world() as uow:
        for n in range(12):
            await notify(uow, key=f"storm:{n}", chat_id=SALES_WANG.id, locale="en",
                         msgid="Choose your language:", now=now)
        await uow.commit()
    api.inject("getUpdates", "500", count=3)
    api.inject("getUpdates", "502", count=2)
    api.inject("sendMessage", "429", count=8, retry_after=1)
    api.inject("sendMessage", "502", count=4)
    api.inject("sendMessage", "500", count=4)
    bot = await start(env_for(api, db_url, DCM_USE_RATE_LIMITER="true"))
    try:
        for _ in range(3):
            await api.send_text(ADMIN_ALI, "/help")
            await api.send_text(FINANCE_MEI, "/help")
        await api.wait_for(lambda: len(api.sent_to(ADMIN_ALI.id)) >= 3
                           and len(api.sent_to(FINANCE_MEI.id)) >= 3
                           and len(api.sent_to(SALES_WANG.id)) >= 12, timeout=120)
        await asyncio.sleep(3.0)  # anything doubled would arrive now
    finally:
        log = await stop(bot)
    faults = Counter(c.result for c in api.calls if str(c.result).startswith("fault:"))
    assert faults["fault:429"] == 8 and faults["fault:500"] + faults["fault:502"] >= 8
    assert len(api.sent_to(ADMIN_ALI.id)) == 3 and len(api.sent_to(FINANCE_MEI.id)) == 3
    assert len(api.sent_to(SALES_WANG.id)) == 12
    assert all(HELP in m["text"] for m in api.sent_to(ADMIN_ALI.id))
    assert "Traceback" not in log or "dead letter" not in log.lower()
    async with world() as uow:
        counts = await uow.outbox.counts()
    assert counts.get("sent") == 12 and not counts.get("failed") and not counts.get("uncertain")


@pytest.fixture
async def postgres_only(tmp_path, now) -> AsyncIterator[str]:
    if not PG_URL:
        pytest.skip("needs DCM_TEST_DATABASE_URL: on SQLite a second process refuses to "
                    "start (test_processes.py::test_a_second_process_on_sqlite_refuses...)")
    _reset_postgres(PG_URL)
    upgrade(PG_URL)
    yield PG_URL


async def test_two_processes_on_postgresql_handle_1000_due_items_once(postgres_only, api):
    database = open_database(postgres_only)
    due = utc_now() + timedelta(seconds=6)  # both processes are up and sweeping by then
    chats = [8_100_000 + n for n in range(1000)]
    try:
        async with SqlUnitOfWork(database.sessions) as uow:
            for chat in chats:
                dialog = await uow.dialogs.put(chat, name="complaint", step="description",
                                               data={}, now=due - timedelta(hours=1),
                                               expires_at=due, update_id=None)
                await uow.flush()
                await uow.due.schedule(key=f"{TIMEOUT_KIND}:{chat}:1", kind=TIMEOUT_KIND,
                                       due_at=due, subject_id=str(chat),
                                       payload={"version": dialog.version, "name": "complaint"})
            await uow.commit()
    finally:
        await database.dispose()
    env = env_for(api, postgres_only, DCM_SWEEP_INTERVAL_SECONDS="1")
    first, second = await start(env), await start(env)
    try:
        await api.wait_for(lambda: len({c.params["chat_id"] for c in api.calls_of("sendMessage")
                                        if c.params["chat_id"] in set(chats)}) == 1000,
                           timeout=180)
        await asyncio.sleep(3.0)  # a second send of anything would show up now
    finally:
        logs = [await stop(first), await stop(second)]
    sent = Counter(c.params["chat_id"] for c in api.calls_of("sendMessage")
                   if isinstance(c.result, dict))
    assert all(sent[chat] == 1 for chat in chats), [c for c in chats if sent[c] != 1][:5]
    handled = [sum(int(n) for n in re.findall(r"due work: (\d+) item", log)) for log in logs]
    assert sum(handled) == 1000 and all(handled), handled  # both processes took a share


async def test_kill_9_in_a_burst_loses_nothing_and_repeats_only_what_was_in_flight(db_url, api):
    """R1: 200 requests from 10 users, SIGKILL three times while answering. Every request is
    answered; a restart answers again only updates whose reply had left and whose done-mark
    had not yet been committed (the ones in flight), never the rest of a claimed batch."""
    result = await kill9_burst(api, db_url, users=10, per_user=20, kills=3,
                               DCM_LEASE_SECONDS="3")
    print(result.line())
    assert result.lost == 0
    assert result.doubled <= result.kills * IN_FLIGHT, result.line()


async def test_two_processes_with_short_leases_in_a_429_storm_send_everything_once(
        world, db_url, api, now):
    """R3, R11: leases of 2 s, 429s asking for 5 s. Work that waits in memory behind the pause
    outlives a lease; the holder renews it, so the other process neither takes it and sends
    it again nor reports it as an uncertain send."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several processes share a database on PostgreSQL only")
    async with world() as uow:
        for n in range(8):
            await notify(uow, key=f"lease-storm:{n}", chat_id=FINANCE_MEI.id, locale="en",
                         msgid="Choose your language:", now=now)
        await uow.commit()
    askers = [Persona(5_100_000 + n, f"Q{n}", "en") for n in range(16)]
    api.inject("sendMessage", "429", count=6, retry_after=5)
    env = env_for(api, db_url, DCM_LEASE_SECONDS="2", DCM_USE_RATE_LIMITER="true",
                  DCM_SWEEP_INTERVAL_SECONDS="1")
    first, second = await start(env), await start(env)
    try:
        for person in askers:
            await api.send_text(person, "/help")
        await api.wait_for(lambda: all(api.sent_to(p.id) for p in askers)
                           and len(api.sent_to(FINANCE_MEI.id)) >= 8, timeout=120)
        await asyncio.sleep(8.0)  # past a lease and a pause: a second send would show now
    finally:
        logs = [await stop(first), await stop(second)]
    assert sum(c.result == "fault:429" for c in api.calls) == 6
    assert [len(api.sent_to(p.id)) for p in askers] == [1] * 16
    assert len(api.sent_to(FINANCE_MEI.id)) == 8
    async with world() as uow:
        counts = await uow.outbox.counts()
    assert counts == {"sent": 8}, counts
    assert not any("uncertain" in log.lower() for log in logs)
