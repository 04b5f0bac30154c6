"""Typed SQLAlchemy 2 models: one table per noun of the policy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.admission import AppStatus, Stage, StepStatus
from domain.cases import CaseKind, CaseStatus, Category
from domain.enums import Grade, LocaleSource, OrderStatus, Role
from storage.types import StrEnumType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Telegram ids exceed 32 bits; SQLite only autoincrements INTEGER, so ids stay Integer.
TelegramId = BigInteger


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: Numeric(14, 2),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Staff(Base):
    """A member of staff who uses the bot, with one or more roles."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(TelegramId, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # False once removed: the row stays for history and the audit log, the access goes.
    active: Mapped[bool] = mapped_column(default=True)
    # The language the operator set (`staff add --locale`); None: as for anyone else.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", lazy="raise", cascade="all, delete-orphan"
    )


class StaffRole(Base):
    """One role held by a staff member."""

    __tablename__ = "staff_roles"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(StrEnumType(Role), primary_key=True)
    staff: Mapped[Staff] = relationship(back_populates="roles", lazy="raise")


class Customer(Base):
    """A downstream customer with its basic (INFO-1) and business (INFO-2) information."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    # INFO-1
    legal_representative: Mapped[str] = mapped_column(String(200), default="")
    registered_address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    business_scope: Mapped[str] = mapped_column(Text, default="")
    scale: Mapped[str] = mapped_column(String(200), default="")
    # INFO-2
    products: Mapped[str] = mapped_column(Text, default="")
    purchase_volume: Mapped[str] = mapped_column(String(200), default="")
    purchase_frequency: Mapped[str] = mapped_column(String(200), default="")
    price_expectation: Mapped[str] = mapped_column(String(200), default="")
    quality_standards: Mapped[str] = mapped_column(Text, default="")
    delivery_place: Mapped[str] = mapped_column(String(500), default="")
    payment_method: Mapped[str] = mapped_column(String(200), default="")
    # management
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    grade: Mapped[Grade] = mapped_column(StrEnumType(Grade, 1), default=Grade.B)
    credit_limit: Mapped[Decimal | None]
    credit_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    payment_term_days: Mapped[int | None]
    credit_rating: Mapped[str] = mapped_column(String(8), default="A")  # RISK-1
    visit_every_days: Mapped[int | None]  # CARE-1: overrides the grade's frequency
    contact_every_days: Mapped[int | None]  # SVC-2: overrides the grade's contact cadence
    last_visit_on: Mapped[date | None]
    next_visit_on: Mapped[date | None] = mapped_column(index=True)
    suspended_at: Mapped[datetime | None]  # supply suspended (AR-2); new orders blocked
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    owner: Mapped[Staff | None] = relationship(lazy="raise")


class Contact(Base):
    """A Telegram user linked to a customer through an invite."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    telegram_id: Mapped[int] = mapped_column(TelegramId, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str | None] = mapped_column(String(16))
    unreachable: Mapped[bool] = mapped_column(default=False)
    linked_at: Mapped[datetime]
    birthday: Mapped[str | None] = mapped_column(String(5))  # MM-DD, if the contact gave it
    news_opt_out: Mapped[bool] = mapped_column(default=False)  # SVC-4: never sent news again

    customer: Mapped[Customer] = relationship(lazy="raise")


class Invite(Base):
    """A one-time invite; only the SHA-256 of the token is kept (the token is a secret)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(TelegramId)


class UserPref(Base):
    """Per-Telegram-user preferences, for staff, contacts and strangers alike."""

    __tablename__ = "user_prefs"

    telegram_id: Mapped[int] = mapped_column(TelegramId, primary_key=True, autoincrement=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    locale_source: Mapped[LocaleSource | None] = mapped_column(StrEnumType(LocaleSource, 16))
    # What command menu this chat was last given (roles + locale), so it is set once.
    commands_key: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class Order(Base):
    """A customer order as recorded in the company's systems (ORD-1)."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    order_date: Mapped[date] = mapped_column(Date)
    product: Mapped[str] = mapped_column(String(300))
    spec: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(32), default="")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    delivery_date: Mapped[date | None] = mapped_column(Date)
    delivery_place: Mapped[str] = mapped_column(String(500), default="")
    payment_terms: Mapped[str] = mapped_column(String(200), default="")
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    status: Mapped[OrderStatus] = mapped_column(StrEnumType(OrderStatus))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    customer: Mapped[Customer] = relationship(lazy="raise")
    history: Mapped[list[OrderStatusChange]] = relationship(
        lazy="raise", order_by="OrderStatusChange.id", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_orders_customer_date", "customer_id", "order_date"),)


class OrderStatusChange(Base):
    """One step of an order's status history."""

    __tablename__ = "order_status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(StrEnumType(OrderStatus))
    changed_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(64), default="")


