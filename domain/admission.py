"""Customer admission (ADM-1..ADM-4): the application, its review stages and their rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.enums import Role
from domain.errors import N_, DomainError, Np_
from domain.records import parse_amount


class AppStatus(StrEnum):
    IN_REVIEW = "in_review"
    INFO_REQUESTED = "info_requested"  # a reviewer waits for the applicant's answer
    APPROVED = "approved"
    REJECTED = "rejected"


class Stage(StrEnum):
    """The review steps of ADM-3, in order; market, finance and legal run side by side."""

    SALES_HEAD = "sales_head"
    MARKET = "market"
    FINANCE = "finance"
    LEGAL = "legal"
    EXECUTIVE = "executive"


JOINT = (Stage.MARKET, Stage.FINANCE, Stage.LEGAL)
STAGE_ROLE = {
    Stage.SALES_HEAD: Role.SALES_HEAD,
    Stage.MARKET: Role.MARKET,
    Stage.FINANCE: Role.FINANCE,
    Stage.LEGAL: Role.LEGAL,
    Stage.EXECUTIVE: Role.EXECUTIVE,
}


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    INFO = "info"  # ask the applicant for more information


class StepStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    INFO = "info"  # waiting for the applicant; a new step of the same stage follows
    SUPERSEDED = "superseded"  # the application ended elsewhere while this step waited


# ADM-2: the form, in the order the sales rep is asked.
FIELDS = ("company", "legal_rep", "address", "contacts", "scope", "scale", "intent", "volume")
FIELD_LABEL = {
    "company": N_("Company name"),
    "legal_rep": N_("Legal representative"),
    "address": N_("Registered address"),
    "contacts": N_("Contacts (names, phones, e-mail)"),
    "scope": N_("Business scope"),
    "scale": N_("Scale (staff, revenue)"),
    "intent": N_("Cooperation intent"),
    "volume": N_("Expected volume"),
}
# ADM-1: the admission criteria, each answered yes or no on the application.
DECLARATIONS = ("licence", "reputation", "violations", "strength", "rules")
DECLARATION_LABEL = {
    "licence": N_("Holds a lawful business licence"),
    "reputation": N_("Has a good business reputation"),
    "violations": N_("No major violations of law or contract"),
    "strength": N_("Has the financial strength and a real demand"),
    "rules": N_("Accepts our cooperation rules"),
}
# What each reviewer checks (ADM-3).
CHECKLIST = {
    Stage.SALES_HEAD: N_("Check: the form is complete, the demand is real and fits our "
                         "business."),
    Stage.MARKET: N_("Check: the market and industry outlook of the applicant."),
    Stage.FINANCE: N_("Check: the financial state and the ability to pay; propose a credit "
                      "limit and a payment term."),
    Stage.LEGAL: N_("Check: legality (licence, litigation) and compliance with our "
                    "agreements."),
    Stage.EXECUTIVE: N_("Final approval: the joint review is complete."),
}
MAX_FILES = 10
MAX_FIELD = 1000


def check_field(name: str, text: str) -> str:
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError(N_("Please write at least a few characters."))
    if len(text) > MAX_FIELD:
        raise DomainError(Np_("Please keep it under {count} character.",
                                   "Please keep it under {count} characters."), count=MAX_FIELD)
    return text


def parse_credit(text: str) -> Decimal:
    """A credit limit as the finance reviewer types it: 500000, 500,000 or 500000.00."""
    return parse_amount(text, N_("Please send the credit limit as a number, e.g. {example}."))


def parse_term(text: str) -> int:
    """A payment term in days as typed (full-width digits too), from 0 to 365."""
    cleaned = (text or "").strip()
    try:
        days = int(cleaned) if cleaned.isdigit() else -1
    except ValueError:  # digits int() cannot read, such as superscripts
        days = -1
    if not 0 <= days <= 365:
        raise DomainError(N_("Please send the payment term in days, from 0 to 365."))
    return days


def application_number(app_id: int) -> str:
    return f"ADM-{app_id:06d}"


def customer_code(app_id: int) -> str:
    """The code a customer admitted through application `app_id` gets."""
    return f"C{app_id:06d}"


@dataclass(frozen=True)
class AdmissionPolicy:
    review_days: int = 2  # each review step, in working days
    warn_share: float = 0.5
    starting_grade: str = "B"
    currency: str = "CNY"
    business_hours: tuple[int, int] = (9, 18)  # reminders go out within these local hours


def next_stages(stage: Stage, approved_joint: set[Stage]) -> list[Stage]:
    """The stages that open once `stage` approves, given the joint stages already approved."""
    if stage == Stage.SALES_HEAD:
        return list(JOINT)
    if stage in JOINT:
        return [Stage.EXECUTIVE] if approved_joint | {stage} >= set(JOINT) else []
    return []
