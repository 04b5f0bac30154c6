"""Repositories: the only place that knows how rows are queried."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import case as sa_case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.admission import Stage, StepStatus
from domain.cases import ACTIVE, CaseStatus
from domain.enums import LocaleSource, OrderStatus, Role
from domain.errors import NotFound
from storage.inline import InlineSession
from storage.models import (
    Application,
    ApplicationEvent,
    ApplicationFile,
    AuditEntry,
    CareEvent,
    CareTemplate,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseForward,
    Consent,
    Contact,
    CorrectiveAction,
    CreditRequest,
    Customer,
    CustomerInfo,
    Dialog,
    DunningLetter,
    EventReply,
    Invite,
    Invoice,
    Order,
    OrderImport,
    OrderStatusChange,
    Payment,
    Prospect,
    ReviewStep,
    Staff,
    StaffRole,
    StaffTask,
    UserPref,
    Visit,
)
from storage.types import UTCDateTime


class StaffRepository:
    """Staff members and their roles."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_telegram_id(self, telegram_id: int) -> Staff | None:
        stmt = (
            select(Staff)
            .where(Staff.telegram_id == telegram_id)
            .options(selectinload(Staff.roles))
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, staff_id: int) -> Staff:
        stmt = select(Staff).where(Staff.id == staff_id).options(selectinload(Staff.roles))
        staff = (await self.session.execute(stmt)).scalar_one_or_none()
        if staff is None:
            raise NotFound()
        return staff

    async def add(self, *, telegram_id: int, name: str, now: datetime,
                  locale: str | None = None) -> Staff:
        staff = Staff(telegram_id=telegram_id, name=name, active=True, locale=locale,
                      created_at=now, roles=[])
        self.session.add(staff)
        await self.session.flush()
        return staff

    def set_roles(self, staff: Staff, roles: Sequence[Role]) -> None:
        wanted = list(dict.fromkeys(roles))
        staff.roles[:] = [r for r in staff.roles if r.role in wanted]
        have = {r.role for r in staff.roles}
        staff.roles.extend(StaffRole(role=r) for r in wanted if r not in have)

    async def list_all(self) -> list[Staff]:
        """Everyone ever added, removed ones too, by Telegram id."""
        stmt = select(Staff).options(selectinload(Staff.roles)).order_by(Staff.telegram_id)
        return list((await self.session.execute(stmt)).scalars())

    async def with_roles(self, roles: Sequence[Role]) -> list[Staff]:
        """Active staff holding any of `roles`, each once."""
        stmt = (
            select(Staff)
            .where(Staff.active.is_(True),
                   Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role.in_(roles))))
            .order_by(Staff.id)
        )
        return list((await self.session.execute(stmt)).scalars())


class CustomerRepository:
    """Customers (the customer file, INFO-4)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: int) -> Customer:
        customer = await self.session.get(Customer, customer_id)
        if customer is None:
            raise NotFound()
        return customer

    async def find(self, customer_id: int) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def below_rating(self, best: str) -> list[Customer]:
        stmt = select(Customer).where(Customer.credit_rating != best).order_by(Customer.id)
        return list((await self.session.execute(stmt)).scalars())

    async def owned_by(self, staff_id: int) -> list[Customer]:
        stmt = select(Customer).where(Customer.owner_id == staff_id).order_by(Customer.code)
        return list((await self.session.execute(stmt)).scalars())

    async def get_by_code(self, code: str) -> Customer | None:
        stmt = select(Customer).where(Customer.code == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_codes(self, codes: Sequence[str]) -> dict[str, Customer]:
        result: dict[str, Customer] = {}
        unique = list(dict.fromkeys(codes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows = await self.session.execute(select(Customer).where(Customer.code.in_(chunk)))
            result.update({c.code: c for c in rows.scalars()})
        return result

    def add(self, **fields: Any) -> Customer:
        customer = Customer(**fields)
        self.session.add(customer)
        return customer


class ContactRepository:
    """Telegram users linked to customers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contact_id: int) -> Contact | None:
        return await self.session.get(Contact, contact_id)

    async def of_customer(self, customer_id: int) -> list[Contact]:
        stmt = select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id)
        return list((await self.session.execute(stmt)).scalars())

    async def get_by_telegram_id(self, telegram_id: int) -> Contact | None:
        stmt = (
            select(Contact)
            .where(Contact.telegram_id == telegram_id)
            .options(selectinload(Contact.customer))
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add(self, **fields: Any) -> Contact:
        contact = Contact(**fields)
        self.session.add(contact)
        return contact


class InviteRepository:
    """One-time invites, looked up by token hash."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_hash(self, token_hash: str) -> Invite | None:
        stmt = select(Invite).where(Invite.token_hash == token_hash)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def claim(self, invite_id: int, telegram_id: int, now: datetime) -> bool:
        """Mark the invite used if nobody has yet; False when another user won the race."""
        result = await self.session.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_at.is_(None))
            .values(used_at=now, used_by_telegram_id=telegram_id)
            .returning(Invite.id)
        )
        return result.first() is not None

    def add(self, **fields: Any) -> Invite:
        invite = Invite(**fields)
        self.session.add(invite)
        return invite


class PrefRepository:
    """Per-user preferences (locale, command menu)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, telegram_id: int) -> UserPref | None:
        return await self.session.get(UserPref, telegram_id)

    async def set_locale(
        self, telegram_id: int, locale: str, source: LocaleSource, now: datetime
    ) -> UserPref:
        pref = await self.get(telegram_id)
        if pref is None:
            pref = UserPref(telegram_id=telegram_id, updated_at=now)
            self.session.add(pref)
        pref.locale = locale
        pref.locale_source = source
        pref.updated_at = now
        return pref

    async def set_commands_key(self, telegram_id: int, key: str, now: datetime) -> None:
        pref = await self.get(telegram_id)
        if pref is None:
            pref = UserPref(telegram_id=telegram_id, updated_at=now)
            self.session.add(pref)
        pref.commands_key = key
        pref.updated_at = now


