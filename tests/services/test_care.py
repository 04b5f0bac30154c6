"""Relationship care over a year with a controlled clock: visits by grade on working days,
moved by early and late visits; one digest a day; greetings once per contact per festival in
their language, never late; birthdays; news and the opt-out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from domain.calendar import WorkingCalendar
from domain.care import DEFAULT_GREETING, CarePolicy, VisitKind, next_visit
from domain.enums import Grade, Role
from domain.errors import AccessDenied, DomainError
from services import care, identity
from services.cards import Actor
from storage.models import OutboxMessage
from tests.support.world import (
    ACME_CHEN,
    ACME_HUANG,
    GLOBEX_JOHN,
    MARKET_MA,
    SALES_HEAD_HAN,
    SALES_WANG,
    invite_token,
    seed,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = WorkingCalendar("CN", "Asia/Shanghai")
CARE = care.Care(CN, "CN", CarePolicy(), "en")
JAN = datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def world(uow_factory, tmp_path):
    await seed(uow_factory, tmp_path, JAN)
    for persona, code in ((ACME_CHEN, "ACME"), (ACME_HUANG, "ACME"), (GLOBEX_JOHN, "GLOBEX")):
        token = await invite_token(uow_factory, code, JAN)
        locale = {"zh-hant": "zh_Hant", "zh-hans": "zh_Hans"}.get(persona.language_code, "en")
        await identity.link_contact(uow_factory(), token,
                                    actor=Actor(telegram_id=persona.id, locale=locale),
                                    name=persona.first_name, now=JAN)
    async with uow_factory() as uow:
        wang = await uow.staff.get_by_telegram_id(SALES_WANG.id)
        globex = await uow.customers.get_by_code("GLOBEX")
        assert wang is not None and globex is not None
        globex.owner_id = wang.id  # one rep with an A (ACME), a B (GLOBEX) and a C customer
        uow.customers.add(code="CEE", name="Cee Co", owner_id=wang.id, grade=Grade.C,
                          created_at=JAN, updated_at=JAN)
        await uow.commit()
    return uow_factory


async def who(world, persona, *roles: Role) -> Actor:
    async with world() as uow:
        member = await uow.staff.get_by_telegram_id(persona.id)
        return Actor(telegram_id=persona.id, locale="en", roles=frozenset(roles),
                     staff_id=member.id, staff_name=member.name)


async def sent(world, chat_id: int) -> list[OutboxMessage]:
    async with world() as uow:
        return list((await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id))).scalars())


async def plan(world) -> dict[str, date | None]:
    async with world() as uow:
        return {code: (await uow.customers.get_by_code(code)).next_visit_on  # type: ignore[union-attr]
                for code in ("ACME", "GLOBEX", "CEE")}


async def test_a_year_of_visits_on_working_days_moved_by_early_and_late_visits(world):
    wang = await who(world, SALES_WANG, Role.SALES)
    assert await care.plan_visits(world(), JAN, CARE) == 3
    first = await plan(world)
    # Created Monday 5 January: A in 30 days (Wed 4 Feb), B in 90 (Mon 6 Apr is a holiday:
    # the 7th), C in 60 (Fri 6 Mar).
    assert first == {"ACME": date(2026, 2, 4), "GLOBEX": date(2026, 4, 7),
                     "CEE": date(2026, 3, 6)}
    logged: list[tuple[str, date, date]] = []
    day = date(2026, 1, 5)
    while day <= date(2026, 12, 31):
        for hour in (8, 10, 15):
            await care.daily_digest(world, at(day, hour), care=CARE)
        due = await plan(world)
        for code, when in due.items():
            assert when is not None and CN.is_working_day(when)  # always a working day
            target = when + timedelta(days={"ACME": 0, "GLOBEX": -2, "CEE": 3}[code])
            step = timedelta(days=-1 if code == "GLOBEX" else 1)  # on time, early, late
            while not CN.is_working_day(target):
                target += step
            if day == target:
                nxt = await care.log_visit(world(), wang, code, kind=VisitKind.PHONE,
                                           outcome="Fine", now=at(day, 11), care=CARE)
                grade = {"ACME": "A", "GLOBEX": "B", "CEE": "C"}[code]
                assert nxt == next_visit(day, grade, CN, CARE.policy)  # from the real visit
                logged.append((code, day, nxt))
        day += timedelta(days=1)
    by_code = {c: [d for code, d, _ in logged if code == c] for c in ("ACME", "GLOBEX", "CEE")}
    assert len(by_code["ACME"]) >= 11 and len(by_code["GLOBEX"]) >= 3
    assert len(by_code["CEE"]) >= 5
    # One digest a working day at most, never on a holiday, and none before opening.
    digests = [m for m in await sent(world, SALES_WANG.id) if m.payload["msgid"] == care.D_TITLE]
    days = [m.idempotency_key.split(":")[1] for m in digests]  # care.digest:<day>:staff:<id>
    assert len(days) == len(set(days))
    assert all(CN.is_working_day(date.fromisoformat(d)) for d in days)
    # The late C visits (three days after due) never reached the sales head's threshold...
    assert not [m for m in await sent(world, SALES_HEAD_HAN.id)
                if any(line["msgid"] == care.D_TEAM_LATE for line in m.payload.get("lines", []))]


async def test_the_digest_gathers_the_days_items_and_escalates_old_ones(world):
    assert await care.plan_visits(world(), JAN, CARE) == 3
    async with world() as uow:
        wang = await uow.staff.get_by_telegram_id(SALES_WANG.id)
        assert wang is not None
        uow.cases.add_task(kind="dunning_call", owner_id=wang.id, customer_id=None,
                           text="INV-1", due_at=at(date(2026, 2, 4), 18), created_at=JAN)
        await uow.commit()
    assert await care.daily_digest(world, at(date(2026, 2, 4)), care=CARE) == 1
    [digest] = [m.payload for m in await sent(world, SALES_WANG.id)]
    lines = [(line["msgid"], line["params"].get("code")) for line in digest["lines"]]
    assert lines == [
        (care.D_VISIT_DUE, "ACME"), (care.D_TASK, None),
        (care.D_CONTACT, "CEE"), (care.D_FILE_MISSING, "CEE"),  # INFO-5: an empty file
        (care.D_CONTACT, "GLOBEX"),  # B: a call a month (SVC-2); 30 days since 5 January
    ]
    assert digest["lines"][3]["params"]["fields"] == {"labels": [
        "Legal representative", "Registered address", "Phone", "Business scope"]}
    assert [b[0]["data"].split(":")[0] for b in digest["buttons"]] == ["vs", "tk"]
    # ACME's visit left undone: after five working days the sales head sees it too.
    await care.daily_digest(world, at(date(2026, 2, 10)), care=CARE)
    assert await sent(world, SALES_HEAD_HAN.id) == []
    await care.daily_digest(world, at(date(2026, 2, 11)), care=CARE)
    [head] = [m.payload for m in await sent(world, SALES_HEAD_HAN.id)]
    assert [line["msgid"] for line in head["lines"]] == [care.D_TEAM_LATE]
    # On Mondays the sales head also sees who has not been contacted in time (SVC-2).
    await care.daily_digest(world, at(date(2026, 3, 2)), care=CARE)  # after Spring Festival
    monday = [m.payload for m in await sent(world, SALES_HEAD_HAN.id)][-1]
    no_contact = {line["params"]["code"] for line in monday["lines"]
                  if line["msgid"] == care.D_TEAM_NO_CONTACT}
    assert no_contact == {"ACME", "GLOBEX", "CEE"}


async def test_greetings_once_per_contact_in_their_language_and_never_late(world):
    ma = await who(world, MARKET_MA, Role.MARKET)
    await care.set_template(world(), ma, "mid_autumn", "zh_Hant", "中秋快樂，{name}！",
                            now=JAN)
    with pytest.raises(DomainError):
        await care.set_template(world(), ma, "mid_autumn", "en", "Hi {nam}", now=JAN)
    with pytest.raises(AccessDenied):
        await care.set_template(world(), await who(world, SALES_WANG, Role.SALES),
                                "mid_autumn", "en", "Hi", now=JAN)
    async with world() as uow:
        john = await uow.contacts.get_by_telegram_id(GLOBEX_JOHN.id)
        assert john is not None
        john.news_opt_out = True  # opted out: gets nothing
        await uow.commit()
    chen_contact = Actor(telegram_id=ACME_CHEN.id, locale="zh_Hant", contact_id=1,
                         customer_id=1)
    assert await care.set_birthday(world(), chen_contact, "1990-09-25", now=JAN) == "09-25"
    festival = date(2026, 9, 25)  # Mid-Autumn Festival
    assert await care.greetings(world, at(festival, 8), care=CARE) == 0  # before opening
    assert await care.greetings(world, at(festival, 10), care=CARE) == 3  # 2 + a birthday
    assert await care.greetings(world, at(festival, 16), care=CARE) == 0  # never twice
    chen = [m.payload for m in await sent(world, ACME_CHEN.id)]
    huang = [m.payload for m in await sent(world, ACME_HUANG.id)]
    assert [(p["msgid"], p["locale"]) for p in chen] == [
        ("中秋快樂，{name}！", "zh_Hant"), (DEFAULT_GREETING["birthday"], "zh_Hant")]
    assert [(p["msgid"], p["locale"]) for p in huang] == [
        (DEFAULT_GREETING["mid_autumn"], "zh_Hans")]
    assert await sent(world, GLOBEX_JOHN.id) == []
    # Down over National Day (1 October): nothing is sent late on the 8th.
    assert await care.greetings(world, at(date(2026, 10, 8), 10), care=CARE) == 0


async def test_news_reaches_the_chosen_grade_in_each_language_until_opt_out(world):
    ma = await who(world, MARKET_MA, Role.MARKET)
    texts = {"zh_Hant": "新品上市", "zh_Hans": "新品上市啦", "en": "New product"}
    assert await care.send_news(world, ma, texts=texts, grades=["A"], now=JAN,
                                care=CARE) == 2  # ACME's two contacts, not Globex (B)
    chen = Actor(telegram_id=ACME_CHEN.id, locale="zh_Hant", contact_id=1, customer_id=1)
    await care.opt_out(world(), chen, now=JAN)
    assert await care.send_news(world, ma, texts=texts, grades=None,
                                now=JAN + timedelta(hours=1), care=CARE) == 2  # Huang, John
    [first] = [m.payload for m in await sent(world, ACME_CHEN.id)]
    assert first["params"]["text"] == "新品上市" and first["buttons"][0][0]["data"] == "nw:off"
    assert [m.payload["params"]["text"] for m in await sent(world, ACME_HUANG.id)] == [
        "新品上市啦", "新品上市啦"]
    with pytest.raises(AccessDenied):
        await care.send_news(world, await who(world, SALES_WANG, Role.SALES), texts=texts,
                             grades=None, now=JAN, care=CARE)


async def test_an_event_invites_a_grade_reminds_those_coming_and_records_attendance(world):
    from bot.sweeps import Sweeps

    ma = await who(world, MARKET_MA, Role.MARKET)
    starts = at(date(2026, 12, 18), 14)
    event_id, invited = await care.announce_event(
        world, ma, title="Galvanising seminar", starts_at=starts, place="Hangzhou",
        grades=["A"], now=JAN, care=CARE)
    assert invited == 2  # ACME's two contacts; Globex is grade B
    assert await sent(world, GLOBEX_JOHN.id) == []
    [invite] = [m.payload for m in await sent(world, ACME_CHEN.id)]
    assert [b["data"] for b in invite["buttons"][0]] == [f"ev:y:{event_id}",
                                                         f"ev:n:{event_id}"]
    chen = Actor(telegram_id=ACME_CHEN.id, locale="zh_Hant", contact_id=1, customer_id=1)
    huang = Actor(telegram_id=ACME_HUANG.id, locale="zh_Hans", contact_id=2, customer_id=1)
    await care.rsvp(world(), chen, event_id, coming=True, now=JAN)
    await care.rsvp(world(), huang, event_id, coming=True, now=JAN)
    await care.rsvp(world(), huang, event_id, coming=False, now=JAN)  # changed their mind
    sweeps = Sweeps(interval=timedelta(minutes=5))

    async def handler(uow, item, now, late):
        await care.on_event_due(uow, item, now, late, care=CARE)

    sweeps.on_due(care.EVENT_KIND, handler)
    await sweeps.sweep_due(world, at(date(2026, 12, 17), 9))  # the day before, at opening
    assert [m.payload["msgid"] for m in await sent(world, ACME_CHEN.id)] == [
        care.E_INVITE, care.E_REMINDER]
    assert [m.payload["msgid"] for m in await sent(world, ACME_HUANG.id)] == [care.E_INVITE]
    [view] = await care.events(world(), ma, now=at(date(2026, 12, 17)))
    [(reply_id, name, _company, coming, attended)] = [r for r in view.replies if r[3]]
    assert (name, coming, attended) == ("Chen", True, None)
    assert await care.mark_attended(world(), ma, reply_id, now=starts) is True
    with pytest.raises(DomainError):  # too late to answer once it started
        await care.rsvp(world(), huang, event_id, coming=True, now=starts)


async def test_c_customers_are_visited_with_a_payment_focus(world):
    from decimal import Decimal

    assert await care.plan_visits(world(), JAN, CARE) == 3
    async with world() as uow:
        cee = await uow.customers.get_by_code("CEE")
        assert cee is not None
        uow.receivables.add_invoice(invoice_no="INV-C1", customer_id=cee.id,
                                    amount=Decimal("900"), paid=Decimal("0"), currency="CNY",
                                    issued_on=date(2026, 1, 5), due_on=date(2026, 2, 5),
                                    status="open", rung=None, next_rung_at=None,
                                    created_at=JAN)
        await uow.commit()
    await care.daily_digest(world, at(date(2026, 3, 4)), care=CARE)  # CEE due Friday 6 March
    [digest] = [m.payload for m in await sent(world, SALES_WANG.id)]
    [line] = [li for li in digest["lines"] if li["params"].get("code") == "CEE"
              and li["msgid"] != care.D_FILE_MISSING]
    assert line["msgid"] == care.D_VISIT_PAYMENTS and line["params"]["overdue"] == 1


async def test_news_and_events_can_go_to_chosen_customers(world):
    ma = await who(world, MARKET_MA, Role.MARKET)
    assert await care.send_news(world, ma, texts={"en": "Price list 2027"}, grades=None,
                                codes=["globex"], now=JAN, care=CARE) == 1
    assert [m.payload["params"]["text"] for m in await sent(world, GLOBEX_JOHN.id)] == [
        "Price list 2027"]
    assert await sent(world, ACME_CHEN.id) == []
    with pytest.raises(DomainError):  # an unknown code sends nothing at all
        await care.send_news(world, ma, texts={"en": "x"}, grades=None, codes=["NOPE"],
                             now=JAN, care=CARE)
    _, invited = await care.announce_event(world, ma, title="Plant visit",
                                           starts_at=at(date(2026, 3, 3), 10), place="Here",
                                           grades=None, codes=["ACME"], now=JAN, care=CARE)
    assert invited == 2



async def test_a_long_digest_is_cut_with_a_count_of_the_rest(world):
    async with world() as uow:
        wang = await uow.staff.get_by_telegram_id(SALES_WANG.id)
        assert wang is not None
        for n in range(30):
            uow.customers.add(code=f"X{n:02d}", name=f"X {n}", owner_id=wang.id,
                              grade=Grade.A, created_at=JAN, updated_at=JAN,
                              legal_representative="L", registered_address="A", phone="P",
                              business_scope="S")
        await uow.commit()
    await care.daily_digest(world, at(date(2026, 2, 4)), care=CARE)
    [digest] = [m.payload for m in await sent(world, SALES_WANG.id)]
    assert len(digest["lines"]) == care.MAX_LINES
    assert digest["lines"][-1]["msgid"] == care.D_MORE
    assert digest["lines"][-1]["params"]["count"] > 10


async def test_an_upgrade_on_a_festival_sends_no_digest_or_greeting_twice(world, db_url):
    """Digests and greetings are guarded by their keys alone: migration 0011 carries the
    keys written before the upgrade over to the new shape, so the next sweep finds them."""
    from alembic import command

    from storage.migrate import alembic_config

    festival = date(2026, 9, 25)  # Mid-Autumn Festival, a Friday
    assert await care.daily_digest(world, at(date(2026, 9, 24)), care=CARE) >= 1
    assert await care.greetings(world, at(festival, 10), care=CARE) == 3
    command.downgrade(alembic_config(db_url), "0010")  # the keys the old code wrote
    async with world() as uow:
        keys = set((await uow.session.execute(select(OutboxMessage.idempotency_key))).scalars())
    assert not any(":staff:" in k or ":contact:" in k for k in keys)
    command.upgrade(alembic_config(db_url), "head")
    assert await care.daily_digest(world, at(date(2026, 9, 24), 16), care=CARE) == 0
    assert await care.greetings(world, at(festival, 16), care=CARE) == 0
