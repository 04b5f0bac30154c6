"""Shared fixtures: a migrated database on SQLite always and on PostgreSQL when asked."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import make_sync_engine, open_database
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork

# DCM_TEST_DATABASE_URL names a PostgreSQL server and a database to connect to; each test run
# creates a database of its own there (dropped at the end), so two runs at once (a developer and
# CI, two worktrees) cannot reset each other's schema mid-test. The bot processes that tests
# start get the same URL.
PG_BASE_URL = os.environ.get("DCM_TEST_DATABASE_URL")
PG_URL = (
    str(make_url(PG_BASE_URL).set(database=f"dcm_test_{os.getpid()}_{secrets.token_hex(3)}")
        .render_as_string(hide_password=False))
    if PG_BASE_URL else None
)


def _admin_execute(sql: str) -> None:
    """Run one statement outside a transaction on the configured (base) database."""
    assert PG_BASE_URL is not None
    engine = make_sync_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()

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
    if PG_URL is not None:
        _admin_execute(f'CREATE DATABASE "{make_url(PG_URL).database}"')


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if PG_URL is not None:
        # FORCE: a bot process a failed test left behind must not keep the database alive.
        _admin_execute(f'DROP DATABASE IF EXISTS "{make_url(PG_URL).database}" WITH (FORCE)')
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
    """A fixed instant for tests whose bot runs in-process on an injected clock.

    Tests that start the bot as a real process (which runs on the real clock, possibly moved by
    libfaketime) override this with `real_now`, so invites and deadlines they seed are fresh.
    """
    return datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def real_now() -> datetime:
    """The process tree's own clock: what a bot subprocess also sees."""
    return datetime.now(UTC)
