"""Rows of imported files, validated into typed records (pure; file reading is elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.enums import OrderStatus

CUSTOMER_REQUIRED = (
    "code",
    "name",
    "legal_representative",
    "registered_address",
    "phone",
    "business_scope",
    "sales_rep_telegram_id",
)
CUSTOMER_OPTIONAL = (
    "email",
    "scale",
    "products",
    "purchase_volume",
    "purchase_frequency",
    "price_expectation",
    "quality_standards",
    "delivery_place",
    "payment_method",
    "grade",
    "credit_limit",
    "credit_currency",
    "payment_term_days",
    "visit_every_days",  # CARE-1: a customer's own visit frequency (e.g. for its volume)
    "contact_every_days",  # SVC-2: its regular contact cadence
)
ORDER_REQUIRED = (
    "order_no",
    "customer_code",
    "order_date",
    "product",
    "quantity",
    "unit_price",
    "currency",
    "delivery_date",
    "delivery_place",
    "status",
)
ORDER_OPTIONAL = ("spec", "unit", "payment_terms", "expected_delivery")


# What the columns that imports write can hold (storage/models.py; a test keeps the two
# equal). SQLite would store a longer text or a larger number; PostgreSQL refuses the whole
# import with an error instead of naming the row.
TEXT_LIMITS = {
    "code": 64, "customer_code": 64, "name": 300, "legal_representative": 200,
    "registered_address": 500, "phone": 64, "email": 200, "scale": 200,
    "purchase_volume": 200, "purchase_frequency": 200, "price_expectation": 200,
    "delivery_place": 500, "payment_method": 200, "order_no": 64, "product": 300,
    "spec": 500, "unit": 32, "payment_terms": 200, "invoice_no": 64, "reference": 100,
}
# column -> (precision, scale) of its NUMERIC
NUMERIC_LIMITS = {"credit_limit": (14, 2), "quantity": (14, 3), "unit_price": (14, 4),
                  "amount": (14, 2)}
MAX_TERM_DAYS = 3650
MAX_TELEGRAM_ID = 2**63 - 1  # a BIGINT


class RowError(ValueError):
    """A row that cannot be imported; the message names the column and the problem."""


@dataclass(frozen=True)
class CustomerRecord:
    """One customer row."""

    code: str
    name: str
    sales_rep_telegram_id: int
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class OrderRecord:
    """One order row."""

    order_no: str
    customer_code: str
    order_date: date
    product: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    delivery_date: date | None
    delivery_place: str
    status: OrderStatus
    spec: str = ""
    unit: str = ""
    payment_terms: str = ""
    expected_delivery: date | None = None


def missing_columns(header: list[str], required: tuple[str, ...]) -> list[str]:
    """Return the required columns absent from a header."""
    present = {h.strip().lower() for h in header}
    return [c for c in required if c not in present]


def _text(row: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = row.get(key)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise RowError(f"{key}: required")
    if "\x00" in text:
        raise RowError(f"{key}: contains a NUL character")
    limit = TEXT_LIMITS.get(key)
    if limit is not None and len(text) > limit:
        raise RowError(f"{key}: longer than {limit} characters")
    return text


def _decimal(row: Mapping[str, Any], key: str, *, required: bool = True) -> Decimal | None:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"{key}: required")
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise RowError(f"{key}: {value!r} is not a number") from None
    if not number.is_finite():
        raise RowError(f"{key}: {value!r} is not a number")
    if key in NUMERIC_LIMITS:
        precision, scale = NUMERIC_LIMITS[key]
        if abs(number) >= Decimal(10) ** (precision - scale):
            raise RowError(f"{key}: {value!r} is too large (at most {precision - scale} "
                           "digits before the decimal point)")
    return number


def _date(row: Mapping[str, Any], key: str, *, required: bool = True) -> date | None:
    value = row.get(key)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise RowError(f"{key}: required")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError(f"{key}: {text!r} is not a date (use YYYY-MM-DD)") from None


def _currency(row: Mapping[str, Any], key: str) -> str:
    code = _text(row, key).upper()
    if len(code) != 3 or not code.isalpha():
        raise RowError(f"{key}: {code!r} is not a three-letter currency code")
    return code


def parse_customer_row(row: Mapping[str, Any]) -> CustomerRecord:
    """Validate one customer row."""
    code = _text(row, "code")
    name = _text(row, "name")
    rep = _text(row, "sales_rep_telegram_id")
    try:
        rep_id = int(Decimal(rep))
    except (InvalidOperation, ValueError, OverflowError):  # not a number, NaN, infinity
        rep_id = 0
    if not 0 < rep_id <= MAX_TELEGRAM_ID:
        raise RowError(f"sales_rep_telegram_id: {rep!r} is not a Telegram id")
    fields: dict[str, Any] = {
        key: _text(row, key)
        for key in CUSTOMER_REQUIRED
        if key not in ("code", "name", "sales_rep_telegram_id")
    }
    for key in CUSTOMER_OPTIONAL:
        if key not in row or row.get(key) in (None, ""):
            continue
        if key == "grade":
            grade = _text(row, key).upper()
            if grade not in ("A", "B", "C"):
                raise RowError(f"grade: {grade!r} is not one of A, B, C")
            fields[key] = grade
        elif key == "credit_limit":
            limit = _decimal(row, key)
            if limit is not None and limit < 0:
                raise RowError("credit_limit: must not be negative")
            fields[key] = limit
        elif key == "credit_currency":
            fields[key] = _currency(row, key)
        elif key in ("payment_term_days", "visit_every_days", "contact_every_days"):
            days = _decimal(row, key)
            if days is None or days != days.to_integral_value() or days < 0:
                raise RowError(f"{key}: must be a whole number of days")
            if days > MAX_TERM_DAYS:
                raise RowError(f"{key}: at most {MAX_TERM_DAYS} days")
            if key != "payment_term_days" and not 1 <= days <= 730:
                raise RowError(f"{key}: between 1 and 730 days")
            fields[key] = int(days)
        else:
            fields[key] = _text(row, key, required=False)
    return CustomerRecord(code=code, name=name, sales_rep_telegram_id=rep_id, fields=fields)


def parse_order_row(row: Mapping[str, Any]) -> OrderRecord:
    """Validate one order row."""
    status_text = _text(row, "status").lower()
    try:
        status = OrderStatus(status_text)
    except ValueError:
        allowed = ", ".join(s.value for s in OrderStatus)
        raise RowError(f"status: {status_text!r} is not one of {allowed}") from None
    quantity = _decimal(row, "quantity")
    unit_price = _decimal(row, "unit_price")
    assert quantity is not None and unit_price is not None
    if quantity <= 0:
        raise RowError("quantity: must be positive")
    if unit_price < 0:
        raise RowError("unit_price: must not be negative")
    return OrderRecord(
        order_no=_text(row, "order_no"),
        customer_code=_text(row, "customer_code"),
        order_date=_date(row, "order_date"),  # type: ignore[arg-type]
        product=_text(row, "product"),
        quantity=quantity,
        unit_price=unit_price,
        currency=_currency(row, "currency"),
        delivery_date=_date(row, "delivery_date", required=False),
        delivery_place=_text(row, "delivery_place", required=False),
        status=status,
        spec=_text(row, "spec", required=False),
        unit=_text(row, "unit", required=False),
        payment_terms=_text(row, "payment_terms", required=False),
        expected_delivery=_date(row, "expected_delivery", required=False),
    )


def parse_amount(text: str, msgid: str) -> Decimal:
    """An amount as typed in chat (500000, 500,000, 500 000 or 500000.00): not negative, two
    decimals; `msgid` says what was expected when it is not one."""
    from domain.errors import DomainError

    cleaned = (text or "").replace(",", "").replace(" ", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(msgid, example="500000") from None
    # Under 10^12: amounts are kept as NUMERIC(14, 2), and PostgreSQL refuses more.
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise DomainError(msgid, example="500000")
    return value.quantize(Decimal("0.01"))