class OrderRepository:
    """Orders and their status history."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def view(self, *, order_no: str | None = None,
                   order_id: int | None = None) -> OrderView | None:
        """The order card's data by number or id, in one light query."""
        stmt, key = (_VIEW_BY_NO, order_no) if order_no is not None else (_VIEW_BY_ID, order_id)
        rows = (await core_execute(self.session, stmt, {"key": key})).all()
        if not rows:
            return None
        first = rows[0]
        fields = dict(zip(OrderView.__dataclass_fields__, first[:15], strict=False))
        history = tuple(StatusRef(r[18], r[19]) for r in rows if r[18] is not None)
        return OrderView(**fields, customer=CustomerRef(*first[15:18]), history=history)

    async def get(self, order_id: int) -> Order | None:
        return await self.session.get(Order, order_id, populate_existing=True)

    async def by_numbers(self, numbers: Sequence[str]) -> dict[str, Order]:
        result: dict[str, Order] = {}
        unique = list(dict.fromkeys(numbers))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows = await self.session.execute(select(Order).where(Order.order_no.in_(chunk)))
            result.update({o.order_no: o for o in rows.scalars()})
        return result

    async def page(
        self,
        *,
        customer_id: int | None = None,
        owner_id: int | None = None,
        offset: int,
        limit: int,
    ) -> tuple[list[Order], int]:
        """Return one page of orders, newest order date first, and the total count."""
        stmt = select(Order)
        count = select(func.count()).select_from(Order)
        if customer_id is not None:
            stmt = stmt.where(Order.customer_id == customer_id)
            count = count.where(Order.customer_id == customer_id)
        if owner_id is not None:
            owned = select(Customer.id).where(Customer.owner_id == owner_id)
            stmt = stmt.where(Order.customer_id.in_(owned))
            count = count.where(Order.customer_id.in_(owned))
        stmt = (
            stmt.options(selectinload(Order.customer))
            .order_by(Order.order_date.desc(), Order.id.desc())
            .offset(offset)
            .limit(limit)
        )
        total = (await self.session.execute(count)).scalar_one()
        orders = list((await self.session.execute(stmt)).scalars())
        return orders, total

    def add(self, **fields: Any) -> Order:
        order = Order(**fields)
        self.session.add(order)
        return order

    def add_status_change(
        self, order_id: int, status: OrderStatus, at: datetime, *, source: str
    ) -> None:
        self.session.add(
            OrderStatusChange(order_id=order_id, status=status, changed_at=at, source=source)
        )

    # -- imports, staged (see OrderImport) ----------------------------------------------------
    async def stage_import(self, rows: Sequence[dict[str, Any]]) -> None:
        """Stage rows of an import batch; nothing of it is visible until it is applied."""
        if rows:
            await core_execute(self.session, insert(OrderImport), list(rows))

    async def apply_import(self, batch: str, *, now: datetime,
                           updates: int) -> list[tuple[int, str]]:
        """Apply a staged batch in this transaction: update, insert, record the history.

        Returns the (line, order_no) of staged rows whose order changed (or, for a new one,
        appeared) since the import checked it; then the caller must not commit.
        """
        s, o = _table(OrderImport), _table(Order)
        # The write first: on SQLite it takes the write lock before anything is read.
        result = await core_execute(self.session, update(o).values(
            {name: s.c[name] for name in _IMPORTED} | {"updated_at": _now()})
            .where(s.c.batch == batch, s.c.order_id == o.c.id,
                   o.c.updated_at == s.c.seen_updated_at), {"now": now})
        if result.rowcount != updates:
            moved = (select(s.c.line, s.c.order_no).join(o, o.c.id == s.c.order_id)
                     .where(s.c.batch == batch, o.c.updated_at != _now())
                     .order_by(s.c.line))
            return [(r.line, r.order_no) for r in await core_execute(self.session, moved,
                                                                     {"now": now})]
        taken = (select(s.c.line, s.c.order_no).join(o, o.c.order_no == s.c.order_no)
                 .where(s.c.batch == batch, s.c.order_id.is_(None)).order_by(s.c.line))
        clash = [(r.line, r.order_no) for r in await core_execute(self.session, taken, {})]
        if clash:
            return clash
        columns = ["order_no", "customer_id", *_IMPORTED]
        stamp = literal(now, UTCDateTime)
        await core_execute(self.session, insert(o).from_select(
            [*columns, "created_at", "updated_at"],
            select(*(s.c[c] for c in columns), stamp, stamp)
            .where(s.c.batch == batch, s.c.order_id.is_(None)).order_by(s.c.id)), {})
        h = _table(OrderStatusChange)
        await core_execute(self.session, insert(h).from_select(
            ["order_id", "status", "changed_at", "source"],
            select(o.c.id, s.c.status, stamp, literal("import"))
            .join(o, o.c.order_no == s.c.order_no)
            .where(s.c.batch == batch, s.c.history).order_by(s.c.id)), {})
        await self.discard_import(batch)
        return []

    async def discard_import(self, batch: str | None = None, *,
                             staged_before: datetime | None = None) -> None:
        """Delete a batch's staged rows, or every batch staged before a time (left over by
        an import that was killed)."""
        s = _table(OrderImport)
        condition = (s.c.batch == batch) if batch is not None else (
            s.c.staged_at < bindparam("before", type_=UTCDateTime))
        await core_execute(self.session, delete(s).where(condition),
                           {"before": staged_before} if batch is None else {})


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _now() -> Any:
    return bindparam("now", type_=UTCDateTime)


