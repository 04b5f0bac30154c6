"""All-or-nothing imports of customers and orders from CSV or XLSX."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from domain.enums import Grade
from domain.errors import InvalidTransition
from domain.orders import transition
from domain.records import (
    CUSTOMER_REQUIRED,
    ORDER_REQUIRED,
    CustomerRecord,
    OrderRecord,
    RowError,
    missing_columns,
    parse_customer_row,
    parse_order_row,
)
from services.audit import audit
from services.cards import ImportReport
from services.ports import UnitOfWork
from services.tabular import Table, read_table

R = TypeVar("R")


@dataclass(frozen=True)
class LineError:
    """A problem with one line of the file."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportFailed(Exception):
    """Nothing was imported; `errors` says which lines were wrong and why."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def _parse(
    table: Table, required: tuple[str, ...], parse: Callable[[dict[str, Any]], R], key: str
) -> tuple[list[tuple[int, R]], list[LineError]]:
    missing = missing_columns(table.header, required)
    if missing:
        return [], [LineError(1, "missing column(s): " + ", ".join(missing))]
    records: list[tuple[int, R]] = []
    errors: list[LineError] = []
    first_line: dict[str, int] = {}
    for line, row in table.rows:
        try:
            record = parse(row)
        except RowError as exc:
            errors.append(LineError(line, str(exc)))
            continue
        value = getattr(record, key)
        if value in first_line:
            errors.append(LineError(line, f"{key} {value!r} already appears on line "
                                          f"{first_line[value]}"))
            continue
        first_line[value] = line
        records.append((line, record))
    return records, errors


async def import_customers(uow: UnitOfWork, path: Path, *, now: datetime) -> ImportReport:
    """Create or update customers by code; any bad row imports nothing."""
    records, errors = _parse(read_table(path), CUSTOMER_REQUIRED, parse_customer_row, "code")
    async with uow:
        reps: dict[int, int] = {}
        for line, rec in records:
            staff = await uow.staff.get_by_telegram_id(rec.sales_rep_telegram_id)
            if staff is None:
                errors.append(LineError(line, f"sales_rep_telegram_id: no staff member with "
                                              f"Telegram id {rec.sales_rep_telegram_id}"))
            elif not staff.active:  # a departed rep gets no new customers
                errors.append(LineError(line, f"sales_rep_telegram_id: staff member "
                                              f"{rec.sales_rep_telegram_id} was removed"))
            else:
                reps[rec.sales_rep_telegram_id] = staff.id
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
        existing = await uow.customers.by_codes([rec.code for _, rec in records])
        created = updated = unchanged = 0
        for _, rec in records:
            values = _customer_values(rec, reps[rec.sales_rep_telegram_id])
            customer = existing.get(rec.code)
            if customer is None:
                uow.customers.add(code=rec.code, created_at=now, updated_at=now, **values)
                created += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(customer, k) != v}
            if not changed:
                unchanged += 1
                continue
            for k, v in changed.items():
                setattr(customer, k, v)
            customer.updated_at = now
            updated += 1
        audit(uow, now=now, action="import.customers", target_type="file",
              target_id=path.name, actor_label="cli",
              after={"created": created, "updated": updated, "unchanged": unchanged})
        await uow.commit()
    return ImportReport(created, updated, unchanged)


def _customer_values(rec: CustomerRecord, owner_id: int) -> dict[str, Any]:
    values = dict(rec.fields)
    values["name"] = rec.name
    values["owner_id"] = owner_id
    if "grade" in values:
        values["grade"] = Grade(values["grade"])
    return values


_ORDER_FIELDS = (
    "order_date", "product", "spec", "quantity", "unit", "unit_price", "currency",
    "delivery_date", "delivery_place", "payment_terms", "expected_delivery",
)


async def import_orders(uow: UnitOfWork, path: Path, *, now: datetime) -> ImportReport:
    """Create or update orders by number, recording status changes; any bad row imports nothing."""
    records, errors = _parse(read_table(path), ORDER_REQUIRED, parse_order_row, "order_no")
    async with uow:
        customers = await uow.customers.by_codes([rec.customer_code for _, rec in records])
        existing = await uow.orders.by_numbers([rec.order_no for _, rec in records])
        for line, rec in records:
            customer = customers.get(rec.customer_code)
            if customer is None:
                errors.append(LineError(line, f"customer_code: no customer {rec.customer_code!r}"))
                continue
            order = existing.get(rec.order_no)
            if order is None:
                continue
            if order.customer_id != customer.id:
                errors.append(LineError(line, f"order_no: {rec.order_no!r} belongs to another "
                                              "customer"))
                continue
            try:
                transition(order.status, rec.status)
            except InvalidTransition:
                errors.append(LineError(line, f"status: cannot go from {order.status.value} "
                                              f"back to or on to {rec.status.value}"))
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
        created = updated = unchanged = 0
        history_for: list[tuple[Any, OrderRecord]] = []
        for _, rec in records:
            values = {f: getattr(rec, f) for f in _ORDER_FIELDS}
            order = existing.get(rec.order_no)
            if order is None:
                order = uow.orders.add(
                    order_no=rec.order_no, customer_id=customers[rec.customer_code].id,
                    status=rec.status, created_at=now, updated_at=now, **values,
                )
                history_for.append((order, rec))
                created += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(order, k) != v}
            if order.status != rec.status:
                history_for.append((order, rec))
                order.status = rec.status
            elif not changed:
                unchanged += 1
                continue
            for k, v in changed.items():
                setattr(order, k, v)
            order.updated_at = now
            updated += 1
        await uow.flush()
        for order, rec in history_for:
            uow.orders.add_status_change(order.id, rec.status, now, source="import")
        audit(uow, now=now, action="import.orders", target_type="file", target_id=path.name,
              actor_label="cli",
              after={"created": created, "updated": updated, "unchanged": unchanged})
        await uow.commit()
    return ImportReport(created, updated, unchanged)
