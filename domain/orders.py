"""The order lifecycle (ORD-1..ORD-4): which status may follow which."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from domain.enums import OrderStatus as S
from domain.errors import N_, InvalidTransition

# Forward moves only; an ERP may skip steps (confirmed -> shipped), never go back.
_ORDER = [S.PENDING, S.CONFIRMED, S.IN_PRODUCTION, S.QUALITY_CHECK, S.SHIPPED, S.DELIVERED]
FINAL = frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED})


def allowed_next(current: S) -> frozenset[S]:
    """Return the statuses an order in `current` may move to."""
    if current in FINAL:
        return frozenset()
    later = set(_ORDER[_ORDER.index(current) + 1 :])
    if current == S.DELIVERED:
        return frozenset({S.ACCEPTED, S.REJECTED})
    if current in (S.PENDING, S.CONFIRMED, S.IN_PRODUCTION, S.QUALITY_CHECK):
        later.add(S.CANCELLED)
    return frozenset(later)


def transition(current: S, new: S) -> S:
    """Return `new` if the lifecycle allows it, else raise InvalidTransition."""
    if new == current or new in allowed_next(current):
        return new
    raise InvalidTransition(
        N_("An order cannot go from {old} to {new}."), old=current.value, new=new.value
    )


def order_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Return the order total rounded to cents (half up, as invoices do)."""
    return (quantity * unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
