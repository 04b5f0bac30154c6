"""The unit of work: one session, one transaction, repositories over it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.reliability import (
    DueWorkRepository,
    InboxRepository,
    OutboxRepository,
    RuntimeStateRepository,
)
from storage.repositories import (
    AuditRepository,
    CaseRepository,
    ContactRepository,
    CustomerRepository,
    DialogRepository,
    IdentityRepository,
    InviteRepository,
    OrderRepository,
    PrefRepository,
    StaffRepository,
)


class SqlUnitOfWork:
    """Open a session on enter; whatever was not committed is discarded on exit."""

    staff: StaffRepository
    customers: CustomerRepository
    contacts: ContactRepository
    invites: InviteRepository
    prefs: PrefRepository
    orders: OrderRepository
    audit: AuditRepository
    inbox: InboxRepository
    outbox: OutboxRepository
    due: DueWorkRepository
    state: RuntimeStateRepository
    dialogs: DialogRepository
    cases: CaseRepository
    identity: IdentityRepository

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession] | Callable[[], Any]
    ) -> None:
        self._factory = session_factory
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The session; an InlineSession on SQLite, which offers the same awaitable calls."""
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> SqlUnitOfWork:
        session: AsyncSession = self._factory()
        self._session = session
        self.staff = StaffRepository(session)
        self.customers = CustomerRepository(session)
        self.contacts = ContactRepository(session)
        self.invites = InviteRepository(session)
        self.prefs = PrefRepository(session)
        self.orders = OrderRepository(session)
        self.audit = AuditRepository(session)
        self.inbox = InboxRepository(session)
        self.outbox = OutboxRepository(session)
        self.due = DueWorkRepository(session)
        self.state = RuntimeStateRepository(session)
        self.dialogs = DialogRepository(session)
        self.cases = CaseRepository(session)
        self.identity = IdentityRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() discards what was not committed but, unlike rollback(), does not expire
        # loaded objects, so what a service read stays readable after the block.
        session = self.session
        try:
            await session.close()
        finally:
            self._session = None

    async def commit(self) -> None:
        await self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()

    async def rollback(self) -> None:
        await self.session.rollback()
