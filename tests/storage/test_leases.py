"""R11 on PostgreSQL: two processes sweeping at once handle each item exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.sweeps import Sweeps
from storage.db import make_async_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from tests.conftest import PG_URL, _reset_postgres

pytestmark = pytest.mark.skipif(
    PG_URL is None, reason="needs DCM_TEST_DATABASE_URL (run by .ci/run's PostgreSQL pass)")


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_two_sweepers_share_the_work_without_doubles(backend: str) -> None:
    assert PG_URL is not None
    _reset_postgres(PG_URL)
    upgrade(PG_URL)
    now = datetime(2026, 11, 27, tzinfo=UTC)
    handled: list[tuple[str, str]] = []

    def sweeper(name: str) -> Sweeps:
        async def work(uow, item, at, late):
            await asyncio.sleep(0.01)  # hold the item a while, as real work would
            handled.append((item.key, name))

        sweeps = Sweeps()
        sweeps.on_due("test.work", work)
        return sweeps

    engines = [make_async_engine(PG_URL) for _ in range(2)]
    sessions = [make_session_factory(e) for e in engines]
    factories = [lambda: SqlUnitOfWork(sessions[0]), lambda: SqlUnitOfWork(sessions[1])]
    async with factories[0]() as uow:
        for i in range(60):
            await uow.due.schedule(key=f"k{i}", kind="test.work",
                                   due_at=now - timedelta(minutes=i))
        await uow.commit()
    try:
        counts = await asyncio.gather(
            sweeper("a").sweep_due(factories[0], now, batch=5),
            sweeper("b").sweep_due(factories[1], now, batch=5),
        )
    finally:
        for e in engines:
            await e.dispose()
    keys = [k for k, _ in handled]
    assert sorted(keys) == sorted(f"k{i}" for i in range(60))
    assert len(keys) == len(set(keys)) == sum(counts) == 60
    assert {n for _, n in handled} == {"a", "b"}  # both really took part