# What an import sets on an order (besides its number and customer, which never change).
_IMPORTED = ("order_date", "product", "spec", "quantity", "unit", "unit_price", "currency",
             "delivery_date", "delivery_place", "payment_terms", "expected_delivery", "status")

# Built once: the order card is the hottest read, and building a statement costs more than
# running it on SQLite.
_VIEW_COLUMNS = (
    Order.id, Order.order_no, Order.customer_id, Order.order_date, Order.product, Order.spec,
    Order.quantity, Order.unit, Order.unit_price, Order.currency, Order.delivery_date,
    Order.delivery_place, Order.payment_terms, Order.expected_delivery, Order.status,
    Customer.code, Customer.name, Customer.owner_id,
)
# The order, its customer and its status history in one query (one row per history step).
_VIEW_BASE = (
    select(*_VIEW_COLUMNS, OrderStatusChange.status, OrderStatusChange.changed_at)
    .join(Customer, Customer.id == Order.customer_id)
    .outerjoin(OrderStatusChange, OrderStatusChange.order_id == Order.id)
    .order_by(OrderStatusChange.id)
)
_VIEW_BY_NO = _VIEW_BASE.where(Order.order_no == bindparam("key"))
_VIEW_BY_ID = _VIEW_BASE.where(Order.id == bindparam("key"))


@dataclass(frozen=True)
class CustomerRef:
    code: str
    name: str
    owner_id: int | None


@dataclass(frozen=True)
class StatusRef:
    status: OrderStatus
    changed_at: datetime


@dataclass(frozen=True)
class OrderView:
    """An order with its customer and history, read without building ORM objects."""

    id: int
    order_no: str
    customer_id: int
    order_date: date
    product: str
    spec: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    delivery_date: date | None
    delivery_place: str
    payment_terms: str
    expected_delivery: date | None
    status: OrderStatus
    customer: CustomerRef
    history: tuple[StatusRef, ...]


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """Return a dialect insert that supports ON CONFLICT DO NOTHING."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def core_execute(session: Any, stmt: Any,
                       params: dict[str, Any] | list[dict[str, Any]]) -> Any:
    """Run a Core statement on the session's connection, skipping the ORM layer (hot paths)."""
    if isinstance(session, InlineSession):
        return session.sync_session.connection().execute(stmt, params)
    connection = await session.connection()
    return await connection.execute(stmt, params)


