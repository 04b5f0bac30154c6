"""All-or-nothing imports of customers and orders from CSV or XLSX."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from domain.enums import Grade
from domain.errors import InvalidTransition
from domain.orders import transition
from domain.records import (
    CUSTOMER_REQUIRED,
    ORDER_REQUIRED,
    CustomerRecord,
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


STAGE_ROWS = 500  # rows per staging transaction: a few milliseconds of SQLite's write lock


async def import_orders(uow: UnitOfWork, path: Path, *, now: datetime,
                        pause: float = 0.0) -> ImportReport:
    """Create or update orders by number, recording status changes; any bad row imports nothing.

    Checked with reads only, then staged a few hundred rows per transaction (`pause` seconds
    between them lets the bot's own writes in on SQLite, where one writer at a time holds
    the database) and applied in one short transaction: the bot never waits for the whole
    file, and the import stays all or nothing.
    """
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
        batch = uuid.uuid4().hex
        staged: list[dict[str, Any]] = []
        created = updated = unchanged = 0
        for line, rec in records:
            values = {f: getattr(rec, f) for f in _ORDER_FIELDS}
            order = existing.get(rec.order_no)
            row = {"batch": batch, "line": line, "staged_at": now, "order_no": rec.order_no,
                   "customer_id": customers[rec.customer_code].id, "status": rec.status,
                   "order_id": None, "seen_updated_at": None, "history": True, **values}
            if order is not None:
                moves = order.status != rec.status
                if not moves and all(getattr(order, k) == v for k, v in values.items()):
                    unchanged += 1
                    continue
                row |= {"order_id": order.id, "seen_updated_at": order.updated_at,
                        "history": moves}
                updated += 1
            else:
                created += 1
            staged.append(row)
        # What a killed import staged is never applied: gone with the next import.
        await uow.orders.discard_import(staged_before=now - timedelta(hours=1))
        try:
            for start in range(0, len(staged), STAGE_ROWS):
                await uow.orders.stage_import(staged[start : start + STAGE_ROWS])
                await uow.commit()
                if pause:
                    await asyncio.sleep(pause)
            moved = await uow.orders.apply_import(batch, now=now, updates=updated)
            if moved:
                raise ImportFailed([LineError(line, f"order_no: {number!r} changed while the "
                                                    "file was imported; import it again")
                                    for line, number in moved])
            audit(uow, now=now, action="import.orders", target_type="file",
                  target_id=path.name, actor_label="cli",
                  after={"created": created, "updated": updated, "unchanged": unchanged})
            await uow.commit()
        except BaseException:
            await uow.rollback()
            with contextlib.suppress(Exception):  # else the next import clears them
                await uow.orders.discard_import(batch)
                await uow.commit()
            raise
    return ImportReport(created, updated, unchanged)
