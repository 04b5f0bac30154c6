"""Imports: all or nothing, line-numbered errors, re-import by key, status history, XLSX."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from domain.calendar import WorkingCalendar
from domain.enums import OrderStatus, Role
from domain.receivables import LadderPolicy
from services import imports, orders, receivables, staff
from services.cards import Actor
from services.tabular import TableError
from storage.models import (
    Customer,
    Invoice,
    Order,
    OrderImport,
    OrderStatusChange,
    Payment,
)
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


# -- bad cells: each kind, CSV and XLSX, SQLite and PostgreSQL ------------------------------

LEDGER = receivables.Ledger(WorkingCalendar("CN", "Asia/Shanghai"), LadderPolicy(), "en")
INVOICE_HEADER = ["invoice_no", "customer_code", "order_no", "amount", "currency", "issued_on",
                  "due_on"]
PAYMENT_HEADER = ["invoice_no", "amount", "paid_on", "reference"]
GOOD = {
    "customers": (CUSTOMER_HEADER, ["NEW", "New Co", "Lee", "Taipei", "2", "Tools",
                                    SALES_WANG.id, "B", "1000", "30"]),
    "orders": (ORDER_HEADER, ["PO-9", "ACME", "2026-10-01", "Pipe", "5", "12.5", "TWD",
                              "2026-12-01", "Dock", "pending", "", "pcs", "", ""]),
    "invoices": (INVOICE_HEADER, ["INV-9", "ACME", "", "100", "TWD", "2026-10-01",
                                  "2026-10-31"]),
    "payments": (PAYMENT_HEADER, ["INV-1", "10", "2026-11-02", "bank 1"]),
}
LONG = "x" * (128 * 1024 + 1)
BAD_CELLS = [  # kind, column, value, the reason given
    ("customers", "name", "New\x00Co", "name: contains a NUL character"),
    ("customers", "business_scope", LONG, "business_scope: longer than 131072 characters"),
    ("customers", "code", "C" * 65, "code: longer than 64 characters"),
    ("customers", "credit_limit", "1" + "0" * 12, "credit_limit: '1000000000000' is too large"),
    ("customers", "payment_term_days", "99999999999", "payment_term_days: at most 3650 days"),
    ("customers", "sales_rep_telegram_id", "1e30", "sales_rep_telegram_id: '1e30' is not a"),
    ("orders", "product", "Pi\x00pe", "product: contains a NUL character"),
    ("orders", "spec", LONG, "spec: longer than 131072 characters"),
    ("orders", "order_no", "P" * 65, "order_no: longer than 64 characters"),
    ("orders", "quantity", "1" + "0" * 11, "quantity: '100000000000' is too large"),
    ("orders", "unit_price", "1" + "0" * 10, "unit_price: '10000000000' is too large"),
    ("invoices", "invoice_no", "INV\x009", "invoice_no: contains a NUL character"),
    ("invoices", "amount", "1" + "0" * 12, "amount: '1000000000000' is too large"),
    ("invoices", "customer_code", LONG, "customer_code: longer than 131072 characters"),
    ("payments", "reference", "bank\x001", "reference: contains a NUL character"),
    ("payments", "reference", "r" * 101, "reference: longer than 100 characters"),
    ("payments", "amount", "1" + "0" * 12, "amount: '1000000000000' is too large"),
]


@pytest.fixture
async def ledger_world(uow_factory, rep, tmp_path, now):
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)
    await imports.import_orders(
        uow_factory(), write_csv(tmp_path / "o.csv", ORDER_HEADER, acme_orders(2)), now=now)
    await receivables.import_invoices(uow_factory(), write_csv(
        tmp_path / "i.csv", INVOICE_HEADER,
        [["INV-1", "ACME", "PO-1001", "100", "TWD", "2026-10-01", "2026-10-31"]]),
        now=now, ledger=LEDGER)
    return uow_factory


async def _run(kind: str, uow, path: Path, now):
    if kind == "customers":
        return await imports.import_customers(uow, path, now=now)
    if kind == "orders":
        return await imports.import_orders(uow, path, now=now)
    if kind == "invoices":
        return await receivables.import_invoices(uow, path, now=now, ledger=LEDGER)
    return await receivables.import_payments(uow, path, now=now, ledger=LEDGER)


async def _counts(uow_factory) -> list[int]:
    return [await _count(uow_factory, m) for m in (Customer, Order, Invoice, Payment,
                                                   OrderStatusChange)]


# An XLSX cell holds neither a NUL (XML forbids it: see the damaged-sheet test below) nor
# more than 32767 characters (openpyxl cuts it there).
CASES = [(fmt, *case) for case in BAD_CELLS for fmt in ("csv", "xlsx")
         if fmt == "csv" or ("\x00" not in case[2] and case[2] != LONG)]


@pytest.mark.parametrize(("fmt", "kind", "column", "value", "reason"), CASES,
                         ids=[f"{f}-{k}-{c}-{r.split(': ')[1][:12]}" for f, k, c, _, r in CASES])
async def test_a_bad_cell_is_named_by_line_and_column_and_nothing_is_written(
        ledger_world, tmp_path, now, fmt, kind, column, value, reason):
    """A NUL, a cell over 128 KiB, a text or number too big for its column: PostgreSQL
    raised DataError (a traceback from the CLI), the csv module `field larger than field
    limit`; each is now one problem on its line, and nothing is imported."""
    header, good = GOOD[kind]
    bad = list(good)
    bad[header.index(column)] = value
    second = list(good)
    if kind == "payments":
        second[1] = "20"
    else:
        second[0] = f"{good[0]}-2"
    if fmt == "csv":
        path = write_csv(tmp_path / f"{kind}.csv", header, [second, bad])
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in (header, second, bad):
            sheet.append(row)
        path = tmp_path / f"{kind}.xlsx"
        book.save(path)
    before = await _counts(ledger_world)
    with pytest.raises((imports.ImportFailed, TableError)) as err:
        await _run(kind, ledger_world(), path, now)
    lines = str(err.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"line 3: {reason}"), lines
    assert await _counts(ledger_world) == before


def test_a_damaged_sheet_is_refused_without_a_traceback(tmp_path: Path) -> None:
    import zipfile

    from services.tabular import read_table

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "name"])
    sheet.append(["A", "marker"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b"marker", b"mar&#0;ker")  # XML cannot carry a NUL
            dst.writestr(item, data)
    with pytest.raises(TableError, match="not a readable XLSX workbook"):
        read_table(bad)


# -- a big import next to a working bot ----------------------------------------------------

def _many_orders(n: int, first: int = 1) -> list[list[object]]:
    return [[f"IM-{i:06d}", "ACME", "2026-10-01", "Valve", "3", "19.99", "CNY", "2026-12-01",
             "Dock", "pending", "", "pcs", "", ""] for i in range(first, first + n)]


async def test_the_import_lets_other_writers_in_and_shows_nothing_until_applied(
        uow_factory, rep, tmp_path, now, monkeypatch):
    """SQLite has one writer: an import in one transaction stalled every reply of the bot for
    its whole length. Now others write between its chunks, and see none of its orders until
    the last, short transaction applies them all."""
    monkeypatch.setattr(imports, "STAGE_ROWS", 50)
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, _many_orders(500))
    seen: list[int] = []
    running = True

    async def another_writer() -> None:
        while running:
            async with uow_factory() as uow:
                await uow.state.put("probe", {"n": len(seen)}, now)
                seen.append((await uow.session.execute(
                    select(func.count()).select_from(Order))).scalar_one())
                await uow.commit()
            await asyncio.sleep(0.005)

    probe = asyncio.create_task(another_writer())
    await asyncio.sleep(0.01)
    before = len(seen)
    report = await imports.import_orders(uow_factory(), path, now=now, pause=0.02)
    during = len(seen) - before
    running = False
    await probe
    assert report.created == 500
    assert during >= 5, during  # the other writer got in while the import ran
    assert set(seen) <= {0, 500}  # never a part of the file
    assert await _count(uow_factory, Order) == 500
    assert await _count(uow_factory, OrderStatusChange) == 500
    assert await _count(uow_factory, OrderImport) == 0  # the staging is cleared


async def test_an_order_changed_during_the_import_fails_it_and_nothing_is_written(
        uow_factory, rep, tmp_path, now, monkeypatch):
    monkeypatch.setattr(imports, "STAGE_ROWS", 50)
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)
    await imports.import_orders(
        uow_factory(), write_csv(tmp_path / "o.csv", ORDER_HEADER, acme_orders(3)), now=now)
    rows = acme_orders(3) + _many_orders(300)
    rows[1][9] = "shipped"  # PO-1002 moves on in the file...
    path = write_csv(tmp_path / "o2.csv", ORDER_HEADER, rows)

    async def meanwhile() -> None:  # ...and moves on in chat while the file is staged
        for _ in range(5000):  # until the first rows are staged
            if await _count(uow_factory, OrderImport):
                break
            await asyncio.sleep(0.002)
        async with uow_factory() as uow:
            order = (await uow.orders.by_numbers(["PO-1002"]))["PO-1002"]
            order.status, order.updated_at = OrderStatus.QUALITY_CHECK, now + timedelta(1)
            await uow.commit()

    other = asyncio.create_task(meanwhile())
    with pytest.raises(imports.ImportFailed) as err:
        await imports.import_orders(uow_factory(), path, now=now, pause=0.02)
    await other
    assert [str(e) for e in err.value.errors] == [
        "line 3: order_no: 'PO-1002' changed while the file was imported; import it again"]
    assert await _count(uow_factory, Order) == 3
    assert await _count(uow_factory, OrderStatusChange) == 3
    assert await _count(uow_factory, OrderImport) == 0


async def test_what_a_killed_import_staged_is_never_applied(uow_factory, rep, tmp_path, now,
                                                            monkeypatch):
    await imports.import_customers(
        uow_factory(), write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [ACME]), now=now)

    async def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the operator's Ctrl-C, between staging and applying

    with monkeypatch.context() as patch:
        from storage.repositories import OrderRepository

        patch.setattr(OrderRepository, "apply_import", killed)
        with pytest.raises(KeyboardInterrupt):
            await imports.import_orders(uow_factory(), write_csv(
                tmp_path / "o.csv", ORDER_HEADER, _many_orders(20)), now=now)
    assert await _count(uow_factory, OrderImport) == 0  # cleared on the way out
    # A kill -9 leaves its rows behind: they are never applied, and go with the next import.
    async with uow_factory() as uow:
        customer = await uow.customers.get_by_code("ACME")
        await uow.orders.stage_import([{
            "batch": "killed", "line": 2, "staged_at": now - timedelta(hours=2),
            "order_id": None, "seen_updated_at": None, "history": True, "order_no": "GHOST",
            "customer_id": customer.id, "order_date": now.date(), "product": "x", "spec": "",
            "quantity": 1, "unit": "", "unit_price": 1, "currency": "CNY",
            "delivery_date": None, "delivery_place": "", "payment_terms": "",
            "expected_delivery": None, "status": OrderStatus.PENDING}])
        await uow.commit()
    report = await imports.import_orders(uow_factory(), write_csv(
        tmp_path / "o.csv", ORDER_HEADER, _many_orders(20)), now=now)
    assert report.created == 20 and await _count(uow_factory, Order) == 20
    assert await _count(uow_factory, OrderImport) == 0