class OrderImport(Base):
    """An order row of an import in progress (R: a big import must not stall the bot).

    Rows are staged a few hundred per transaction, so SQLite's single write lock is never
    held for long; one short transaction then applies the whole batch with set-based SQL,
    so an import is still all or nothing. Rows of a batch that never got applied (the CLI
    was killed) are deleted by the next import.
    """

    __tablename__ = "order_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch: Mapped[str] = mapped_column(String(32), index=True)
    line: Mapped[int]  # in the file, for errors
    staged_at: Mapped[datetime]
    order_id: Mapped[int | None]  # the order it updates; None: a new order
    seen_updated_at: Mapped[datetime | None]  # that order when it was checked
    history: Mapped[bool]  # the status is new or changes: a history row
    order_no: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int]
    order_date: Mapped[date] = mapped_column(Date)
    product: Mapped[str] = mapped_column(String(300))
    spec: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(32))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    delivery_date: Mapped[date | None] = mapped_column(Date)
    delivery_place: Mapped[str] = mapped_column(String(500))
    payment_terms: Mapped[str] = mapped_column(String(200))
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    status: Mapped[OrderStatus] = mapped_column(StrEnumType(OrderStatus))


class AuditEntry(Base):
    """An append-only record of a decision, change, export or denial (R15)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(TelegramId)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    update_id: Mapped[int | None] = mapped_column(BigInteger)


class InboxUpdate(Base):
    """A Telegram update stored before it is confirmed (R1); machinery in the reliability issue."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # R11: a process that claims an update holds it until the lease ends (then it is free);
    # the owner renews the lease while it holds the row, and only the owner may settle it.
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(32), index=True)


class OutboxMessage(Base):
    """A message caused by a business change, sent by a relay (R2, R3)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(TelegramId, index=True)
    method: Mapped[str] = mapped_column(String(32), default="sendMessage")
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(32), index=True)

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class DueWork(Base):
    """A deadline to act on (a reminder, an escalation); swept periodically (R10, R11)."""

    __tablename__ = "due_work"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. sla:17:2 (R3)
    kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(200), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(32), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_due_work_status_due", "status", "due_at"),)


class Case(Base):
    """A complaint or an inquiry (CMP-1, CMP-2, SVC-3)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[CaseKind] = mapped_column(StrEnumType(CaseKind, 16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    category: Mapped[Category | None] = mapped_column(StrEnumType(Category, 16))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    description: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[CaseStatus] = mapped_column(StrEnumType(CaseStatus, 24), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime]
    ack_due_at: Mapped[datetime]
    resolve_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]
    # Every change bumps the version; buttons carry it, so a stale press changes nothing (R7).
    version: Mapped[int] = mapped_column(default=1)
    solution: Mapped[str | None] = mapped_column(Text)
    proposed_due_at: Mapped[datetime | None]  # a new deadline waiting for the customer's yes
    deadline_agreed: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None]
    root_cause: Mapped[str | None] = mapped_column(String(24))
    root_cause_text: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None]
    survey_score: Mapped[int | None]
    survey_comment: Mapped[str | None] = mapped_column(Text)
    survey_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]

    attachments: Mapped[list[CaseAttachment]] = relationship(
        lazy="raise", order_by="CaseAttachment.id", cascade="all, delete-orphan")


class CaseEvent(Base):
    """The timeline of a case: each transition, note, forward, reply and update (CMP-3)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor_label: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    internal: Mapped[bool] = mapped_column(default=True)  # hidden from the customer


class CaseForward(Base):
    """A question to a department about a case, with its own reply deadline."""

    __tablename__ = "case_forwards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[Role] = mapped_column(StrEnumType(Role, 32))
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    asked_at: Mapped[datetime]
    due_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    answered_at: Mapped[datetime | None]


class CorrectiveAction(Base):
    """What will stop a complaint's cause from coming back, tracked until done (CMP-3)."""

    __tablename__ = "corrective_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class StaffTask(Base):
    """A task for one member of staff with a deadline (e.g. a follow-up visit, CMP-4)."""

    __tablename__ = "staff_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class CaseAttachment(Base):
    """Evidence sent with a case: Telegram's file ids, not the bytes."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(300))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(300), default="")
    mime_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(default=0)


class Application(Base):
    """An admission application (ADM-2) filed by a sales rep, and where its review stands."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[AppStatus] = mapped_column(StrEnumType(AppStatus, 24), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    declarations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    updated_at: Mapped[datetime]


class ApplicationFile(Base):
    """A proof document (licence etc.) sent with an application or an answer: Telegram ids."""

    __tablename__ = "application_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(300))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(300), default="")
    mime_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    added_at: Mapped[datetime]


class ReviewStep(Base):
    """One reviewer's step on an application (ADM-3) and, once decided, its record (ADM-4)."""

    __tablename__ = "review_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    stage: Mapped[Stage] = mapped_column(StrEnumType(Stage, 16))
    status: Mapped[StepStatus] = mapped_column(StrEnumType(StepStatus, 16), index=True)
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    credit_limit: Mapped[Decimal | None]
    payment_term_days: Mapped[int | None]
    files_seen: Mapped[list[Any]] = mapped_column(default=list)  # file ids at decision time
    answer: Mapped[str | None] = mapped_column(Text)  # the applicant's answer to INFO


