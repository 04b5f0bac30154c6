"""Imports: all or nothing, line-numbered errors, re-import by key, status history, XLSX."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from domain.enums import OrderStatus, Role
from services import imports, orders, staff
from services.cards import Actor
from services.tabular import TableError
from storage.models import Customer, Order, OrderStatusChange
from tests.support.world import (
    CUSTOMER_HEADER,
    ORDER_HEADER,
    SALES_WANG,
    acme_orders,
    write_csv,
)

ACME = ["ACME", "Acme", "Chen", "Taipei", "1", "Hardware", SALES_WANG.id, "A", "1000", "30"]


async def _count(uow_factory, model) -> int:
    async with uow_factory() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.fixture
async def rep(uow_factory, now):
    await staff.add_staff(uow_factory(), telegram_id=SALES_WANG.id, name="Wang",
                          roles=[Role.SALES], now=now)


async def test_one_bad_row_imports_nothing_and_names_each_line(uow_factory, rep, tmp_path, now):
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [
        ACME,
        ["GOOD", "Good", "X", "Y", "2", "Z", SALES_WANG.id, "", "", ""],
        ["BAD", "Bad", "X", "Y", "2", "Z", 424242, "", "", ""],
        ["ACME", "Again", "X", "Y", "2", "Z", SALES_WANG.id, "Q", "", ""],
    ])
    with pytest.raises(imports.ImportFailed) as err:
        await imports.import_customers(uow_factory(), path, now=now)
    assert [str(e) for e in err.value.errors] == [
        "line 4: sales_rep_telegram_id: no staff member with Telegram id 424242",
        "line 5: grade: 'Q' is not one of A, B, C",
    ]
    assert await _count(uow_factory, Customer) == 0


async def test_missing_columns_are_reported_on_line_1(uow_factory, tmp_path, now):
    path = write_csv(tmp_path / "c.csv", ["code", "name"], [["A", "B"]])
    with pytest.raises(imports.ImportFailed) as err:
        await imports.import_customers(uow_factory(), path, now=now)
    assert str(err.value.errors[0]).startswith("line 1: missing column(s): legal_representative")


async def test_reimport_updates_by_key_and_records_status_changes(uow_factory, rep, tmp_path,
                                                                  now):
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)
    rows = acme_orders(3)
    first = await imports.import_orders(
        uow_factory(), write_csv(tmp_path / "o.csv", ORDER_HEADER, rows), now=now)
    assert (first.created, first.updated) == (3, 0)
    rows[0][9] = "shipped"
    later = now + timedelta(days=2)
    again = await imports.import_orders(
        uow_factory(), write_csv(tmp_path / "o2.csv", ORDER_HEADER, rows), now=later)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    async with uow_factory() as uow:
        order = await uow.orders.view(order_no="PO-1001")
        assert order is not None and order.status is OrderStatus.SHIPPED
        assert [(h.status, h.changed_at) for h in order.history] == [
            (OrderStatus.IN_PRODUCTION, now), (OrderStatus.SHIPPED, later)]
    assert await _count(uow_factory, OrderStatusChange) == 4


async def test_a_status_going_backwards_is_refused(uow_factory, rep, tmp_path, now):
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)
    rows = acme_orders(2)
    await imports.import_orders(uow_factory(), write_csv(tmp_path / "o.csv", ORDER_HEADER, rows),
                                now=now)
    rows[1][9] = "pending"
    rows[0][1] = "NOBODY"
    with pytest.raises(imports.ImportFailed) as err:
        await imports.import_orders(
            uow_factory(), write_csv(tmp_path / "o2.csv", ORDER_HEADER, rows), now=now)
    assert [str(e) for e in err.value.errors] == [
        "line 2: customer_code: no customer 'NOBODY'",
        "line 3: status: cannot go from in_production back to or on to pending",
    ]


async def test_xlsx_import_and_the_card_it_gives(uow_factory, rep, tmp_path, now):
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(ORDER_HEADER)
    sheet.append(["X-1", "ACME", now.date(), "Valve", 3, 19.99, "CNY", now.date(), "Dock 4",
                  "confirmed", "", "pcs", "", None])
    sheet.append([None] * len(ORDER_HEADER))  # a blank row is skipped, not an error
    path = tmp_path / "orders.xlsx"
    book.save(path)
    report = await imports.import_orders(uow_factory(), path, now=now)
    assert report.created == 1
    admin = Actor(telegram_id=1, locale="en", roles=frozenset({Role.ADMIN}), staff_id=99)
    card = await orders.show_order(uow_factory(), admin, order_no="X-1", now=now)
    assert str(card.total) == "59.97" and card.delivery_place == "Dock 4"


@pytest.mark.parametrize("name", ["orders.txt", "missing.csv"])
def test_unreadable_files_are_refused(tmp_path: Path, name: str) -> None:
    from services.tabular import read_table

    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("x")
    with pytest.raises(TableError):
        read_table(path)


def test_a_broken_xlsx_is_refused(tmp_path: Path) -> None:
    from services.tabular import read_table

    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(TableError, match="not a readable XLSX"):
        read_table(path)


async def test_counts_are_unchanged_after_a_failed_import(uow_factory, rep, tmp_path, now):
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)
    rows = acme_orders(4)
    rows[3][4] = "lots"
    with pytest.raises(imports.ImportFailed):
        await imports.import_orders(
            uow_factory(), write_csv(tmp_path / "o.csv", ORDER_HEADER, rows), now=now)
    assert await _count(uow_factory, Order) == 0
