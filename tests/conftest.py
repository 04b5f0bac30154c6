"""Shared fixtures: a migrated database on SQLite always and on PostgreSQL when asked."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_sync_engine, open_database
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork

PG_URL = os.environ.get("DCM_TEST_DATABASE_URL")

# R19: the whole suite logs at DEBUG into this collector, and the session fails if any line
# holds a bot token or a secret the tests use (checked in pytest_sessionfinish).
TOKEN_SHAPE = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{20,}\b")
TEST_SECRETS = ("s3cret-webhook-token-abcdef",)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.leaks: list[str] = []
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (record.exc_text or "")
        self.lines += 1
        if TOKEN_SHAPE.search(text) or any(s in text for s in TEST_SECRETS):
            self.leaks.append(f"{record.name}: {text[:300]}")


COLLECTOR = _Collector()


def pytest_sessionstart(session: pytest.Session) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(COLLECTOR)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if COLLECTOR.leaks:
        print(f"\nR19: {len(COLLECTOR.leaks)} log line(s) held a secret:", *COLLECTOR.leaks[:5],
              sep="\n  ")
        session.exitstatus = 1
    elif COLLECTOR.lines:
        print(f"\nR19: {COLLECTOR.lines} DEBUG log lines checked, no secret in any")
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
