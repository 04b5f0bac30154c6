"""R3, R11: a claimed row names its owner; only the owner settles it and keeps it by renewal."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.leases import LeaseKeeper

LEASE = timedelta(seconds=5)


async def test_a_process_that_lost_its_lease_changes_nothing(uow_factory, now: datetime):
    async with uow_factory() as uow:
        await uow.inbox.store([{"update_id": 1, "message": {}}], now)
        await uow.outbox.add(key="k", chat_id=42, payload={}, now=now)
        await uow.due.schedule(key="d", kind="test.kind", due_at=now)
        await uow.commit()
    async with uow_factory() as uow:  # process A claims everything ...
        [update] = await uow.inbox.claim(now, lease=LEASE, limit=10, owner="A")
        [message] = await uow.outbox.claim(now, lease=LEASE, limit=10, owner="A")
        [work] = await uow.due.claim(["test.kind"], now, lease=LEASE, limit=10, owner="A")
        await uow.commit()
    later = now + LEASE * 2  # ... stalls past its lease, and B takes it all over
    async with uow_factory() as uow:
        assert len(await uow.inbox.claim(later, lease=LEASE, limit=10, owner="B")) == 1
        assert len(await uow.outbox.claim(later, lease=LEASE, limit=10, owner="B")) == 1
        assert len(await uow.due.claim(["test.kind"], later, lease=LEASE, limit=10,
                                       owner="B")) == 1
        await uow.commit()
    async with uow_factory() as uow:  # A wakes up: every write of its is refused
        assert await uow.inbox.finish_many([update.update_id], later, owner="A") == 0
        assert not await uow.inbox.fail(update.update_id, "x", later, retry_at=None, owner="A")
        assert not await uow.outbox.mark_sending(message.id, owner="A")
        assert not await uow.outbox.settle(message.id, status="sent", now=later, owner="A")
        assert not await uow.due.complete(work.id, later, late=False, owner="A")
        await uow.commit()
    async with uow_factory() as uow:  # B's are not
        assert await uow.outbox.mark_sending(message.id, owner="B")
        assert await uow.outbox.settle(message.id, status="sent", now=later, owner="B")
        assert await uow.inbox.finish_many([update.update_id], later, owner="B") == 1
        assert await uow.due.complete(work.id, later, late=False, owner="B")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.counts() == {"sent": 1}
        assert await uow.inbox.counts() == {"done": 1}


async def test_held_rows_are_renewed_and_a_live_send_is_never_taken_for_stuck(uow_factory,
                                                                             now: datetime):
    async with uow_factory() as uow:
        await uow.outbox.add(key="k", chat_id=42, payload={}, now=now)
        await uow.outbox.add(key="gone", chat_id=43, payload={}, now=now)
        await uow.commit()
    clock = [now]
    keeper = LeaseKeeper(uow_factory, lease=LEASE, owner="A", clock=lambda: clock[0])
    async with uow_factory() as uow:
        rows = await uow.outbox.claim(now, lease=LEASE, limit=10, owner="A")
        assert await uow.outbox.mark_sending(rows[0].id, owner="A")
        assert await uow.outbox.mark_sending(rows[1].id, owner="A")
        await uow.commit()
    live, dead = rows[0].id, rows[1].id
    keeper.hold("outbox", [live])  # A still works on `live`; `dead` was in a crashed worker
    for _ in range(6):  # a 429 pause many leases long: A keeps renewing
        clock[0] += LEASE / 2
        assert await keeper.renew() == 1
        async with uow_factory() as uow:
            assert await uow.outbox.claim(clock[0], lease=LEASE, limit=10, owner="B") == []
            stuck = await uow.outbox.settle_stuck(clock[0])
            await uow.commit()
        assert [row.id for row in stuck] in ([], [dead])
    async with uow_factory() as uow:
        assert (await uow.outbox.by_key("gone")).status == "uncertain"
        assert await uow.outbox.settle(live, status="sent", now=clock[0], owner="A")
        await uow.commit()
    keeper.drop("outbox", [live])
    assert await keeper.renew() == 0
