"""Stable enums of the policy: roles, order statuses, grades, locales."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A staff role (POLICY.md, Roles)."""

    SALES = "sales"
    SALES_HEAD = "sales_head"
    MARKET = "market"
    FINANCE = "finance"
    LEGAL = "legal"
    EXECUTIVE = "executive"
    SERVICE = "service"
    SERVICE_LEAD = "service_lead"
    ADMIN = "admin"


class OrderStatus(StrEnum):
    """Where an order stands (ORD-1..ORD-4)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    IN_PRODUCTION = "in_production"
    QUALITY_CHECK = "quality_check"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Grade(StrEnum):
    """Customer grade from the yearly evaluation (GRD-3)."""

    A = "A"
    B = "B"
    C = "C"


class Locale(StrEnum):
    """A locale the bot speaks; values are the gettext catalog names."""

    ZH_HANT = "zh_Hant"
    ZH_HANS = "zh_Hans"
    EN = "en"


class LocaleSource(StrEnum):
    """Where a user's stored locale came from, in order of authority."""

    EXPLICIT = "explicit"
    TELEGRAM = "telegram"
    DETECTED = "detected"


def parse_roles(text: str) -> list[Role]:
    """Parse a comma-separated role list, raising ValueError naming the bad role."""
    roles: list[Role] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        try:
            role = Role(name)
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {name!r} (allowed: {allowed})") from None
        if role not in roles:
            roles.append(role)
    if not roles:
        raise ValueError("at least one role is required")
    return roles
