"""Queue messages in the outbox, in the same transaction as the change that causes them (R2).

A message is stored as a msgid with typed parameters and the recipient's locale; it is
translated and formatted when the relay sends it, so services never format text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.calendar import WorkingCalendar
from domain.cases import BUSINESS_HOURS, as_said
from domain.enums import LocaleSource, Role
from domain.errors import Plural
from domain.keys import Recipient, message_key
from services.ports import UnitOfWork


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    """A money parameter, formatted for the recipient's locale when sent."""
    return {"money": [str(amount), currency]}


def day(value: date) -> dict[str, Any]:
    return {"date": value.isoformat()}


def moment(value: datetime) -> dict[str, Any]:
    """An instant, shown in the company's time zone when sent."""
    return {"datetime": value.isoformat()}


def said_deadline(due: datetime, calendar: WorkingCalendar,
                  business_hours: tuple[int, int] = BUSINESS_HOURS) -> dict[str, Any]:
    """A deadline as people say it ("Mon, Dec 7, end of the working day"), for a notice."""
    said = as_said(due, calendar, business_hours)
    return {"deadline": [said.day.isoformat(),
                         said.at.strftime("%H:%M") if said.at is not None else None]}


def label(msgid: str) -> dict[str, Any]:
    """A parameter that is itself translated (a status or role label)."""
    return {"label": msgid}


def phrase(msgid: str, **params: Any) -> dict[str, Any]:
    """A parameter that is itself a translated message with typed parameters of its own."""
    return {"message": msgid, "params": params}


async def recipient_locale(uow: UnitOfWork, telegram_id: int, default: str) -> str:
    """The locale to write to someone in outside an update, in the order used within one:
    their own choice, the language the operator set for staff, what else is stored, the
    default."""
    pref = await uow.prefs.get(telegram_id)
    if pref is not None and pref.locale and pref.locale_source == LocaleSource.EXPLICIT:
        return pref.locale
    member = await uow.staff.get_by_telegram_id(telegram_id)
    if member is not None and member.active and member.locale:
        return member.locale
    if pref is not None and pref.locale:
        return pref.locale
    contact = await uow.contacts.get_by_telegram_id(telegram_id)
    if contact is not None and contact.locale:
        return contact.locale
    return default


async def notify(
    uow: UnitOfWork,
    *,
    key: str,
    chat_id: int,
    locale: str,
    msgid: str | Plural,
    now: datetime,
    params: dict[str, Any] | None = None,
    html: bool = False,
    buttons: list[list[dict[str, str]]] | None = None,
    not_before: datetime | None = None,
    lines: list[tuple[str, dict[str, Any]]] | None = None,
) -> bool:
    """Queue one message under an idempotency key (R3); False when the key was used already.

    Build `key` with `domain.keys.message_key`, so it names the recipient (ARCHITECTURE 26).

    `lines` are further (msgid, params) pairs shown as a list under the first line (a digest).
    """
    payload: dict[str, Any] = {"params": params or {}, "locale": locale}
    if isinstance(msgid, Plural):  # the form is picked by params["count"] when sent
        payload["msgid"], payload["plural"] = msgid
    else:
        payload["msgid"] = msgid
    if lines:
        payload["lines"] = [{"msgid": m, "params": p} for m, p in lines]
    if html:
        payload["parse_mode"] = "HTML"
    if buttons:
        payload["buttons"] = buttons
    return await uow.outbox.add(key=key, chat_id=chat_id, payload=payload, now=now,
                                not_before=not_before)


async def tell_staff(uow: UnitOfWork, staff_ids: Iterable[int], subject: str, msgid: str,
                     now: datetime, *, default_locale: str, params: dict[str, Any],
                     buttons: list[list[dict[str, str]]] | None = None) -> None:
    """Queue one message about `subject` to each active member of staff, once each."""
    for staff_id in dict.fromkeys(staff_ids):
        member = await uow.staff.get(staff_id)
        if member.active:
            await notify(uow, key=message_key(subject, Recipient.STAFF, staff_id),
                         chat_id=member.telegram_id,
                         locale=await recipient_locale(uow, member.telegram_id,
                                                       default_locale),
                         msgid=msgid, now=now, params=params, buttons=buttons)


async def role_ids(uow: UnitOfWork, *roles: Role) -> list[int]:
    """The active staff holding any of `roles`."""
    return [s.id for s in await uow.staff.with_roles(list(roles)) if s.active]
