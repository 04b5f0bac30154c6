"""Shared fixtures: a migrated database on SQLite always and on PostgreSQL when asked."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_sync_engine, open_database
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork

PG_URL = os.environ.get("DCM_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _reset_postgres(url: str) -> None:
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database on each configured backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        assert PG_URL is not None
        url = PG_URL
        _reset_postgres(url)
    upgrade(url)
    yield url


@pytest.fixture
async def uow_factory(db_url: str) -> AsyncIterator[object]:
    """A factory of real units of work on the test database."""
    database = open_database(db_url)
    yield lambda: SqlUnitOfWork(database.sessions)
    await database.dispose()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
