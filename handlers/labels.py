"""Translatable labels for enums: labels come from the catalog, never the enum value."""

from __future__ import annotations

from domain.enums import Locale, OrderStatus, Role
from domain.errors import N_

STATUS = {
    OrderStatus.PENDING: N_("Pending"),
    OrderStatus.CONFIRMED: N_("Confirmed"),
    OrderStatus.IN_PRODUCTION: N_("In production"),
    OrderStatus.QUALITY_CHECK: N_("Quality check"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.DELIVERED: N_("Delivered"),
    OrderStatus.ACCEPTED: N_("Accepted"),
    OrderStatus.REJECTED: N_("Rejected at acceptance"),
    OrderStatus.CANCELLED: N_("Cancelled"),
}

ROLE = {
    Role.SALES: N_("Sales"),
    Role.SALES_HEAD: N_("Sales head"),
    Role.MARKET: N_("Market"),
    Role.FINANCE: N_("Finance"),
    Role.LEGAL: N_("Legal"),
    Role.EXECUTIVE: N_("Executive"),
    Role.SERVICE: N_("Customer service"),
    Role.SERVICE_LEAD: N_("Customer service lead"),
    Role.ADMIN: N_("Administrator"),
}

# Each language names itself, so a user lost in the wrong one can find theirs.
LANGUAGE_NAME = {
    Locale.ZH_HANT.value: "繁體中文",
    Locale.ZH_HANS.value: "简体中文",
    Locale.EN.value: "English",
}
