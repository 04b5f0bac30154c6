"""The narrow interfaces services depend on; storage and tests implement them."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from storage.reliability import (
        DueWorkRepository,
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


class UnitOfWork(Protocol):
    """One transaction with its repositories; `async with` rolls back what was not committed."""

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def customers(self) -> CustomerRepository: ...

    @property
    def contacts(self) -> ContactRepository: ...

    @property
    def invites(self) -> InviteRepository: ...

    @property
    def prefs(self) -> PrefRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def due(self) -> DueWorkRepository: ...

    @property
    def state(self) -> RuntimeStateRepository: ...

    @property
    def dialogs(self) -> DialogRepository: ...

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def identity(self) -> IdentityRepository: ...

    @property
    def applications(self) -> ApplicationRepository: ...

    @property
    def customer_file(self) -> CustomerFileRepository: ...

    @property
    def receivables(self) -> ReceivablesRepository: ...

    @property
    def care(self) -> CareRepository: ...


    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def flush(self) -> None: ...

    async def rollback(self) -> None: ...


class Clock(Protocol):
    """Tells the time; tests pass a fixed one."""

    def __call__(self) -> datetime: ...
