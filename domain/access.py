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
# Who works every prospect, whoever was given it (DEV-1); a sales rep works their own.
PROSPECT_WIDE_ROLES = frozenset({Role.SALES_HEAD, Role.ADMIN})


def owns(staff_id: int | None, owner_id: int | None) -> bool:
    """Tell whether this member of staff owns the record; nobody owns an unowned one.

    Comparing the ids alone would make a non-staff user (no staff id) the "owner" of every
    record without an owner (None == None).
    """
    return staff_id is not None and owner_id == staff_id


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


def may_work_prospect(roles: Iterable[Role], *, owns_prospect: bool) -> bool:
    """Tell whether a staff member may see and work a prospect (DEV-1, DEV-2)."""
    return owns_prospect or bool(PROSPECT_WIDE_ROLES.intersection(roles))
