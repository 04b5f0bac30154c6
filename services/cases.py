"""Open and list complaints and inquiries (CMP-1, CMP-2, SVC-3).

`open_case` is the one way a case comes to exist: the customer's chat dialog uses it, and so
will other flows (a failed delivery acceptance opens a complaint, ORD-4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import WorkingCalendar
from domain.cases import (
    Attachment,
    CaseKind,
    CasePolicy,
    CaseStatus,
    Category,
    case_deadlines,
    case_number,
    check_attachment,
    check_description,
)
from domain.enums import Role
from domain.errors import N_, AccessDenied, NotFound
from domain.keys import Recipient, message_key
from services.audit import audit
from services.cards import Actor
from services.case_sla import Desk, schedule_new_case
from services.notify import label, notify, recipient_locale, said_deadline
from services.ports import UnitOfWork

KIND_LABEL = {CaseKind.COMPLAINT: N_("complaint"), CaseKind.INQUIRY: N_("inquiry")}
CATEGORY_LABEL = {
    Category.QUALITY: N_("Quality"),
    Category.DELIVERY: N_("Delivery"),
    Category.QUANTITY: N_("Quantity"),
    Category.DOCUMENTS: N_("Documents and invoices"),
    Category.SERVICE: N_("Service"),
    Category.OTHER: N_("Other"),
}
NEW_CASE = N_("New {kind} {number} from {company}: {category}. Please acknowledge it by "
              "{due}.")
NEW_INQUIRY = N_("New inquiry {number} from {company}: “{summary}”. Please acknowledge it "
                 "by {due}.")
URGENT_INQUIRY = N_("URGENT inquiry {number} from {company}: “{summary}”. The emergency "
                    "procedure applies: please act now.")
SUMMARY_CHARS = 80  # of the description, in a new inquiry's notice to staff
URGENT_CASE = N_("URGENT {kind} {number} from {company}: {category}. The emergency procedure "
                 "applies: please act now.")


@dataclass(frozen=True)
class CaseCard:
    """A case as its filer and staff see it."""

    case_id: int
    number: str
    kind: CaseKind
    category: Category | None
    status: CaseStatus
    urgent: bool
    order_no: str | None
    description: str
    attachments: int
    opened_at: datetime
    ack_due_at: datetime
    resolve_due_at: datetime


async def open_case(
    uow: UnitOfWork,
    *,
    customer_id: int,
    contact_id: int | None,
    kind: CaseKind,
    category: Category | None,
    order_id: int | None,
    description: str,
    urgent: bool,
    attachments: Sequence[Attachment],
    now: datetime,
    calendar: WorkingCalendar,
    policy: CasePolicy,
    default_locale: str,
    actor_label: str,
) -> CaseCard:
    """Record a case with its deadlines and tell customer service, in the caller's transaction.

    The caller commits; an urgent case alerts the service lead and the executive at once (the
    emergency procedure of SVC-3).
    """
    description = check_description(description)
    for index, attachment in enumerate(attachments):
        check_attachment(attachment, index)
    customer = await uow.customers.get(customer_id)
    order_no = None
    if order_id is not None:
        order = await uow.orders.view(order_id=order_id)
        if order is None or order.customer_id != customer_id:
            raise NotFound(N_("That order was not found."))
        order_no = order.order_no
    due = case_deadlines(kind, now, calendar, ack_days=policy.ack_days,
                         answer_days=policy.answer_days, solution_days=policy.solution_days)
    case = uow.cases.add(
        kind=kind, customer_id=customer_id, contact_id=contact_id, category=category,
        order_id=order_id, description=description, urgent=urgent, status=CaseStatus.OPEN,
        opened_at=now, ack_due_at=due.ack_due, resolve_due_at=due.resolve_due,
        escalation_level=0, updated_at=now,
    )
    await uow.flush()
    case.number = case_number(kind, case.id)
    await schedule_new_case(uow, case, now, Desk(calendar, policy, default_locale),
                            actor_label=actor_label)
    for attachment in attachments:
        uow.cases.add_attachment(
            case.id, kind=attachment.kind, file_id=attachment.file_id,
            file_unique_id=attachment.file_unique_id, file_name=attachment.file_name[:300],
            mime_type=attachment.mime_type[:100], size=attachment.size)
    audit(uow, now=now, action="case.opened", target_type="case", target_id=case.number,
          actor_label=actor_label,
          after={"kind": kind.value, "category": category.value if category else None,
                 "urgent": urgent, "order": order_no, "attachments": len(attachments)})
    params = {
        "kind": label(KIND_LABEL[kind]), "number": case.number, "company": customer.name,
        "category": label(CATEGORY_LABEL[category] if category else KIND_LABEL[kind]),
        "due": said_deadline(due.ack_due, calendar, policy.business_hours),
        # An inquiry has no category: staff read what it asks, not "inquiry" twice.
        "summary": description if len(description) <= SUMMARY_CHARS
        else description[:SUMMARY_CHARS - 1].rstrip() + "…",
    }
    inquiry = kind == CaseKind.INQUIRY
    roles = [Role.SERVICE, Role.SERVICE_LEAD]
    for staff in await uow.staff.with_roles(roles):
        await notify(uow, key=message_key(f"case:{case.id}:new", Recipient.STAFF, staff.id),
                     chat_id=staff.telegram_id,
                     locale=await recipient_locale(uow, staff.telegram_id, default_locale),
                     msgid=NEW_INQUIRY if inquiry else NEW_CASE, now=now, params=params)
    if urgent:
        for staff in await uow.staff.with_roles([Role.SERVICE_LEAD, Role.EXECUTIVE]):
            await notify(uow, key=message_key(f"case:{case.id}:urgent", Recipient.STAFF,
                                              staff.id),
                         chat_id=staff.telegram_id, now=now, params=params,
                         msgid=URGENT_INQUIRY if inquiry else URGENT_CASE,
                         locale=await recipient_locale(uow, staff.telegram_id,
                                                       default_locale))
    return CaseCard(case.id, case.number, kind, category, CaseStatus.OPEN, urgent, order_no,
                    description, len(attachments), now, due.ack_due, due.resolve_due)


async def file_case(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: CaseKind,
    category: Category | None,
    order_id: int | None,
    description: str,
    urgent: bool,
    attachments: Sequence[Attachment],
    now: datetime,
    calendar: WorkingCalendar,
    policy: CasePolicy,
    default_locale: str,
) -> CaseCard:
    """A customer contact files a case from chat; the dialog ends in the same transaction."""
    if actor.customer_id is None or actor.contact_id is None:
        raise AccessDenied(N_("Only linked customer contacts can file complaints and "
                              "inquiries."))
    async with uow:
        card = await open_case(
            uow, customer_id=actor.customer_id, contact_id=actor.contact_id, kind=kind,
            category=category, order_id=order_id, description=description, urgent=urgent,
            attachments=attachments, now=now, calendar=calendar, policy=policy,
            default_locale=default_locale, actor_label=actor.label,
        )
        await uow.dialogs.delete(actor.telegram_id)
        await uow.commit()
        return card


async def list_cases(uow: UnitOfWork, actor: Actor, *, limit: int = 20) -> list[CaseCard]:
    """The customer's own cases, newest first (R18: only their company's)."""
    if actor.customer_id is None:
        return []
    async with uow:
        cases = await uow.cases.for_customer(actor.customer_id, limit=limit)
        return [
            CaseCard(c.id, c.number or "", c.kind, c.category, c.status, c.urgent, None,
                     c.description, 0, c.opened_at, c.ack_due_at, c.resolve_due_at)
            for c in cases
        ]
