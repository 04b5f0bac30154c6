"""The unit of work: one session, one transaction, repositories over it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.reliability import (
    DueWorkRepository,
    InboxRepository,
    OutboxRepository,
    RuntimeStateRepository,
)
from storage.repositories import (
    ApplicationRepository,
    AuditRepository,
    CareRepository,
    CaseRepository,
    ContactRepository,
    CustomerFileRepository,
    CustomerRepository,
    DialogRepository,
    IdentityRepository,
    InviteRepository,
    OrderRepository,
    PrefRepository,
    ReceivablesRepository,
    StaffRepository,
)

R = TypeVar("R")


class SqlUnitOfWork:
    """Open a session on enter; whatever was not committed is discarded on exit."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession] | Callable[[], Any]
    ) -> None:
        self._factory = session_factory
        self._session: AsyncSession | None = None
        self._repos: dict[Any, Any] = {}

    def _repo(self, kind: Callable[[AsyncSession], R]) -> R:
        """Build a repository on first use in this session (most units of work need one)."""
        repo: R | None = self._repos.get(kind)
        if repo is None:
            repo = self._repos[kind] = kind(self.session)
        return repo

    @property
    def session(self) -> AsyncSession:
        """The session; an InlineSession on SQLite, which offers the same awaitable calls."""
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> SqlUnitOfWork:
        self._session = self._factory()
        self._repos.clear()
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

    @property
    def staff(self) -> StaffRepository:
        return self._repo(StaffRepository)

    @property
    def customers(self) -> CustomerRepository:
        return self._repo(CustomerRepository)

    @property
    def contacts(self) -> ContactRepository:
        return self._repo(ContactRepository)

    @property
    def invites(self) -> InviteRepository:
        return self._repo(InviteRepository)

    @property
    def prefs(self) -> PrefRepository:
        return self._repo(PrefRepository)

    @property
    def orders(self) -> OrderRepository:
        return self._repo(OrderRepository)

    @property
    def audit(self) -> AuditRepository:
        return self._repo(AuditRepository)

    @property
    def inbox(self) -> InboxRepository:
        return self._repo(InboxRepository)

    @property
    def outbox(self) -> OutboxRepository:
        return self._repo(OutboxRepository)

    @property
    def due(self) -> DueWorkRepository:
        return self._repo(DueWorkRepository)

    @property
    def state(self) -> RuntimeStateRepository:
        return self._repo(RuntimeStateRepository)

    @property
    def dialogs(self) -> DialogRepository:
        return self._repo(DialogRepository)

    @property
    def cases(self) -> CaseRepository:
        return self._repo(CaseRepository)

    @property
    def identity(self) -> IdentityRepository:
        return self._repo(IdentityRepository)

    @property
    def applications(self) -> ApplicationRepository:
        return self._repo(ApplicationRepository)

    @property
    def customer_file(self) -> CustomerFileRepository:
        return self._repo(CustomerFileRepository)

    @property
    def receivables(self) -> ReceivablesRepository:
        return self._repo(ReceivablesRepository)

    @property
    def care(self) -> CareRepository:
        return self._repo(CareRepository)

    async def commit(self) -> None:
        await self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()

    async def rollback(self) -> None:
        await self.session.rollback()