class ApplicationEvent(Base):
    """The timeline of an application: filed, each decision, questions and answers."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor_label: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")


class CustomerInfo(Base):
    """Dynamic information about a customer (INFO-3) and, for a major change, the deadline
    by which the file must be brought up to date (INFO-5)."""

    __tablename__ = "customer_info"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    happened_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(300))
    major: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime]
    update_due_at: Mapped[datetime | None]
    file_updated_at: Mapped[datetime | None]


class Consent(Base):
    """A customer's written consent to disclose its data to a third party (INFO-7)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(200))
    document_file_id: Mapped[str] = mapped_column(String(300))
    document_name: Mapped[str] = mapped_column(String(300), default="")
    signed_on: Mapped[date]
    expires_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Prospect(Base):
    """A possible customer (DEV-1) with its cooperation proposal (DEV-2)."""

    __tablename__ = "prospects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    telegram_id: Mapped[int | None] = mapped_column(TelegramId, index=True)
    company: Mapped[str] = mapped_column(String(300))
    contact: Mapped[str] = mapped_column(String(300))
    needs: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(24))
    proposal: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Invoice(Base):
    """An invoice to a customer (ORD-5) and where it stands on the dunning ladder (AR-2)."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_no: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    amount: Mapped[Decimal]
    paid: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3))
    issued_on: Mapped[date]
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(8))  # open, paid
    rung: Mapped[int | None]  # the last ladder rung done (index into domain LADDER)
    next_rung_at: Mapped[datetime | None]  # when the sweep should look at it again
    settled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_invoices_status_next_rung", "status", "next_rung_at"),)


class Payment(Base):
    """A payment against an invoice; partial payments add up."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal]
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(100), default="")
    imported_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("invoice_id", "paid_on", "amount", "reference"),)


class DunningLetter(Base):
    """A dunning letter as sent: the PDF is kept (AR-2)."""

    __tablename__ = "dunning_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    locale: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class CreditRequest(Base):
    """A decision finance, then the executive take in chat: suspend supply, or let an order
    through over the credit limit (AR-2, RISK-2)."""

    __tablename__ = "credit_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # suspend, order
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(String(16))  # finance, executive, approved, rejected
    reason: Mapped[str] = mapped_column(Text, default="")
    finance_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    finance_at: Mapped[datetime | None]
    executive_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    executive_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Visit(Base):
    """A follow-up visit logged by a sales rep (CARE-1), with an opportunity if any (CARE-4)."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(16))
    done_on: Mapped[date]
    outcome: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(Text, default="")
    next_actions: Mapped[str] = mapped_column(Text, default="")
    opportunity: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class CareTemplate(Base):
    """A greeting's text in one language, as staff edited it (CARE-2)."""

    __tablename__ = "care_templates"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]


class CareEvent(Base):
    """A training or seminar announced to chosen grades (CARE-3)."""

    __tablename__ = "care_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime]
    grades: Mapped[list[Any]] = mapped_column(default=list)  # empty: every customer
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]


class EventReply(Base):
    """A contact's RSVP to an event, and whether they came."""

    __tablename__ = "event_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("care_events.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    coming: Mapped[bool]
    answered_at: Mapped[datetime]
    attended: Mapped[bool | None]

    __table_args__ = (UniqueConstraint("event_id", "contact_id"),)


class Dialog(Base):
    """The one multi-step dialog a user is in, kept in the database so it survives a crash (R9)."""

    __tablename__ = "dialogs"

    telegram_id: Mapped[int] = mapped_column(TelegramId, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # The update that made the last step: a redelivered update does not apply twice.
    last_update_id: Mapped[int | None] = mapped_column(BigInteger)


class RuntimeState(Base):
    """Small facts about the running bot (last successful poll, alarms sent)."""

    __tablename__ = "runtime_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


__all__ = [
    "Application",
    "ApplicationEvent",
    "ApplicationFile",
    "AuditEntry",
    "Base",
    "CareEvent",
    "CareTemplate",
    "Case",
    "CaseAttachment",
    "CaseEvent",
    "CaseForward",
    "Consent",
    "Contact",
    "CorrectiveAction",
    "CreditRequest",
    "Customer",
    "CustomerInfo",
    "Dialog",
    "DueWork",
    "DunningLetter",
    "EventReply",
    "InboxUpdate",
    "Invite",
    "Invoice",
    "Order",
    "OrderStatusChange",
    "OutboxMessage",
    "Payment",
    "Prospect",
    "ReviewStep",
    "RuntimeState",
    "Staff",
    "StaffRole",
    "StaffTask",
    "UniqueConstraint",
    "UserPref",
    "Visit",
]
