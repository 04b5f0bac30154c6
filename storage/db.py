"""Engines and sessions: one URL in, async for the bot and sync for migrations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_url(url: str | URL) -> URL:
    """Return the URL with the async driver this project uses for its dialect."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return u.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return u.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r} (use sqlite or postgresql)")


def sync_url(url: str | URL) -> URL:
    """Return the URL with the sync driver used by migrations and CLI bulk work."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return u.set(drivername="sqlite")
    if backend == "postgresql":
        return u.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r} (use sqlite or postgresql)")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Enforce foreign keys and let readers and the writer overlap (WAL)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _short_busy_wait(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")
    cur.close()


INLINE_BUSY_TIMEOUT_MS = 250


def make_async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """Create the bot's async engine with the pragmas SQLite needs."""
    u = async_url(url)
    engine = create_async_engine(u, **kwargs)
    if u.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_sync_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create a sync engine (migrations, CLI imports, benchmarks' seeding)."""
    u = sync_url(url)
    engine = create_engine(u, **kwargs)
    if u.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@dataclass
class Database:
    """Sessions for units of work, and how to close the engine behind them."""

    sessions: Callable[[], Any]
    dispose: Callable[[], Awaitable[None]]


def open_database(url: str | URL) -> Database:
    """Open the bot's database: inline sessions on SQLite, async sessions on PostgreSQL."""
    if make_url(url).get_backend_name() == "sqlite":
        from storage.inline import inline_session_factory

        # Session.close() already ends the transaction; a second ROLLBACK as the connection
        # goes back to the pool costs a round trip per unit of work for nothing.
        # Inline sessions never overlap much; each pooled SQLite connection has its own page
        # cache, so a small pool keeps memory down.
        engine = make_sync_engine(url, connect_args={"check_same_thread": False},
                                  pool_reset_on_return=None, pool_size=2, max_overflow=8)
        # Inline statements run on the event loop: a writer waiting for another process's
        # lock (an import, a backup) stalls every chat while it waits. So the bot waits only
        # briefly and treats a longer lock as the database being unavailable for now: each
        # caller already retries (the inbox with backoff, the relay, the poller's store).
        event.listen(engine, "connect", _short_busy_wait)

        async def dispose_sync() -> None:
            engine.dispose()

        return Database(inline_session_factory(engine), dispose_sync)
    async_engine = make_async_engine(url)
    return Database(make_session_factory(async_engine), async_engine.dispose)
