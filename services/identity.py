"""Who is talking, in which language, and linking Telegram users to customers (invites)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from domain.access import may_invite, owns
from domain.enums import Locale, LocaleSource
from domain.errors import N_, AccessDenied, InviteInvalid, NotFound
from domain.locale import choose_locale
from services.audit import audit
from services.cards import Actor, InviteCard, LinkCard
from services.dialogs import state_of
from services.ports import UnitOfWork


def hash_token(token: str) -> str:
    """Hash an invite token; only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


async def resolve_actor(
    uow: UnitOfWork,
    telegram_id: int,
    *,
    telegram_locale: str | None,
    detect: Callable[[], str | None],
    default_locale: str,
    now: datetime,
    update_id: int | None = None,
) -> Actor:
    """Find the staff member or contact behind a Telegram user and pick their locale."""
    async with uow:
        who = await uow.identity.snapshot(telegram_id)
        source = who.pref_source
        explicit = who.pref_locale if source == LocaleSource.EXPLICIT else None
        detected = who.pref_locale if source == LocaleSource.DETECTED else None
        remembered = who.pref_locale if source == LocaleSource.TELEGRAM else None
        is_staff = who.staff_id is not None and who.staff_active
        # The language the operator set for a member of staff outranks a guess from their
        # texts; their own /language choice still outranks it.
        set_by_operator = who.staff_locale if is_staff else None
        locale, to_store = choose_locale(
            explicit=explicit,
            stored=set_by_operator or detected or who.contact_locale,
            telegram=telegram_locale or remembered,
            detect=detect,
            default=default_locale,
        )
        changed = False
        if to_store is None and telegram_locale == locale and remembered != locale \
                and explicit is None:
            # Remember Telegram's language too, for messages sent outside an update.
            to_store = LocaleSource.TELEGRAM
        if to_store is not None:
            await uow.prefs.set_locale(telegram_id, locale, to_store, now)
            changed = True
        if who.contact_unreachable:
            contact = await uow.contacts.get_by_telegram_id(telegram_id)
            if contact is not None:
                contact.unreachable = False  # they wrote to us, so they unblocked the bot
                changed = True
        if changed:
            await uow.commit()
        # A removed member of staff (inactive) is nobody's staff from this update on.
        return Actor(
            telegram_id=telegram_id,
            locale=locale,
            roles=frozenset(who.roles) if is_staff else frozenset(),
            staff_id=who.staff_id if is_staff else None,
            staff_name=who.staff_name if is_staff else None,
            contact_id=who.contact_id,
            customer_id=who.customer_id,
            customer_name=who.customer_name,
            commands_key=who.commands_key,
            update_id=update_id,
            dialog=state_of(who.dialog),
        )


async def set_locale(uow: UnitOfWork, actor: Actor, locale: str, *, now: datetime) -> Actor:
    """Store the user's explicit language choice; it outranks everything else."""
    Locale(locale)  # raises ValueError on anything we do not speak
    async with uow:
        await uow.prefs.set_locale(actor.telegram_id, locale, LocaleSource.EXPLICIT, now)
        if actor.contact_id is not None:
            contact = await uow.contacts.get_by_telegram_id(actor.telegram_id)
            if contact is not None:
                contact.locale = locale
        await uow.commit()
    return replace(actor, locale=locale)


async def remember_commands(uow: UnitOfWork, actor: Actor, key: str, *, now: datetime) -> None:
    """Record which command menu this chat now has, so it is set only on change."""
    async with uow:
        await uow.prefs.set_commands_key(actor.telegram_id, key, now)
        await uow.commit()


async def create_invite(
    uow: UnitOfWork,
    customer_code: str,
    *,
    actor: Actor | None,
    now: datetime,
    expiry_days: int,
) -> InviteCard:
    """Make a one-time invite for a customer's contacts; `actor` None means the operator CLI."""
    async with uow:
        customer = await uow.customers.get_by_code(customer_code.strip())
        if actor is not None:
            mine = customer is not None and owns(actor.staff_id, customer.owner_id)
            if not actor.is_staff or not may_invite(actor.roles, owns_customer=mine):
                if customer is None or not actor.is_staff:
                    raise NotFound(N_("No customer with code {code}."), code=customer_code)
                audit(
                    uow, now=now, action="invite.denied", target_type="customer",
                    target_id=customer.code, actor=actor,
                )
                await uow.commit()
                raise AccessDenied(
                    N_("Only the customer's own sales rep can invite its contacts.")
                ).mark_audited()
        if customer is None:
            raise NotFound(N_("No customer with code {code}."), code=customer_code)
        token = secrets.token_urlsafe(24)
        expires_at = now + timedelta(days=expiry_days)
        uow.invites.add(
            customer_id=customer.id,
            token_hash=hash_token(token),
            created_by_id=actor.staff_id if actor else None,
            created_at=now,
            expires_at=expires_at,
        )
        audit(
            uow, now=now, action="invite.created", target_type="customer",
            target_id=customer.code, actor=actor, actor_label="cli",
            after={"expires_at": expires_at.isoformat()},
        )
        await uow.commit()
        return InviteCard(
            customer_code=customer.code,
            customer_name=customer.name,
            token=token,
            expires_at=expires_at,
        )


async def link_contact(
    uow: UnitOfWork,
    token: str,
    *,
    actor: Actor,
    name: str,
    now: datetime,
) -> LinkCard:
    """Link the Telegram user to the invite's customer, consuming the invite once."""
    async with uow:
        invite = await uow.invites.get_by_hash(hash_token(token.strip()))
        if invite is None:
            audit(uow, now=now, action="invite.unknown", target_type="invite", target_id="?",
                  actor=actor)
            await uow.commit()
            raise InviteInvalid(N_("This invite link is not valid. "
                                   "Ask your sales contact for a new one."))
        existing = await uow.contacts.get_by_telegram_id(actor.telegram_id)
        if existing is not None:
            if existing.customer_id == invite.customer_id:
                return LinkCard(existing.customer.code, existing.customer.name,
                                already_linked=True)
            raise InviteInvalid(
                N_("Your Telegram account is already linked to {company}. "
                   "Ask your sales contact if this should change."),
                company=existing.customer.name,
            )
        if invite.used_at is not None:
            audit(uow, now=now, action="invite.reused", target_type="invite",
                  target_id=invite.id, actor=actor)
            await uow.commit()
            raise InviteInvalid(N_("This invite link has already been used. "
                                   "Ask your sales contact for a new one."))
        if invite.expires_at <= now:
            audit(uow, now=now, action="invite.expired", target_type="invite",
                  target_id=invite.id, actor=actor)
            await uow.commit()
            raise InviteInvalid(N_("This invite link has expired. "
                                   "Ask your sales contact for a new one."))
        if not await uow.invites.claim(invite.id, actor.telegram_id, now):
            raise InviteInvalid(N_("This invite link has already been used. "
                                   "Ask your sales contact for a new one."))
        customer = await uow.customers.get(invite.customer_id)
        contact = uow.contacts.add(
            customer_id=customer.id,
            telegram_id=actor.telegram_id,
            name=name[:200],
            locale=actor.locale,
            unreachable=False,
            linked_at=now,
        )
        await uow.flush()
        audit(uow, now=now, action="contact.linked", target_type="customer",
              target_id=customer.code, actor=actor,
              after={"contact_id": contact.id, "invite_id": invite.id})
        await uow.commit()
        return LinkCard(customer.code, customer.name)
