"""Linking and locale resolution against in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from domain.enums import LocaleSource, Role
from domain.errors import AccessDenied, InviteInvalid, NotFound
from services import identity
from services.cards import Actor
from tests.services.fakes import FakeStore, FakeUnitOfWork

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.customers[1] = SimpleNamespace(id=1, code="ACME", name="Acme", owner_id=10)
    s.customers[2] = SimpleNamespace(id=2, code="GLOBEX", name="Globex", owner_id=11)
    s.staff[10] = SimpleNamespace(id=10, telegram_id=9101, name="Wang", active=True,
                                  roles=[SimpleNamespace(role=Role.SALES)])
    return s


def uow(store: FakeStore) -> Any:
    return FakeUnitOfWork(store)


def person(tid: int = 7001, locale: str = "en") -> Actor:
    return Actor(telegram_id=tid, locale=locale)


async def test_an_invite_links_once_and_is_audited(store: FakeStore) -> None:
    card = await identity.create_invite(uow(store), "ACME", actor=None, now=NOW, expiry_days=7)
    assert card.token not in {i.token_hash for i in store.invites.values()}  # only the hash
    linked = await identity.link_contact(uow(store), card.token, actor=person(), name="Chen",
                                         now=NOW)
    assert linked.customer_name == "Acme" and store.contacts[7001].customer_id == 1
    with pytest.raises(InviteInvalid, match="already been used"):
        await identity.link_contact(uow(store), card.token, actor=person(7002), name="X",
                                    now=NOW)
    again = await identity.link_contact(uow(store), card.token, actor=person(), name="Chen",
                                        now=NOW)
    assert again.already_linked
    assert [a.action for a in store.audit] == ["invite.created", "contact.linked",
                                               "invite.reused"]


async def test_expired_and_unknown_tokens(store: FakeStore) -> None:
    card = await identity.create_invite(uow(store), "ACME", actor=None, now=NOW, expiry_days=1)
    with pytest.raises(InviteInvalid, match="expired"):
        await identity.link_contact(uow(store), card.token, actor=person(), name="C",
                                    now=NOW + timedelta(days=1))
    with pytest.raises(InviteInvalid, match="not valid"):
        await identity.link_contact(uow(store), "nope", actor=person(), name="C", now=NOW)
    assert store.contacts == {}


async def test_a_contact_of_one_company_cannot_join_another(store: FakeStore) -> None:
    a = await identity.create_invite(uow(store), "ACME", actor=None, now=NOW, expiry_days=7)
    g = await identity.create_invite(uow(store), "GLOBEX", actor=None, now=NOW, expiry_days=7)
    await identity.link_contact(uow(store), a.token, actor=person(), name="C", now=NOW)
    with pytest.raises(InviteInvalid, match="already linked to Acme"):
        await identity.link_contact(uow(store), g.token, actor=person(), name="C", now=NOW)
    assert store.invites[2].used_at is None  # the other invite is still usable


async def test_sales_invite_only_their_own_customers(store: FakeStore) -> None:
    wang = Actor(telegram_id=9101, locale="zh_Hans", roles=frozenset({Role.SALES}), staff_id=10)
    assert (await identity.create_invite(uow(store), "ACME", actor=wang, now=NOW,
                                         expiry_days=7)).customer_code == "ACME"
    with pytest.raises(AccessDenied):
        await identity.create_invite(uow(store), "GLOBEX", actor=wang, now=NOW, expiry_days=7)
    with pytest.raises(NotFound):
        await identity.create_invite(uow(store), "NOPE", actor=wang, now=NOW, expiry_days=7)
    assert store.audit[-1].action == "invite.denied"


async def test_detected_locale_is_stored_once_and_explicit_wins(store: FakeStore) -> None:
    calls: list[str] = []

    def detect() -> str | None:
        calls.append("x")
        return "zh_Hant"

    actor = await identity.resolve_actor(uow(store), 5, telegram_locale=None, detect=detect,
                                         default_locale="en", now=NOW)
    assert actor.locale == "zh_Hant" and store.prefs[5].locale_source is LocaleSource.DETECTED
    actor = await identity.resolve_actor(uow(store), 5, telegram_locale="en", detect=detect,
                                         default_locale="en", now=NOW)
    assert actor.locale == "zh_Hant" and calls == ["x"]  # stored outranks Telegram's code
    actor = await identity.set_locale(uow(store), actor, "en", now=NOW)
    actor = await identity.resolve_actor(uow(store), 5, telegram_locale="zh_Hans", detect=detect,
                                         default_locale="zh_Hans", now=NOW)
    assert actor.locale == "en"