class AuditRepository:
    """The append-only audit log (R15)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, **fields: Any) -> AuditEntry:
        entry = AuditEntry(**fields)
        self.session.add(entry)
        return entry

    async def list_recent(self, *, action: str | None = None, limit: int = 50) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action is not None:
            stmt = stmt.where(AuditEntry.action == action)
        return list((await self.session.execute(stmt)).scalars())


class CaseRepository:
    """Complaints and inquiries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, **fields: Any) -> Case:
        case = Case(**fields)
        self.session.add(case)
        return case

    def add_attachment(self, case_id: int, **fields: Any) -> None:
        self.session.add(CaseAttachment(case_id=case_id, **fields))

    async def for_customer(self, customer_id: int, *, limit: int = 20) -> list[Case]:
        stmt = (
            select(Case)
            .where(Case.customer_id == customer_id)
            .order_by(Case.opened_at.desc(), Case.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def get(self, case_id: int) -> Case | None:
        return await self.session.get(Case, case_id, populate_existing=True)

    async def by_number(self, number: str) -> Case | None:
        stmt = select(Case).where(Case.number == number.strip().upper())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def transition(self, case_id: int, *, version: int, statuses: Iterable[CaseStatus],
                         **values: Any) -> bool:
        """Apply `values` only if the case is still at `version` in one of `statuses` (R7).

        Two agents pressing the same button at once: one UPDATE matches, the other finds the
        version moved on and changes nothing.
        """
        stmt = (
            update(Case)
            .where(Case.id == case_id, Case.version == version,
                   Case.status.in_(list(statuses)))
            .values(version=Case.version + 1, **values)
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
        # Callers read the case again with `get` (populate_existing) to see the new values.
        return (await self.session.execute(stmt)).first() is not None

    async def queue(self, *, limit: int, offset: int) -> tuple[list[Case], int]:
        """Active cases, nearest deadline first (acknowledgment while open, else solution)."""
        deadline = sa_case((Case.status == CaseStatus.OPEN, Case.ack_due_at),
                           else_=Case.resolve_due_at)
        active = Case.status.in_(list(ACTIVE))
        total = (await self.session.execute(
            select(func.count()).select_from(Case).where(active))).scalar_one()
        stmt = (select(Case).where(active).order_by(Case.urgent.desc(), deadline, Case.id)
                .limit(limit).offset(offset))
        return list((await self.session.execute(stmt)).scalars()), total

    async def opened_between(self, start: datetime, end: datetime) -> list[Case]:
        stmt = select(Case).where(Case.opened_at >= start, Case.opened_at < end)
        return list((await self.session.execute(stmt)).scalars())

    async def attachments(self, case_id: int) -> list[CaseAttachment]:
        stmt = select(CaseAttachment).where(CaseAttachment.case_id == case_id).order_by(
            CaseAttachment.id)
        return list((await self.session.execute(stmt)).scalars())

    def add_event(self, case_id: int, *, at: datetime, kind: str, actor_label: str,
                  text: str = "", internal: bool = True) -> None:
        self.session.add(CaseEvent(case_id=case_id, at=at, kind=kind, actor_label=actor_label,
                                   text=text, internal=internal))

    async def events(self, case_id: int) -> list[CaseEvent]:
        stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list((await self.session.execute(stmt)).scalars())

    def add_forward(self, **fields: Any) -> CaseForward:
        forward = CaseForward(**fields)
        self.session.add(forward)
        return forward

    async def forward(self, forward_id: int) -> CaseForward | None:
        return await self.session.get(CaseForward, forward_id, populate_existing=True)

    async def forwards(self, case_id: int) -> list[CaseForward]:
        stmt = select(CaseForward).where(CaseForward.case_id == case_id).order_by(
            CaseForward.id)
        return list((await self.session.execute(stmt)).scalars())

    async def answer_forward(self, forward_id: int, *, answer: str, staff_id: int,
                             now: datetime) -> bool:
        """Record a department's reply once; a second reply changes nothing."""
        stmt = (
            update(CaseForward)
            .where(CaseForward.id == forward_id, CaseForward.answered_at.is_(None))
            .values(answer=answer, answered_by_id=staff_id, answered_at=now)
            .returning(CaseForward.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(stmt)).first() is not None

    def add_action(self, **fields: Any) -> CorrectiveAction:
        action = CorrectiveAction(**fields)
        self.session.add(action)
        return action

    async def action(self, action_id: int) -> CorrectiveAction | None:
        return await self.session.get(CorrectiveAction, action_id, populate_existing=True)

    async def open_actions(self) -> list[CorrectiveAction]:
        stmt = select(CorrectiveAction).where(CorrectiveAction.done_at.is_(None)).order_by(
            CorrectiveAction.due_at)
        return list((await self.session.execute(stmt)).scalars())

    async def finish_action(self, action_id: int, now: datetime) -> bool:
        stmt = (
            update(CorrectiveAction)
            .where(CorrectiveAction.id == action_id, CorrectiveAction.done_at.is_(None))
            .values(done_at=now)
            .returning(CorrectiveAction.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(stmt)).first() is not None

    def add_task(self, **fields: Any) -> StaffTask:
        task = StaffTask(**fields)
        self.session.add(task)
        return task

    async def task(self, task_id: int) -> StaffTask | None:
        return await self.session.get(StaffTask, task_id, populate_existing=True)


class DialogRepository:
    """The dialog each user is in, at most one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, telegram_id: int) -> Dialog | None:
        return await self.session.get(Dialog, telegram_id)

    async def put(self, telegram_id: int, *, name: str, step: str, data: dict[str, Any],
                  now: datetime, expires_at: datetime, update_id: int | None) -> Dialog:
        dialog = await self.get(telegram_id)
        if dialog is None or dialog.name != name:
            if dialog is not None:
                await self.session.delete(dialog)
                await self.session.flush()
            dialog = Dialog(telegram_id=telegram_id, name=name, step=step, data=data, version=1,
                            started_at=now, updated_at=now, expires_at=expires_at,
                            last_update_id=update_id)
            self.session.add(dialog)
            return dialog
        dialog.step = step
        dialog.data = data
        dialog.version += 1
        dialog.updated_at = now
        dialog.expires_at = expires_at
        dialog.last_update_id = update_id
        return dialog

    async def delete(self, telegram_id: int) -> bool:
        dialog = await self.get(telegram_id)
        if dialog is None:
            return False
        await self.session.delete(dialog)
        return True


@dataclass(frozen=True)
class IdentityRow:
    """Everything known about one Telegram user, read in one round trip."""

    staff_id: int | None
    staff_name: str | None
    staff_active: bool
    roles: tuple[Role, ...]
    contact_id: int | None
    customer_id: int | None
    customer_name: str | None
    contact_locale: str | None
    contact_unreachable: bool
    pref_locale: str | None
    pref_source: LocaleSource | None
    commands_key: str | None
    dialog: Dialog | None
    staff_locale: str | None = None


_PROBE = select(bindparam("tid", type_=BigInteger).label("tid")).subquery()
_SNAPSHOT = (
    select(
        Staff.id, Staff.name, Staff.active, Contact.id, Contact.customer_id,
        Customer.name, Contact.locale, Contact.unreachable, UserPref.locale,
        UserPref.locale_source, UserPref.commands_key, Dialog.telegram_id, Staff.locale,
    )
    .select_from(_PROBE)
    .outerjoin(Staff, Staff.telegram_id == _PROBE.c.tid)
    .outerjoin(Contact, Contact.telegram_id == _PROBE.c.tid)
    .outerjoin(Customer, Customer.id == Contact.customer_id)
    .outerjoin(UserPref, UserPref.telegram_id == _PROBE.c.tid)
    .outerjoin(Dialog, Dialog.telegram_id == _PROBE.c.tid)
)
_ROLES = select(StaffRole.role).where(StaffRole.staff_id == bindparam("sid"))


class IdentityRepository:
    """Who a Telegram user is, read with one joined query (it runs for every update)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def snapshot(self, telegram_id: int) -> IdentityRow:
        row = (await core_execute(self.session, _SNAPSHOT, {"tid": telegram_id})).one()
        (staff_id, staff_name, active, contact_id, customer_id, customer_name, contact_locale,
         unreachable, pref_locale, pref_source, commands_key, dialog_tid, staff_locale) = row
        roles: tuple[Role, ...] = ()
        if staff_id is not None:
            roles = tuple((await core_execute(self.session, _ROLES,
                                              {"sid": staff_id})).scalars())
        dialog = await self.session.get(Dialog, telegram_id) if dialog_tid is not None else None
        return IdentityRow(
            staff_id, staff_name, bool(active), roles, contact_id, customer_id, customer_name,
            contact_locale, bool(unreachable), pref_locale,
            LocaleSource(pref_source) if pref_source else None, commands_key, dialog,
            staff_locale)


class ApplicationRepository:
    """Admission applications, their files, review steps and timeline (ADM-1..ADM-4)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, **fields: Any) -> Application:
        app = Application(**fields)
        self.session.add(app)
        return app

    async def get(self, app_id: int) -> Application | None:
        return await self.session.get(Application, app_id, populate_existing=True)

    async def by_number(self, number: str) -> Application | None:
        stmt = select(Application).where(Application.number == number.strip().upper())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add_file(self, app_id: int, **fields: Any) -> None:
        self.session.add(ApplicationFile(application_id=app_id, **fields))

    async def files(self, app_id: int) -> list[ApplicationFile]:
        stmt = select(ApplicationFile).where(ApplicationFile.application_id == app_id) \
            .order_by(ApplicationFile.id)
        return list((await self.session.execute(stmt)).scalars())

    def add_step(self, **fields: Any) -> ReviewStep:
        step = ReviewStep(**fields)
        self.session.add(step)
        return step

    async def step(self, step_id: int) -> ReviewStep | None:
        return await self.session.get(ReviewStep, step_id, populate_existing=True)

    async def steps(self, app_id: int) -> list[ReviewStep]:
        stmt = select(ReviewStep).where(ReviewStep.application_id == app_id) \
            .order_by(ReviewStep.id).execution_options(populate_existing=True)
        return list((await self.session.execute(stmt)).scalars())

    async def pending(self, stages: Sequence[Stage]) -> list[ReviewStep]:
        stmt = (select(ReviewStep)
                .where(ReviewStep.status == StepStatus.PENDING, ReviewStep.stage.in_(stages))
                .order_by(ReviewStep.due_at, ReviewStep.id))
        return list((await self.session.execute(stmt)).scalars())

    async def decide(self, step_id: int, *, status: StepStatus, **values: Any) -> bool:
        """Record a decision only if the step still waits: of two reviewers, one wins."""
        stmt = (
            update(ReviewStep)
            .where(ReviewStep.id == step_id, ReviewStep.status == StepStatus.PENDING)
            .values(status=status, **values)
            .returning(ReviewStep.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def supersede_pending(self, app_id: int) -> list[int]:
        stmt = (
            update(ReviewStep)
            .where(ReviewStep.application_id == app_id,
                   ReviewStep.status.in_([StepStatus.PENDING, StepStatus.INFO]))
            .values(status=StepStatus.SUPERSEDED)
            .returning(ReviewStep.id)
            .execution_options(synchronize_session=False)
        )
        return list((await self.session.execute(stmt)).scalars())

    def add_event(self, app_id: int, *, at: datetime, kind: str, actor_label: str,
                  text: str = "") -> None:
        self.session.add(ApplicationEvent(application_id=app_id, at=at, kind=kind,
                                          actor_label=actor_label, text=text))

    async def events(self, app_id: int) -> list[ApplicationEvent]:
        stmt = select(ApplicationEvent).where(ApplicationEvent.application_id == app_id) \
            .order_by(ApplicationEvent.id)
        return list((await self.session.execute(stmt)).scalars())

    async def of_applicant(self, staff_id: int, *, limit: int = 20) -> list[Application]:
        stmt = (select(Application).where(Application.applicant_id == staff_id)
                .order_by(Application.id.desc()).limit(limit))
        return list((await self.session.execute(stmt)).scalars())


class CustomerFileRepository:
    """Dynamic information, consents and prospects (INFO-3..INFO-7, DEV-1, DEV-2)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_info(self, **fields: Any) -> CustomerInfo:
        info = CustomerInfo(**fields)
        self.session.add(info)
        return info

    async def info(self, info_id: int) -> CustomerInfo | None:
        return await self.session.get(CustomerInfo, info_id, populate_existing=True)

    async def infos(self, customer_id: int, *, limit: int = 20) -> list[CustomerInfo]:
        stmt = (select(CustomerInfo).where(CustomerInfo.customer_id == customer_id)
                .order_by(CustomerInfo.happened_on.desc(), CustomerInfo.id.desc())
                .limit(limit))
        return list((await self.session.execute(stmt)).scalars())

    async def stale_changes(self, owner_id: int, now: datetime
                            ) -> list[tuple[CustomerInfo, Customer]]:
        """Major changes of a rep's customers whose file update is due and not done (INFO-5)."""
        stmt = (select(CustomerInfo, Customer)
                .join(Customer, Customer.id == CustomerInfo.customer_id)
                .where(Customer.owner_id == owner_id, CustomerInfo.major.is_(True),
                       CustomerInfo.file_updated_at.is_(None),
                       CustomerInfo.update_due_at <= now)
                .order_by(CustomerInfo.update_due_at))
        return [(i, c) for i, c in (await self.session.execute(stmt)).all()]

    async def mark_updated(self, info_id: int, now: datetime) -> bool:
        stmt = (update(CustomerInfo)
                .where(CustomerInfo.id == info_id, CustomerInfo.file_updated_at.is_(None))
                .values(file_updated_at=now).returning(CustomerInfo.id)
                .execution_options(synchronize_session=False))
        return (await self.session.execute(stmt)).first() is not None

    def add_consent(self, **fields: Any) -> Consent:
        consent = Consent(**fields)
        self.session.add(consent)
        return consent

    async def consents(self, customer_id: int) -> list[Consent]:
        stmt = (select(Consent).where(Consent.customer_id == customer_id)
                .order_by(Consent.signed_on.desc(), Consent.id.desc()))
        return list((await self.session.execute(stmt)).scalars())

    def add_prospect(self, **fields: Any) -> Prospect:
        prospect = Prospect(**fields)
        self.session.add(prospect)
        return prospect

    async def prospect(self, prospect_id: int) -> Prospect | None:
        return await self.session.get(Prospect, prospect_id, populate_existing=True)

    async def prospect_by_number(self, number: str) -> Prospect | None:
        stmt = select(Prospect).where(Prospect.number == number.strip().upper())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def prospects(self, *, owner_id: int | None = None, open_only: bool = True,
                        limit: int = 30) -> list[Prospect]:
        stmt = select(Prospect)
        if owner_id is not None:
            stmt = stmt.where(Prospect.owner_id == owner_id)
        if open_only:
            stmt = stmt.where(Prospect.status.in_(["new", "contacted", "proposed"]))
        stmt = stmt.order_by(Prospect.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def open_prospect_of(self, telegram_id: int) -> Prospect | None:
        stmt = (select(Prospect).where(Prospect.telegram_id == telegram_id,
                                       Prospect.status.in_(["new", "contacted", "proposed"]))
                .limit(1))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def last_owner(self) -> int | None:
        """The sales rep the newest assigned prospect went to (for round robin)."""
        stmt = (select(Prospect.owner_id).where(Prospect.owner_id.is_not(None))
                .order_by(Prospect.id.desc()).limit(1))
        return (await self.session.execute(stmt)).scalar_one_or_none()


class ReceivablesRepository:
    """Invoices, payments, dunning letters and credit requests (AR-1, AR-2, RISK-1..RISK-3)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_invoice(self, **fields: Any) -> Invoice:
        invoice = Invoice(**fields)
        self.session.add(invoice)
        return invoice

    async def invoice(self, invoice_id: int) -> Invoice | None:
        return await self.session.get(Invoice, invoice_id, populate_existing=True)

    async def by_numbers(self, numbers: Sequence[str]) -> dict[str, Invoice]:
        if not numbers:
            return {}
        stmt = select(Invoice).where(Invoice.invoice_no.in_(list(numbers)))
        return {i.invoice_no: i for i in (await self.session.execute(stmt)).scalars()}

    async def add_payment(self, *, invoice_id: int, amount: Decimal, paid_on: date,
                          reference: str, now: datetime) -> bool:
        """Record a payment once (a re-imported file adds nothing); True if it is new."""
        stmt = dialect_insert(self.session, Payment).values(
            invoice_id=invoice_id, amount=amount, paid_on=paid_on, reference=reference,
            imported_at=now,
        ).on_conflict_do_nothing().returning(Payment.id)
        return (await self.session.execute(stmt)).first() is not None

    async def due_for_ladder(self, now: datetime, *, limit: int,
                             after_id: int = 0) -> list[int]:
        """Open invoices whose next rung has come: the index keeps this to the due ones."""
        stmt = (select(Invoice.id)
                .where(Invoice.status == "open", Invoice.next_rung_at <= now,
                       Invoice.id > after_id)
                .order_by(Invoice.id).limit(limit))
        return list((await self.session.execute(stmt)).scalars())

    async def move_rung(self, invoice_id: int, *, was: int | None, to: int | None,
                        next_at: datetime | None) -> bool:
        """Move an invoice on the ladder only from where the caller saw it: once per rung."""
        current = (Invoice.rung.is_(None) if was is None else Invoice.rung == was)
        stmt = (update(Invoice).where(Invoice.id == invoice_id, Invoice.status == "open",
                                      current)
                .values(rung=to, next_rung_at=next_at).returning(Invoice.id)
                .execution_options(synchronize_session=False))
        return (await self.session.execute(stmt)).first() is not None

    async def open_for(self, customer_ids: Sequence[int] | None) -> list[Invoice]:
        stmt = select(Invoice).where(Invoice.status == "open")
        if customer_ids is not None:
            stmt = stmt.where(Invoice.customer_id.in_(list(customer_ids)))
        return list((await self.session.execute(stmt.order_by(Invoice.due_on))).scalars())

    async def of_customer(self, customer_id: int, *, limit: int = 50) -> list[Invoice]:
        stmt = (select(Invoice).where(Invoice.customer_id == customer_id)
                .order_by(Invoice.due_on.desc(), Invoice.id.desc()).limit(limit))
        return list((await self.session.execute(stmt)).scalars())

    def add_letter(self, **fields: Any) -> DunningLetter:
        letter = DunningLetter(**fields)
        self.session.add(letter)
        return letter

    async def letter(self, letter_id: int) -> DunningLetter | None:
        return await self.session.get(DunningLetter, letter_id)

    def add_request(self, **fields: Any) -> CreditRequest:
        request = CreditRequest(**fields)
        self.session.add(request)
        return request

    async def request(self, request_id: int) -> CreditRequest | None:
        return await self.session.get(CreditRequest, request_id, populate_existing=True)

    async def move_request(self, request_id: int, *, was: str, **values: Any) -> bool:
        stmt = (update(CreditRequest)
                .where(CreditRequest.id == request_id, CreditRequest.status == was)
                .values(**values).returning(CreditRequest.id)
                .execution_options(synchronize_session=False))
        return (await self.session.execute(stmt)).first() is not None

    async def open_request(self, kind: str, customer_id: int) -> CreditRequest | None:
        stmt = (select(CreditRequest)
                .where(CreditRequest.kind == kind, CreditRequest.customer_id == customer_id,
                       CreditRequest.status.in_(["finance", "executive"])).limit(1))
        return (await self.session.execute(stmt)).scalar_one_or_none()


class CareRepository:
    """Visits, greeting templates and what the daily care jobs read (CARE-1..CARE-4)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_visit(self, **fields: Any) -> Visit:
        visit = Visit(**fields)
        self.session.add(visit)
        return visit

    async def visits_of(self, customer_id: int, *, limit: int = 10) -> list[Visit]:
        stmt = (select(Visit).where(Visit.customer_id == customer_id)
                .order_by(Visit.done_on.desc(), Visit.id.desc()).limit(limit))
        return list((await self.session.execute(stmt)).scalars())

    async def all_customers(self) -> list[Customer]:
        return list((await self.session.execute(select(Customer).order_by(Customer.id))
                     ).scalars())

    async def unplanned(self, *, limit: int = 1000) -> list[Customer]:
        stmt = (select(Customer).where(Customer.next_visit_on.is_(None))
                .order_by(Customer.id).limit(limit))
        return list((await self.session.execute(stmt)).scalars())

    async def visits_due(self, until: date, *, owner_id: int | None = None) -> list[Customer]:
        stmt = select(Customer).where(Customer.next_visit_on <= until)
        if owner_id is not None:
            stmt = stmt.where(Customer.owner_id == owner_id)
        return list((await self.session.execute(
            stmt.order_by(Customer.next_visit_on, Customer.id))).scalars())

    async def open_tasks(self, owner_id: int, until: datetime) -> list[StaffTask]:
        stmt = (select(StaffTask)
                .where(StaffTask.owner_id == owner_id, StaffTask.done_at.is_(None),
                       StaffTask.due_at <= until)
                .order_by(StaffTask.due_at))
        return list((await self.session.execute(stmt)).scalars())

    async def template(self, key: str, locale: str) -> CareTemplate | None:
        return await self.session.get(CareTemplate, (key, locale))

    async def templates(self) -> list[CareTemplate]:
        stmt = select(CareTemplate).order_by(CareTemplate.key, CareTemplate.locale)
        return list((await self.session.execute(stmt)).scalars())

    async def put_template(self, key: str, locale: str, text: str, *, staff_id: int | None,
                           now: datetime) -> None:
        found = await self.template(key, locale)
        if found is None:
            self.session.add(CareTemplate(key=key, locale=locale, text=text,
                                          updated_by_id=staff_id, updated_at=now))
        else:
            found.text, found.updated_by_id, found.updated_at = text, staff_id, now

    async def contacts_page(self, *, after_id: int, limit: int,
                            grades: Sequence[str] | None = None,
                            customer_ids: Sequence[int] | None = None,
                            birthdays: Sequence[str] | None = None) -> list[Contact]:
        """Reachable contacts who did not opt out, a page at a time (greetings, news)."""
        stmt = (select(Contact).where(Contact.id > after_id, Contact.unreachable.is_(False),
                                      Contact.news_opt_out.is_(False)))
        if birthdays is not None:
            stmt = stmt.where(Contact.birthday.in_(list(birthdays)))
        if customer_ids is not None:
            stmt = stmt.where(Contact.customer_id.in_(list(customer_ids)))
        if grades is not None:
            stmt = stmt.join(Customer, Customer.id == Contact.customer_id).where(
                Customer.grade.in_(list(grades)))
        return list((await self.session.execute(
            stmt.order_by(Contact.id).limit(limit))).scalars())

    def add_event(self, **fields: Any) -> CareEvent:
        event = CareEvent(**fields)
        self.session.add(event)
        return event

    async def event(self, event_id: int) -> CareEvent | None:
        return await self.session.get(CareEvent, event_id)

    async def upcoming_events(self, now: datetime) -> list[CareEvent]:
        stmt = select(CareEvent).where(CareEvent.starts_at >= now).order_by(
            CareEvent.starts_at)
        return list((await self.session.execute(stmt)).scalars())

    async def reply(self, event_id: int, contact_id: int) -> EventReply | None:
        stmt = select(EventReply).where(EventReply.event_id == event_id,
                                        EventReply.contact_id == contact_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def replies(self, event_id: int) -> list[tuple[EventReply, Contact]]:
        stmt = (select(EventReply, Contact).join(Contact, Contact.id == EventReply.contact_id)
                .where(EventReply.event_id == event_id).order_by(EventReply.id))
        return [(r, c) for r, c in (await self.session.execute(stmt)).all()]

    async def reply_by_id(self, reply_id: int) -> EventReply | None:
        return await self.session.get(EventReply, reply_id, populate_existing=True)

    def add_reply(self, **fields: Any) -> EventReply:
        reply = EventReply(**fields)
        self.session.add(reply)
        return reply
