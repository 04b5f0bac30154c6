"""The delivery machinery in process: inbox, outbox relay, 403, 409, webhook, sweeps."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.lock import AlreadyRunning, ProcessLock
from bot.sweeps import Sweeps
from services.notify import notify
from services.time import utc_now
from storage.models import Contact, InboxUpdate, OutboxMessage
from tests.support.harness import running_bot
from tests.support.world import ACME_CHEN, ADMIN_ALI, SALES_WANG, invite_token, seed

OPS_CHAT = -100200300


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def inbox_rows(world) -> list[InboxUpdate]:
    async with world() as uow:
        return list((await uow.session.execute(
            select(InboxUpdate).order_by(InboxUpdate.update_id))).scalars())


async def outbox_row(world, key: str) -> OutboxMessage | None:
    async with world() as uow:
        return await uow.outbox.by_key(key)


async def test_a_replayed_update_is_stored_and_answered_once(world, db_url, now):
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ADMIN_ALI, "/help")
        update = (await inbox_rows(world))[-1]
        await h.api.push_update({k: v for k, v in update.payload.items() if k != "update_id"},
                                update_id=update.update_id)
        await h.say(ADMIN_ALI, "/help")  # flows after the replay
        assert len(h.api.sent_to(ADMIN_ALI.id)) == 2
    rows = await inbox_rows(world)
    assert [r.status for r in rows] == ["done", "done"]


async def test_updates_stored_but_not_handled_before_a_crash_are_handled_once(world, db_url,
                                                                               now):
    # The crash is simulated by what it leaves: an update committed to the inbox, unprocessed.
    payload = {"update_id": 500, "message": {
        "message_id": 1, "date": 0, "chat": ACME_CHEN.private_chat(),
        "from": ADMIN_ALI.as_user() | {"id": ADMIN_ALI.id}, "text": "/help",
    }}
    payload["message"]["chat"] = {"id": ADMIN_ALI.id, "type": "private", "first_name": "Ali"}
    async with world() as uow:
        await uow.inbox.store([payload], utc_now())
        await uow.commit()
    async with running_bot(db_url, lambda: now) as h:
        await h.api.wait_for(lambda: h.api.sent_to(ADMIN_ALI.id))
        await asyncio.sleep(0.3)
        assert len(h.api.sent_to(ADMIN_ALI.id)) == 1
    assert [r.status for r in await inbox_rows(world)] == ["done"]


async def test_a_failing_update_is_retried_then_dead_lettered_and_later_ones_flow(world, db_url,
                                                                                   now):
    async with running_bot(db_url, lambda: now, inbox_max_attempts=3, inbox_backoff_seconds=0.2,
                           ops_chat_id=OPS_CHAT) as h:
        h.api.inject("sendMessage", "500", count=4)  # the apology fails too, then 2 retries
        await h.api.send_text(ADMIN_ALI, "/help")
        await h.api.wait_for(lambda: [r for r in h.api.calls_of("sendMessage")
                                      if r.params["chat_id"] == OPS_CHAT], timeout=15)
        [later] = await h.say(ADMIN_ALI, "/help")
        assert "What you can do" in later["text"]
        alert = h.api.sent_to(OPS_CHAT)[-1]["text"]
        assert "failed 3 times" in alert
    rows = await inbox_rows(world)
    assert rows[0].status == "dead" and rows[0].attempts == 3 and "Internal" in rows[0].last_error
    assert rows[1].status == "done"


async def test_a_failed_send_is_retried_and_arrives(world, db_url, now):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now, inbox_backoff_seconds=0.2) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        h.api.inject("sendMessage", "500")
        msgs = await h.say(ACME_CHEN, "/order PO-1001", replies=2)
        assert "稍後再試" in msgs[0]["text"] and "PO-1001" in msgs[1]["text"]


async def test_outbox_sends_once_under_its_key_even_if_queued_twice(world, db_url, now):
    async with world() as uow:
        for _ in range(2):
            await notify(uow, key="test:hello:1", chat_id=SALES_WANG.id, locale="zh_Hans",
                         msgid="Choose your language:", now=utc_now())
        await uow.commit()
    async with running_bot(db_url, lambda: now) as h:
        await h.api.wait_for(lambda: h.api.sent_to(SALES_WANG.id))
        await asyncio.sleep(0.5)
        assert [m["text"] for m in h.api.sent_to(SALES_WANG.id)] == ["请选择语言："]
    row = await outbox_row(world, "test:hello:1")
    assert row is not None and row.status == "sent" and row.telegram_message_id


async def test_a_send_that_timed_out_is_uncertain_reported_and_not_resent(world, db_url, now):
    async with running_bot(db_url, lambda: now, ops_chat_id=OPS_CHAT) as h:
        h.api.inject("sendMessage", "timeout")
        async with world() as uow:
            await notify(uow, key="test:maybe", chat_id=SALES_WANG.id, locale="en",
                         msgid="Choose your language:", now=utc_now())
            await uow.commit()
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: h.api.sent_to(OPS_CHAT), timeout=20)
        assert "test:maybe" in h.api.sent_to(OPS_CHAT)[0]["text"]
        assert h.api.sent_to(SALES_WANG.id) == []
    row = await outbox_row(world, "test:maybe")
    assert row is not None and row.status == "uncertain"


async def test_a_blocked_contact_is_marked_and_the_sales_rep_told_once(world, db_url, now):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        await h.say(SALES_WANG, "/help")  # the bot learns Wang reads Simplified Chinese
        h.api.inject("sendMessage", "403", count=2)
        async with world() as uow:
            for n in range(2):
                await notify(uow, key=f"test:blocked:{n}", chat_id=ACME_CHEN.id,
                             locale="zh_Hant", msgid="Choose your language:", now=utc_now())
            await uow.commit()
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: len(h.api.sent_to(SALES_WANG.id)) > 1)
        await asyncio.sleep(0.5)
        [_, notice] = h.api.sent_to(SALES_WANG.id)
        assert "Chen" in notice["text"] and "Acme" in notice["text"] and "屏蔽" in notice["text"]
    async with world() as uow:
        contact = (await uow.session.execute(
            select(Contact).where(Contact.telegram_id == ACME_CHEN.id))).scalar_one()
        assert contact.unreachable


async def test_repeated_409_stops_the_bot_with_a_nonzero_code(world, db_url, now):
    async with running_bot(db_url, lambda: now, ops_chat_id=OPS_CHAT, conflict_limit=2) as h:
        h.api.inject("getUpdates", "409", count=5)
        await asyncio.wait_for(h.runner.stop_event.wait(), 15)
        assert h.runner.exit_code == 3
        await asyncio.gather(*h.runner._workers)  # the loops wind down on the stop
        await h.runner.relay.run_once()  # the alert was queued; let it go out before stopping
        assert "409" in h.api.sent_to(OPS_CHAT)[0]["text"]


async def test_a_second_process_on_the_same_sqlite_file_refuses(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    first = ProcessLock(url)
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning, match="SQLite allows one process"):
            ProcessLock(url).acquire()
    finally:
        first.release()
    ProcessLock(url).acquire()  # free again once the first let go


async def test_webhook_checks_the_secret_first_stores_then_answers(world, db_url, now):
    secret = "s3cret-webhook-token-abcdef"
    async with running_bot(db_url, lambda: now, webhook_url="https://bot.example.com",
                           webhook_secret=secret, webhook_port=0, webhook=True) as h:
        [set_hook] = h.api.calls_of("setWebhook")
        assert set_hook.params["url"] == "https://bot.example.com/telegram/updates"
        assert set_hook.params["secret_token"] == secret
        port = h.runner.webhook_server.port
        url = f"http://127.0.0.1:{port}/telegram/updates"
        update = {"update_id": 77, "message": {
            "message_id": 5, "date": 0, "text": "/help", "from": ADMIN_ALI.as_user(),
            "chat": {"id": ADMIN_ALI.id, "type": "private", "first_name": "Ali"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        async with httpx.AsyncClient() as client:
            none = await client.post(url, json=update)
            wrong = await client.post(url, json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            junk = await client.post(url, content=b"{not json",
                                     headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            good = await client.post(url, json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            again = await client.post(url, json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": secret})
        assert (none.status_code, wrong.status_code, junk.status_code) == (403, 403, 400)
        assert good.status_code == again.status_code == 200
        await h.api.wait_for(lambda: h.api.sent_to(ADMIN_ALI.id))
        await asyncio.sleep(0.3)
        assert len(h.api.sent_to(ADMIN_ALI.id)) == 1


async def test_due_work_is_handled_once_and_late_work_is_marked(world, db_url, now):
    handled: list[tuple[str, bool]] = []

    async def remind(uow, item, at, late):
        handled.append((item.key, late))
        await notify(uow, key=f"remind:{item.key}", chat_id=SALES_WANG.id, locale="en",
                     msgid="Choose your language:", now=at)

    sweeps = Sweeps(interval=timedelta(seconds=30))
    sweeps.on_due("test.remind", remind)
    async with world() as uow:
        await uow.due.schedule(key="r:old", kind="test.remind", due_at=now - timedelta(days=7))
        await uow.due.schedule(key="r:now", kind="test.remind", due_at=now - timedelta(seconds=5))
        await uow.due.schedule(key="r:later", kind="test.remind", due_at=now + timedelta(hours=1))
        assert not await uow.due.schedule(key="r:old", kind="test.remind", due_at=now)
        await uow.commit()
    for _ in range(3):
        await sweeps.sweep_due(world, now)
    assert sorted(handled) == [("r:now", False), ("r:old", True)]
    async with world() as uow:
        old = await uow.due.get_by_key("r:old")
        assert old is not None and old.status == "done" and old.late
        assert (await uow.due.get_by_key("r:later")).status == "pending"
        assert (await uow.outbox.counts()) == {"pending": 2}


async def test_one_failing_item_does_not_stop_a_sweep(world, now):
    async def flaky(uow, item, at, late):
        if item.key == "bad":
            raise RuntimeError("boom")

    sweeps = Sweeps()
    sweeps.on_due("test.flaky", flaky)
    async with world() as uow:
        for key in ("bad", "good"):
            await uow.due.schedule(key=key, kind="test.flaky", due_at=now - timedelta(minutes=1))
        await uow.commit()
    assert await sweeps.sweep_due(world, now) == 1
    async with world() as uow:
        bad = await uow.due.get_by_key("bad")
        assert bad.status == "pending" and "boom" in bad.last_error
        assert (await uow.due.get_by_key("good")).status == "done"


async def test_each_chat_is_answered_in_order_while_chats_run_side_by_side(world, db_url, now):
    acme = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {acme}")
        for n in range(1001, 1009):
            await h.api.send_text(ACME_CHEN, f"/order PO-{n}")
            await h.api.send_text(ADMIN_ALI, "/help")
        await h.api.wait_for(lambda: len(h.api.sent_to(ACME_CHEN.id)) >= 9
                             and len(h.api.sent_to(ADMIN_ALI.id)) >= 8)
        cards = [m["text"] for m in h.api.sent_to(ACME_CHEN.id)[1:]]
        assert [c.split("</b>")[0].split()[-1] for c in cards] == [
            f"PO-{n}" for n in range(1001, 1009)]


async def test_a_bulk_flows_at_the_global_rate_while_a_busy_chat_drains_at_its_own(
        world, db_url, now):
    busy = SALES_WANG.id
    others = list(range(500_001, 500_031))
    async with running_bot(db_url, lambda: now, use_rate_limiter=True,
                           rate_limit_global_per_second=100,
                           rate_limit_private_per_second=5) as h:
        h.api.inject("sendMessage", "429", retry_after=1, chat_id=others[3])
        async with world() as uow:
            for n in range(10):
                await notify(uow, key=f"bulk:busy:{n}", chat_id=busy, locale="en",
                             msgid="Order {number} was not found.", now=utc_now(),
                             params={"number": n})
            for chat in others:
                await notify(uow, key=f"bulk:{chat}", chat_id=chat, locale="en",
                             msgid="Order {number} was not found.", now=utc_now(),
                             params={"number": chat})
            await uow.commit()
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: len(h.api.sent_to(busy)) == 10
                             and all(h.api.sent_to(c) for c in others), timeout=30)
        sends = [c for c in h.api.calls_of("sendMessage") if c.result != "fault:429"]
        at = {c.params["chat_id"]: c.at for c in sends
              if c.params["chat_id"] not in (busy, others[3])}  # others[3] waited out a 429
        busy_times = [c.at for c in sends if c.params["chat_id"] == busy]
        # The others did not queue behind the busy chat's 1/5 s spacing...
        assert max(at.values()) < busy_times[-1] - 0.8
        # ...whose messages kept their order and their spacing.
        assert [m["text"].split()[1] for m in h.api.sent_to(busy)] == [str(n) for n in range(10)]
        assert all(b - a >= 0.19 for a, b in itertools.pairwise(busy_times))
        assert len(h.api.sent_to(others[3])) == 1  # the 429'd one arrived once


async def test_while_the_database_is_down_users_are_told_and_nothing_is_lost(
        world, db_url, now, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from storage.uow import SqlUnitOfWork

    down = {"now": False}
    real_enter = SqlUnitOfWork.__aenter__

    async def flaky_enter(self):
        if down["now"]:
            raise OperationalError("SELECT 1", None, ConnectionRefusedError("database down"))
        return await real_enter(self)

    monkeypatch.setattr(SqlUnitOfWork, "__aenter__", flaky_enter)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ADMIN_ALI, "/help")
        down["now"] = True
        [sorry] = await h.say(ADMIN_ALI, "/help")
        assert "cannot serve you right now" in sorry["text"]
        await h.api.send_text(ADMIN_ALI, "/help")  # a second message in the outage
        await asyncio.sleep(1.5)
        assert len(h.api.sent_to(ADMIN_ALI.id)) == 2  # one apology per message, no more
        down["now"] = False
        await h.api.wait_for(lambda: len(h.api.sent_to(ADMIN_ALI.id)) >= 4, timeout=40)
        answers = [m["text"] for m in h.api.sent_to(ADMIN_ALI.id)]
        assert sum("What you can do" in a for a in answers) == 3  # caught up: nothing lost
        assert h.runner.poller is not None and not h.runner.poller.outage
        # The relay and the inbox loops lived through the outage too.
        async with world() as uow:
            await notify(uow, key="after-outage", chat_id=SALES_WANG.id, locale="en",
                         msgid="Choose your language:", now=utc_now())
            await uow.commit()
        await h.api.wait_for(lambda: h.api.sent_to(SALES_WANG.id), timeout=10)
        assert all(not t.done() for t in h.runner._workers)


async def test_every_periodic_job_runs_at_start_not_one_interval_later(db_url, now):
    """A bot restarted more often than a job's interval still runs the job (the ladder, the
    digests): each runs at start, then on its interval."""
    ran: dict[str, list[datetime]] = {"hourly": [], "daily": []}

    def job(name: str):
        async def run(at: datetime) -> int:
            ran[name].append(at)
            return 0
        return run

    sweeps = Sweeps(interval=timedelta(minutes=30))
    sweeps.every("test.hourly", timedelta(hours=1), job("hourly"))
    sweeps.every("test.daily", timedelta(days=1), job("daily"))
    async with running_bot(db_url, lambda: now, sweeps=sweeps) as h:
        await h.api.wait_for(lambda: h.api.calls_of("deleteWebhook"), timeout=10)
        for _ in range(50):
            if ran["hourly"] and ran["daily"]:
                break
            await asyncio.sleep(0.1)
    assert ran == {"hourly": [now], "daily": [now]}
