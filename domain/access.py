"""Who may see and do what: pure predicates over roles (INFO-6, R18)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.enums import Role

# Staff who handle any customer's orders: service answers them, finance settles them,
# heads and executives oversee them (SVC-1, ORD-5).
ORDER_WIDE_ROLES = frozenset(
    {Role.SALES_HEAD, Role.EXECUTIVE, Role.ADMIN, Role.SERVICE, Role.SERVICE_LEAD, Role.FINANCE}
)
INVITE_WIDE_ROLES = frozenset({Role.SALES_HEAD, Role.ADMIN})


def sees_all_orders(roles: Iterable[Role]) -> bool:
    """Tell whether these roles see every customer's orders."""
    return bool(ORDER_WIDE_ROLES.intersection(roles))


def sees_owned_orders(roles: Iterable[Role]) -> bool:
    """Tell whether these roles see the orders of the customers they own."""
    return Role.SALES in set(roles)


def may_invite(roles: Iterable[Role], *, owns_customer: bool) -> bool:
    """Tell whether a staff member may invite contacts of a customer."""
    roles = set(roles)
    if INVITE_WIDE_ROLES.intersection(roles):
        return True
    return Role.SALES in roles and owns_customer
