"""A contact who blocked the bot (403) is marked unreachable; their sales rep is told once."""

from __future__ import annotations

from datetime import datetime

from domain.errors import N_
from domain.keys import Recipient, message_key
from services.audit import audit
from services.notify import notify, recipient_locale
from services.ports import UnitOfWork

UNREACHABLE = N_("{name} of {company} has blocked the bot, so messages to them are not "
                 "delivered. Please contact them another way.")


async def mark_unreachable(uow: UnitOfWork, chat_id: int, *, now: datetime,
                           default_locale: str) -> bool:
    """Mark the contact behind `chat_id` unreachable; True if this was news."""
    async with uow:
        contact = await uow.contacts.get_by_telegram_id(chat_id)
        if contact is None or contact.unreachable:
            return False
        contact.unreachable = True
        audit(uow, now=now, action="contact.unreachable", target_type="contact",
              target_id=contact.id, actor_label="telegram")
        customer = contact.customer
        if customer.owner_id is not None:
            owner = await uow.staff.get(customer.owner_id)
            # Keyed by day: a contact who blocks the bot again another day is news again.
            await notify(
                uow, key=message_key(f"unreachable:{contact.id}:{now.date().isoformat()}",
                                     Recipient.STAFF, owner.id),
                chat_id=owner.telegram_id,
                locale=await recipient_locale(uow, owner.telegram_id, default_locale),
                msgid=UNREACHABLE, now=now,
                params={"name": contact.name or str(chat_id), "company": customer.name},
            )
        await uow.commit()
        return True


async def mark_reachable(uow: UnitOfWork, chat_id: int) -> None:
    """A contact who writes again has unblocked the bot."""
    async with uow:
        contact = await uow.contacts.get_by_telegram_id(chat_id)
        if contact is not None and contact.unreachable:
            contact.unreachable = False
            await uow.commit()
