"""The migration builds the models; times round-trip as UTC; the audit log is append-only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from domain.enums import Grade, OrderStatus
from storage.db import make_sync_engine
from storage.models import AuditEntry, Base, Customer, Order


def test_the_recorded_head_is_the_newest_migration(db_url: str) -> None:
    from storage.migrate import HEAD, current_revision, ensure_current, script_head

    assert script_head() == HEAD
    assert current_revision(db_url) == HEAD
    assert ensure_current(db_url) is False  # nothing to do: alembic is not even loaded


def test_nothing_left_to_autogenerate(db_url: str) -> None:
    engine = make_sync_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


async def test_times_are_utc_and_money_is_decimal(uow_factory) -> None:
    taipei = timezone(timedelta(hours=8))
    created = datetime(2026, 11, 27, 9, 30, tzinfo=taipei)
    async with uow_factory() as uow:
        customer = uow.customers.add(code="C1", name="C", created_at=created, updated_at=created,
                                     credit_limit=Decimal("12345678.91"), grade=Grade.A)
        await uow.flush()
        uow.orders.add(order_no="O1", customer_id=customer.id, order_date=date(2026, 11, 1),
                       product="P", quantity=Decimal("1.5"), unit_price=Decimal("0.3333"),
                       currency="CNY", status=OrderStatus.SHIPPED, created_at=created,
                       updated_at=created)
        await uow.commit()
    async with uow_factory() as uow:
        row = (await uow.session.execute(select(Customer))).scalar_one()
        order = (await uow.session.execute(select(Order))).scalar_one()
        assert row.created_at == created and row.created_at.tzinfo is not None
        assert row.created_at.utcoffset() == timedelta(0)
        assert row.credit_limit == Decimal("12345678.91") and row.grade is Grade.A
        assert order.unit_price == Decimal("0.3333") and order.status is OrderStatus.SHIPPED


async def test_naive_datetimes_are_refused(uow_factory) -> None:
    async with uow_factory() as uow:
        uow.customers.add(code="C2", name="C", created_at=datetime(2026, 1, 1),
                          updated_at=datetime(2026, 1, 1))
        with pytest.raises(Exception, match="naive"):
            await uow.flush()


async def test_audit_log_is_append_only(uow_factory) -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    async with uow_factory() as uow:
        uow.audit.add(at=now, actor="cli", action="x", target_type="t", target_id="1")
        await uow.commit()
    for stmt in (update(AuditEntry).values(action="forged"), text("DELETE FROM audit_log")):
        async with uow_factory() as uow:
            with pytest.raises(DBAPIError, match="append-only"):
                await uow.session.execute(stmt)
    async with uow_factory() as uow:
        assert [e.action for e in await uow.audit.list_recent()] == ["x"]


async def test_order_numbers_are_unique(uow_factory) -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    async with uow_factory() as uow:
        customer = uow.customers.add(code="C3", name="C", created_at=now, updated_at=now)
        await uow.flush()
        for _ in range(2):
            uow.orders.add(order_no="DUP", customer_id=customer.id, order_date=date(2026, 1, 1),
                           product="P", quantity=Decimal(1), unit_price=Decimal(1),
                           currency="CNY", status=OrderStatus.PENDING, created_at=now,
                           updated_at=now)
        with pytest.raises(IntegrityError):
            await uow.flush()


def test_import_limits_match_the_columns_they_guard() -> None:
    """domain/records.py names the widths of the columns imports write; they must not drift
    from the models, or PostgreSQL refuses an import the checks let through."""
    from sqlalchemy import Numeric, String

    from domain.records import NUMERIC_LIMITS, TEXT_LIMITS
    from storage.models import Customer, Invoice, Order, Payment

    aliases = {"customer_code": "code"}
    seen = set()
    for model in (Customer, Order, Invoice, Payment):
        for column in model.__table__.columns:
            if isinstance(column.type, String) and column.name in TEXT_LIMITS:
                assert column.type.length == TEXT_LIMITS[column.name], column
                seen.add(column.name)
            if isinstance(column.type, Numeric) and column.name in NUMERIC_LIMITS:
                assert (column.type.precision, column.type.scale) == \
                    NUMERIC_LIMITS[column.name], column
                seen.add(column.name)
            for alias, name in aliases.items():
                if model is Customer and column.name == name:
                    assert column.type.length == TEXT_LIMITS[alias]
                    seen.add(alias)
    assert seen == set(TEXT_LIMITS) | set(NUMERIC_LIMITS)
