"""Small frozen results that services hand to handlers (no ORM objects leave services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.enums import OrderStatus, Role


@dataclass(frozen=True)
class Actor:
    """Who is talking to the bot, resolved once per update."""

    telegram_id: int
    locale: str
    roles: frozenset[Role] = frozenset()
    staff_id: int | None = None
    staff_name: str | None = None
    contact_id: int | None = None
    customer_id: int | None = None
    customer_name: str | None = None
    commands_key: str | None = None
    update_id: int | None = None
    dialog: Any = None  # services.dialogs.DialogState of the dialog the user is in, if any

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None

    @property
    def is_contact(self) -> bool:
        return self.contact_id is not None

    @property
    def label(self) -> str:
        """Describe the actor for the audit log."""
        if self.staff_id is not None:
            return f"staff:{self.staff_id}"
        if self.contact_id is not None:
            return f"contact:{self.contact_id}"
        return f"telegram:{self.telegram_id}"


@dataclass(frozen=True)
class InviteCard:
    """A freshly made invite; the token is shown once and never stored in clear."""

    customer_code: str
    customer_name: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkCard:
    """The result of linking a Telegram user to a customer."""

    customer_code: str
    customer_name: str
    already_linked: bool = False


@dataclass(frozen=True)
class StatusStep:
    """One step of an order's status history."""

    status: OrderStatus
    at: datetime


@dataclass(frozen=True)
class OrderLine:
    """An order as a list row."""

    order_id: int
    order_no: str
    order_date: date
    product: str
    status: OrderStatus
    customer_name: str


@dataclass(frozen=True)
class OrderPage:
    """One page of a list of orders."""

    items: tuple[OrderLine, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class OrderCard:
    """Everything the order card shows (ORD-1, ORD-2)."""

    order_id: int
    order_no: str
    customer_code: str
    customer_name: str
    order_date: date
    product: str
    spec: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    total: Decimal
    currency: str
    delivery_date: date | None
    delivery_place: str
    payment_terms: str
    expected_delivery: date | None
    status: OrderStatus
    history: tuple[StatusStep, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StaffCard:
    """A staff member: after an add, a role change or a removal, or as listed."""

    staff_id: int
    telegram_id: int
    name: str
    roles: tuple[Role, ...]
    created: bool = False
    locale: str | None = None
    active: bool = True


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    created: int
    updated: int
    unchanged: int = 0
