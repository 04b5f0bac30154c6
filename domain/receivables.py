"""Receivables (ORD-5, AR-1, AR-2, RISK-1..RISK-3): invoices, aging, the dunning ladder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.errors import N_
from domain.records import RowError, _currency, _date, _decimal, _text, parse_amount

INVOICE_REQUIRED = ("invoice_no", "customer_code", "order_no", "amount", "currency",
                    "issued_on", "due_on")
PAYMENT_REQUIRED = ("invoice_no", "amount", "paid_on")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class InvoiceRecord:
    invoice_no: str
    customer_code: str
    order_no: str
    amount: Decimal
    currency: str
    issued_on: date
    due_on: date


@dataclass(frozen=True)
class PaymentRecord:
    invoice_no: str
    amount: Decimal
    paid_on: date
    reference: str

    @property
    def key(self) -> tuple[str, date, Decimal, str]:
        return (self.invoice_no, self.paid_on, self.amount, self.reference)


def parse_invoice_row(row: Mapping[str, Any]) -> InvoiceRecord:
    amount = _decimal(row, "amount")
    assert amount is not None
    if amount <= 0:
        raise RowError("amount: must be positive")
    if amount != amount.quantize(CENT):
        raise RowError("amount: at most two decimals")
    issued, due = _date(row, "issued_on"), _date(row, "due_on")
    assert issued is not None and due is not None
    if due < issued:
        raise RowError("due_on: before issued_on")
    return InvoiceRecord(_text(row, "invoice_no"), _text(row, "customer_code"),
                         _text(row, "order_no", required=False), amount,
                         _currency(row, "currency"), issued, due)


def parse_payment_row(row: Mapping[str, Any]) -> PaymentRecord:
    amount = _decimal(row, "amount")
    assert amount is not None
    if amount <= 0:
        raise RowError("amount: must be positive")
    if amount != amount.quantize(CENT):
        raise RowError("amount: at most two decimals")
    paid = _date(row, "paid_on")
    assert paid is not None
    return PaymentRecord(_text(row, "invoice_no"), amount, paid,
                         _text(row, "reference", required=False))


def parse_money(text: str) -> Decimal:
    """An amount as typed in chat: 500000, 500,000 or 500000.00; not negative."""
    return parse_amount(text, N_("Please send the amount as a number, e.g. {example}."))


class Bucket(StrEnum):
    """Aging buckets by days past the due date."""

    NOT_DUE = "not_due"
    D1_30 = "1_30"
    D31_60 = "31_60"
    D61_90 = "61_90"
    OVER_90 = "over_90"


BUCKET_LABEL = {
    Bucket.NOT_DUE: N_("Not due"),
    Bucket.D1_30: N_("1–30 days"),
    Bucket.D31_60: N_("31–60 days"),
    Bucket.D61_90: N_("61–90 days"),
    Bucket.OVER_90: N_("Over 90 days"),
}


def bucket(due_on: date, today: date) -> Bucket:
    days = (today - due_on).days
    if days <= 0:
        return Bucket.NOT_DUE
    if days <= 30:
        return Bucket.D1_30
    if days <= 60:
        return Bucket.D31_60
    if days <= 90:
        return Bucket.D61_90
    return Bucket.OVER_90


class Step(StrEnum):
    """The rungs of the dunning ladder (AR-2), in order."""

    FRIENDLY = "friendly"  # a polite reminder before the due date
    OVERDUE = "overdue"  # first overdue day: the customer, and a nudge to the sales rep
    CALL = "call"  # a call task for the sales rep
    LETTER = "letter"  # a dunning letter (PDF) to the customer, kept
    SUSPEND = "suspend"  # a proposal to suspend supply: finance, then the executive
    LEGAL = "legal"  # a proposal of legal action, to legal


LADDER = (Step.FRIENDLY, Step.OVERDUE, Step.CALL, Step.LETTER, Step.SUSPEND, Step.LEGAL)
DEFAULT_DAYS = (-3, 1, 7, 15, 30, 60)


@dataclass(frozen=True)
class LadderPolicy:
    days: tuple[int, ...] = DEFAULT_DAYS  # days from the due date, one per rung
    business_start: int = 9  # alerts go out on working days within these hours
    business_end: int = 18
    rating_drop_days: int = 30  # an invoice this many days overdue lowers the rating
    ratings: tuple[str, ...] = ("AAA", "AA", "A", "B", "C")
    normal_rating: str = "A"  # a new customer's; the monthly re-check climbs back to it


def current_rung(due_on: date, today: date, days: Sequence[int]) -> int | None:
    """The highest rung whose day has come (index into LADDER), or None before the first."""
    reached = [i for i, d in enumerate(days) if due_on + timedelta(days=d) <= today]
    return reached[-1] if reached else None


def next_rung_day(due_on: date, done: int | None, days: Sequence[int]) -> date | None:
    """The day the rung after `done` falls due; None after the last."""
    index = 0 if done is None else done + 1
    if index >= len(days):
        return None
    return due_on + timedelta(days=days[index])


def lower(rating: str, ratings: Sequence[str]) -> str:
    """One level down, staying at the bottom."""
    index = ratings.index(rating) if rating in ratings else 0
    return ratings[min(index + 1, len(ratings) - 1)]


def raise_one(rating: str, ratings: Sequence[str]) -> str:
    index = ratings.index(rating) if rating in ratings else 0
    return ratings[max(index - 1, 0)]
