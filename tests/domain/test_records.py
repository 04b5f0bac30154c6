"""Import rows: each rule as a table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from domain.enums import OrderStatus
from domain.records import RowError, missing_columns, parse_customer_row, parse_order_row

ORDER = {
    "order_no": "PO-1", "customer_code": "ACME", "order_date": "2026-11-01",
    "product": "Pipe", "quantity": "1,200", "unit_price": "12.50", "currency": "twd",
    "delivery_date": "2026-12-01", "delivery_place": "Taoyuan", "status": "Shipped",
}


def test_a_good_order_row_is_typed() -> None:
    rec = parse_order_row(ORDER)
    assert rec.quantity == Decimal("1200") and rec.unit_price == Decimal("12.50")
    assert rec.currency == "TWD" and rec.status is OrderStatus.SHIPPED
    assert rec.order_date == date(2026, 11, 1) and rec.expected_delivery is None


def test_xlsx_cells_are_accepted_as_they_come() -> None:
    rec = parse_order_row({**ORDER, "order_date": datetime(2026, 11, 1, 0, 0),
                           "quantity": 3, "unit_price": 0.1})
    assert rec.order_date == date(2026, 11, 1) and rec.unit_price == Decimal("0.1")


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("order_no", "", "order_no: required"),
    ("status", "lost", "status: 'lost' is not one of"),
    ("quantity", "abc", "quantity: 'abc' is not a number"),
    ("quantity", "0", "quantity: must be positive"),
    ("quantity", "NaN", "quantity: 'NaN' is not a number"),
    ("unit_price", "-1", "unit_price: must not be negative"),
    ("order_date", "01/11/2026", "order_date: '01/11/2026' is not a date"),
    ("currency", "RMB1", "currency: 'RMB1' is not a three-letter currency code"),
])
def test_bad_order_values_name_the_column(column: str, value: str, reason: str) -> None:
    with pytest.raises(RowError, match=reason.replace("(", r"\(")):
        parse_order_row({**ORDER, column: value})


CUSTOMER = {
    "code": "ACME", "name": "Acme", "legal_representative": "Chen", "registered_address": "Taipei",
    "phone": "1", "business_scope": "Hardware", "sales_rep_telegram_id": "9101",
}


@pytest.mark.parametrize(("extra", "reason"), [
    ({"sales_rep_telegram_id": "wang"}, "sales_rep_telegram_id: 'wang' is not a Telegram id"),
    ({"grade": "D"}, "grade: 'D' is not one of A, B, C"),
    ({"credit_limit": "-5"}, "credit_limit: must not be negative"),
    ({"payment_term_days": "2.5"}, "payment_term_days: must be a whole number"),
    ({"name": " "}, "name: required"),
])
def test_bad_customer_values_name_the_column(extra: dict[str, str], reason: str) -> None:
    with pytest.raises(RowError, match=reason):
        parse_customer_row({**CUSTOMER, **extra})


def test_optional_customer_columns_are_kept() -> None:
    rec = parse_customer_row({**CUSTOMER, "grade": "a", "credit_limit": "500000",
                              "payment_term_days": "30", "scale": "200 staff"})
    assert rec.sales_rep_telegram_id == 9101
    assert rec.fields["grade"] == "A" and rec.fields["credit_limit"] == Decimal("500000")
    assert rec.fields["payment_term_days"] == 30 and rec.fields["scale"] == "200 staff"


def test_missing_columns_are_listed() -> None:
    assert missing_columns(["Code", " name "], ("code", "name", "phone")) == ["phone"]
