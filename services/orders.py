"""Order status for contacts and staff (ORD-2), with R18's uniform "not found"."""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import TYPE_CHECKING

from domain.access import sees_all_orders, sees_owned_orders
from domain.errors import N_, NotFound
from domain.orders import order_total
from services.audit import audit
from services.cards import Actor, OrderCard, OrderLine, OrderPage, StatusStep
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.repositories import OrderView as Order

ORDER_NOT_FOUND = N_("Order {number} was not found.")


def _scope(actor: Actor) -> dict[str, int] | None:
    """Return the filter an actor's order views are limited to, or None for no access."""
    if actor.is_staff and sees_all_orders(actor.roles):
        return {}
    if actor.is_staff and sees_owned_orders(actor.roles) and actor.staff_id is not None:
        return {"owner_id": actor.staff_id}
    if actor.customer_id is not None:
        return {"customer_id": actor.customer_id}
    return None


def _visible(actor: Actor, order: Order) -> bool:
    scope = _scope(actor)
    if scope is None:
        return False
    if "customer_id" in scope:
        return order.customer_id == scope["customer_id"]
    if "owner_id" in scope:
        return order.customer.owner_id == scope["owner_id"]
    return True


async def list_orders(
    uow: UnitOfWork, actor: Actor, *, page: int = 1, page_size: int = 5
) -> OrderPage:
    """Return one page of the orders the actor may see, newest order date first."""
    scope = _scope(actor)
    if scope is None:
        return OrderPage(items=(), page=1, pages=1, total=0)
    async with uow:
        page = max(page, 1)
        orders, total = await uow.orders.page(
            offset=(page - 1) * page_size, limit=page_size, **scope
        )
        pages = max(ceil(total / page_size), 1)
        if page > pages and total:
            page = pages
            orders, total = await uow.orders.page(
                offset=(page - 1) * page_size, limit=page_size, **scope
            )
        items = tuple(
            OrderLine(
                order_id=o.id,
                order_no=o.order_no,
                order_date=o.order_date,
                product=o.product,
                status=o.status,
                customer_name=o.customer.name,
            )
            for o in orders
        )
        return OrderPage(items=items, page=page, pages=pages, total=total)


async def show_order(
    uow: UnitOfWork,
    actor: Actor,
    *,
    now: datetime,
    order_no: str | None = None,
    order_id: int | None = None,
) -> OrderCard:
    """Return the order card, or raise the same NotFound for foreign and unknown orders."""
    asked = (order_no or "").strip() or str(order_id)
    async with uow:
        if order_no is not None:
            order = await uow.orders.view(order_no=order_no.strip())
        elif order_id is not None:
            order = await uow.orders.view(order_id=order_id)
        else:
            order = None
        if order is None or not _visible(actor, order):
            # R18: the same answer for someone else's order and a missing one; audit both.
            audit(
                uow, now=now, action="order.denied", target_type="order",
                target_id=asked[:200], actor=actor,
                after={"exists": order is not None},
            )
            await uow.commit()
            raise NotFound(ORDER_NOT_FOUND, number=asked[:64]).mark_audited()
        return OrderCard(
            order_id=order.id,
            order_no=order.order_no,
            customer_code=order.customer.code,
            customer_name=order.customer.name,
            order_date=order.order_date,
            product=order.product,
            spec=order.spec,
            quantity=order.quantity,
            unit=order.unit,
            unit_price=order.unit_price,
            total=order_total(order.quantity, order.unit_price),
            currency=order.currency,
            delivery_date=order.delivery_date,
            delivery_place=order.delivery_place,
            payment_terms=order.payment_terms,
            expected_delivery=order.expected_delivery,
            status=order.status,
            history=tuple(StatusStep(h.status, h.changed_at) for h in order.history),
        )
