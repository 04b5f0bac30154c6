"""The customer file (INFO-1..INFO-7): its field groups, who sees which, dynamic information,
and the consent a disclosure outside the company needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.enums import Role
from domain.errors import N_


class FieldGroup(StrEnum):
    BASIC = "basic"  # INFO-1
    BUSINESS = "business"  # INFO-2
    CREDIT = "credit"  # credit limit, payment term, grade: sensitive (INFO-6)
    DYNAMIC = "dynamic"  # INFO-3


GROUP_FIELDS: dict[FieldGroup, tuple[str, ...]] = {
    FieldGroup.BASIC: ("code", "name", "legal_representative", "registered_address", "phone",
                       "email", "business_scope", "scale"),
    FieldGroup.BUSINESS: ("products", "purchase_volume", "purchase_frequency",
                          "price_expectation", "quality_standards", "delivery_place",
                          "payment_method"),
    FieldGroup.CREDIT: ("grade", "credit_limit", "credit_currency", "payment_term_days"),
}
FIELD_LABEL = {
    "code": N_("Customer code"),
    "name": N_("Company name"),
    "legal_representative": N_("Legal representative"),
    "registered_address": N_("Registered address"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "business_scope": N_("Business scope"),
    "scale": N_("Scale (staff, revenue)"),
    "products": N_("Products and services bought"),
    "purchase_volume": N_("Quantity"),
    "purchase_frequency": N_("Frequency"),
    "price_expectation": N_("Price expectations"),
    "quality_standards": N_("Quality standards"),
    "delivery_place": N_("Delivery place"),
    "payment_method": N_("Payment method"),
    "grade": N_("Grade"),
    "credit_limit": N_("Credit limit"),
    "credit_currency": N_("Currency"),
    "payment_term_days": N_("Payment term (days)"),
}

# INFO-6: sharing by scope. Everyone on staff who works with customers sees the basics; the
# business terms go to sales, market, finance and the heads; credit only to finance, the
# executive and the admin, and to the sales rep who owns the customer.
_SEES = {
    FieldGroup.BASIC: frozenset(Role),
    FieldGroup.BUSINESS: frozenset({Role.SALES_HEAD, Role.MARKET, Role.FINANCE, Role.LEGAL,
                                    Role.EXECUTIVE, Role.ADMIN}),
    FieldGroup.CREDIT: frozenset({Role.FINANCE, Role.EXECUTIVE, Role.ADMIN}),
    FieldGroup.DYNAMIC: frozenset({Role.SALES_HEAD, Role.MARKET, Role.FINANCE, Role.LEGAL,
                                   Role.EXECUTIVE, Role.ADMIN}),
}


def visible_groups(roles: Iterable[Role], *, owns: bool) -> set[FieldGroup]:
    """The field groups of a customer's file these roles may see (INFO-6)."""
    roles = set(roles)
    if not roles:
        return set()
    groups = {g for g, allowed in _SEES.items() if roles & allowed}
    if owns:  # the owning sales rep sees their customer's whole file
        groups |= set(FieldGroup)
    return groups


class InfoKind(StrEnum):
    """Dynamic information (INFO-3)."""

    ORGANISATION = "organisation"
    MANAGEMENT = "management"
    MARKET_SHARE = "market_share"
    DECISION = "decision"
    OTHER = "other"


INFO_KIND_LABEL = {
    InfoKind.ORGANISATION: N_("Organisation change"),
    InfoKind.MANAGEMENT: N_("Management change"),
    InfoKind.MARKET_SHARE: N_("Market share change"),
    InfoKind.DECISION: N_("Major decision"),
    InfoKind.OTHER: N_("Other"),
}
# INFO-5: the departments concerned by a major change of each kind.
CONCERNED = {
    InfoKind.ORGANISATION: (Role.FINANCE, Role.LEGAL, Role.SALES_HEAD),
    InfoKind.MANAGEMENT: (Role.FINANCE, Role.LEGAL, Role.SALES_HEAD),
    InfoKind.MARKET_SHARE: (Role.MARKET, Role.SALES_HEAD),
    InfoKind.DECISION: (Role.MARKET, Role.FINANCE, Role.LEGAL, Role.SALES_HEAD,
                        Role.EXECUTIVE),
    InfoKind.OTHER: (Role.SALES_HEAD,),
}


class ConsentScope(StrEnum):
    """What a customer agreed may be disclosed (INFO-7)."""

    BASIC = "basic"
    BUSINESS = "business"
    CREDIT = "credit"
    ALL = "all"


CONSENT_SCOPE_LABEL = {
    ConsentScope.BASIC: N_("Basic information"),
    ConsentScope.BUSINESS: N_("Business information"),
    ConsentScope.CREDIT: N_("Credit information"),
    ConsentScope.ALL: N_("The whole file"),
}


@dataclass(frozen=True)
class ConsentTerms:
    scope: ConsentScope
    recipient: str
    signed_on: date
    expires_on: date | None
    revoked: bool


def same_recipient(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def covers(consent: ConsentTerms, *, scope: ConsentScope, recipient: str, on: date) -> bool:
    """Tell whether a signed consent allows disclosing `scope` to `recipient` on `on`."""
    if consent.revoked or consent.signed_on > on:
        return False
    if consent.expires_on is not None and on > consent.expires_on:
        return False
    if consent.scope != ConsentScope.ALL and consent.scope != scope:
        return False
    return same_recipient(consent.recipient, recipient)
