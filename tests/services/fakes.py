"""Plain in-memory stand-ins for the unit of work: they record, they do not mock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from domain.enums import LocaleSource
from storage.repositories import IdentityRow


@dataclass
class FakeStore:
    staff: dict[int, Any] = field(default_factory=dict)
    customers: dict[int, Any] = field(default_factory=dict)
    contacts: dict[int, Any] = field(default_factory=dict)
    invites: dict[int, Any] = field(default_factory=dict)
    prefs: dict[int, Any] = field(default_factory=dict)
    audit: list[Any] = field(default_factory=list)
    commits: int = 0


class _Repo:
    def __init__(self, store: FakeStore) -> None:
        self.store = store


class FakeStaff(_Repo):
    async def get_by_telegram_id(self, telegram_id: int) -> Any:
        return next((s for s in self.store.staff.values() if s.telegram_id == telegram_id), None)


class FakeCustomers(_Repo):
    async def get(self, customer_id: int) -> Any:
        return self.store.customers[customer_id]

    async def get_by_code(self, code: str) -> Any:
        return next((c for c in self.store.customers.values() if c.code == code), None)


class FakeContacts(_Repo):
    async def get_by_telegram_id(self, telegram_id: int) -> Any:
        return self.store.contacts.get(telegram_id)

    def add(self, **fields: Any) -> Any:
        contact = SimpleNamespace(id=len(self.store.contacts) + 1, **fields)
        contact.customer = self.store.customers[fields["customer_id"]]
        self.store.contacts[fields["telegram_id"]] = contact
        return contact


class FakeInvites(_Repo):
    async def get_by_hash(self, token_hash: str) -> Any:
        return next((i for i in self.store.invites.values() if i.token_hash == token_hash), None)

    async def claim(self, invite_id: int, telegram_id: int, now: datetime) -> bool:
        invite = self.store.invites[invite_id]
        if invite.used_at is not None:
            return False
        invite.used_at, invite.used_by_telegram_id = now, telegram_id
        return True

    def add(self, **fields: Any) -> Any:
        invite = SimpleNamespace(id=len(self.store.invites) + 1, used_at=None,
                                 used_by_telegram_id=None, **fields)
        self.store.invites[invite.id] = invite
        return invite


class FakePrefs(_Repo):
    async def get(self, telegram_id: int) -> Any:
        return self.store.prefs.get(telegram_id)

    async def set_locale(self, telegram_id: int, locale: str, source: LocaleSource,
                         now: datetime) -> Any:
        pref = self.store.prefs.setdefault(
            telegram_id, SimpleNamespace(telegram_id=telegram_id, commands_key=None))
        pref.locale, pref.locale_source, pref.updated_at = locale, source, now
        return pref


class FakeAudit(_Repo):
    def add(self, **fields: Any) -> Any:
        entry = SimpleNamespace(**fields)
        self.store.audit.append(entry)
        return entry


class FakeDialogs(_Repo):
    async def get(self, telegram_id: int) -> Any:
        return None


class FakeIdentity(_Repo):
    async def snapshot(self, telegram_id: int) -> IdentityRow:
        staff = next((s for s in self.store.staff.values() if s.telegram_id == telegram_id),
                     None)
        contact = self.store.contacts.get(telegram_id)
        pref = self.store.prefs.get(telegram_id)
        return IdentityRow(
            staff_id=staff.id if staff else None, staff_name=staff.name if staff else None,
            staff_active=bool(staff and staff.active),
            roles=tuple(r.role for r in staff.roles) if staff else (),
            contact_id=contact.id if contact else None,
            customer_id=contact.customer_id if contact else None,
            customer_name=contact.customer.name if contact else None,
            contact_locale=contact.locale if contact else None,
            contact_unreachable=bool(contact and getattr(contact, "unreachable", False)),
            pref_locale=pref.locale if pref else None,
            pref_source=pref.locale_source if pref else None,
            commands_key=pref.commands_key if pref else None, dialog=None,
            staff_locale=getattr(staff, "locale", None) if staff else None)


class FakeUnitOfWork:
    """Changes are visible at once; commits are counted so tests can see the boundary."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.staff = FakeStaff(store)
        self.customers = FakeCustomers(store)
        self.contacts = FakeContacts(store)
        self.invites = FakeInvites(store)
        self.prefs = FakePrefs(store)
        self.audit = FakeAudit(store)
        self.dialogs = FakeDialogs(store)
        self.identity = FakeIdentity(store)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.store.commits += 1

    async def flush(self) -> None:
        return None

    async def rollback(self) -> None:
        return None
