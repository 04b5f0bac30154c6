"""An AsyncSession look-alike that runs SQLite statements inline, on the event loop's thread.

aiosqlite runs every cursor operation in a helper thread and waits for it: several thread
hand-offs per statement, which made a one-row lookup cost far more than the lookup itself (see
bench/README.md). A local SQLite statement takes tens of microseconds, so running it inline is
cheaper than handing it off. It is safe because only one bot process uses a SQLite file
(bot/lock.py) and no unit of work awaits anything but these calls, so the event loop never
switches tasks inside a transaction and no two sessions wait on each other's locks.
PostgreSQL keeps the real AsyncSession: there a query is a network round trip worth awaiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


class InlineSession:
    """The subset of AsyncSession the repositories use, over a sync Session."""

    def __init__(self, session: Session, spare: list[Session] | None = None) -> None:
        self.sync_session = session
        self._spare = spare

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.execute(statement, *args, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(entity, ident, **kwargs)

    def add(self, instance: Any) -> None:
        self.sync_session.add(instance)

    async def delete(self, instance: Any) -> None:
        self.sync_session.delete(instance)

    async def flush(self) -> None:
        self.sync_session.flush()

    async def commit(self) -> None:
        self.sync_session.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def close(self) -> None:
        self.sync_session.close()
        if self._spare is not None and len(self._spare) < 8:
            # A closed Session is clean and reusable; building one costs more than a lookup.
            self._spare.append(self.sync_session)
            self._spare = None

    def get_bind(self) -> Any:
        return self.sync_session.get_bind()


def inline_session_factory(engine: Engine) -> Callable[[], InlineSession]:
    """Return a factory of inline sessions; objects stay readable after commit."""
    maker = sessionmaker(engine, expire_on_commit=False)
    spare: list[Session] = []

    def make() -> InlineSession:
        return InlineSession(spare.pop() if spare else maker(), spare)

    return make
