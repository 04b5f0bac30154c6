"""Receivables on a real database with a controlled clock: imports, the dunning ladder over 90
days (a partial payment, a holiday week, a suspension lifted by payment, an outage), the
letter's PDF in each language, decisions by role, and the credit check on confirmation."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.i18n import Catalogs
from domain.calendar import WorkingCalendar
from domain.enums import OrderStatus, Role
from domain.errors import AccessDenied, NotFound
from domain.receivables import Bucket, LadderPolicy
from handlers.letters import dunning_letter_pdf
from handlers.notices import render_notice
from services import identity, receivables
from services.cards import Actor
from services.imports import ImportFailed
from services.receivables import Ledger
from storage.models import AuditEntry, DunningLetter, OutboxMessage
from tests.support.world import (
    ACME_CHEN,
    EXEC_ZHOU,
    FINANCE_MEI,
    GLOBEX_JOHN,
    LEGAL_LU,
    SALES_WANG,
    invite_token,
    seed,
    write_csv,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEDGER = Ledger(WorkingCalendar("CN", "Asia/Shanghai"), LadderPolicy(), "en",
                {"name": "Huaxin Metals", "address": "88 Binjiang Rd", "phone": "+86 571"})
START = datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)
CATALOGS = Catalogs(SHANGHAI)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI).astimezone(UTC)


def letter(locale: str, data: dict) -> bytes:
    return dunning_letter_pdf(CATALOGS.get(locale), data)


@pytest.fixture
async def world(uow_factory, tmp_path):
    await seed(uow_factory, tmp_path, START - timedelta(days=30))
    for persona, code in ((ACME_CHEN, "ACME"), (GLOBEX_JOHN, "GLOBEX")):
        token = await invite_token(uow_factory, code, START - timedelta(days=1))
        await identity.link_contact(uow_factory(), token,
                                    actor=Actor(telegram_id=persona.id,
                                                locale={"zh-hant": "zh_Hant"}.get(
                                                    persona.language_code or "", "en")),
                                    name=persona.first_name, now=START - timedelta(days=1))
    return uow_factory


def invoices_csv(tmp: Path, rows: list[list]) -> Path:
    return write_csv(tmp / "invoices.csv", ["invoice_no", "customer_code", "order_no",
                                            "amount", "currency", "issued_on", "due_on"], rows)


def payments_csv(tmp: Path, name: str, rows: list[list]) -> Path:
    return write_csv(tmp / name, ["invoice_no", "amount", "paid_on"], rows)


async def who(world, persona, *roles: Role) -> Actor:
    async with world() as uow:
        member = await uow.staff.get_by_telegram_id(persona.id)
        return Actor(telegram_id=persona.id, locale="en", roles=frozenset(roles),
                     staff_id=member.id, staff_name=member.name)


async def steps_done(world, invoice_no: str) -> list[tuple[str, str, bool]]:
    async with world() as uow:
        rows = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.target_id == invoice_no, AuditEntry.action.like("dunning.%"))
            .order_by(AuditEntry.id))).scalars()
        return [(r.action.split(".")[1], r.at.astimezone(SHANGHAI).date().isoformat(),
                 r.after["late"]) for r in rows]


async def outbox(world, chat_id: int) -> list[OutboxMessage]:
    async with world() as uow:
        return list((await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id))).scalars())


async def test_imports_are_all_or_nothing_and_repeats_change_nothing(world, tmp_path):
    bad = invoices_csv(tmp_path, [
        ["INV-1", "ACME", "PO-1001", "100000", "TWD", "2026-09-01", "2026-09-28"],
        ["INV-2", "NOPE", "", "5", "TWD", "2026-09-01", "2026-09-28"],
        ["INV-3", "ACME", "", "-5", "TWD", "2026-09-01", "2026-09-28"],
        ["INV-4", "ACME", "", "5", "TWD", "2026-09-30", "2026-09-28"],
    ])
    with pytest.raises(ImportFailed) as failed:
        await receivables.import_invoices(world(), bad, now=at(date(2026, 9, 1)), ledger=LEDGER)
    assert [e.line for e in failed.value.errors] == [3, 4, 5]
    good = invoices_csv(tmp_path, [
        ["INV-1", "ACME", "PO-1001", "100000", "TWD", "2026-09-01", "2026-09-28"],
        ["INV-9", "GLOBEX", "GX-1", "980.50", "HKD", "2026-09-01", "2026-09-28"]])
    report = await receivables.import_invoices(world(), good, now=at(date(2026, 9, 1)),
                                               ledger=LEDGER)
    assert (report.created, report.unchanged) == (2, 0)
    again = await receivables.import_invoices(world(), good, now=at(date(2026, 9, 1)),
                                              ledger=LEDGER)
    assert (again.created, again.unchanged) == (0, 2)
    over = payments_csv(tmp_path, "over.csv", [["INV-9", "1000", "2026-09-10"]])
    with pytest.raises(ImportFailed):
        await receivables.import_payments(world(), over, now=at(date(2026, 9, 10)),
                                          ledger=LEDGER)
    part = payments_csv(tmp_path, "part.csv", [["INV-1", "30000", "2026-09-10"],
                                               ["INV-1", "10000.00", "2026-09-11"]])
    for expected in (2, 0):  # the same file twice: the second adds nothing
        report = await receivables.import_payments(world(), part, now=at(date(2026, 9, 11)),
                                                   ledger=LEDGER)
        assert report.created == expected
    mei = await who(world, FINANCE_MEI, Role.FINANCE)
    view = await receivables.overview(world(), mei, now=at(date(2026, 11, 10)), ledger=LEDGER)
    assert view.totals["TWD"][Bucket.D31_60] == Decimal("60000.00")  # 43 days overdue
    assert view.totals["HKD"][Bucket.D31_60] == Decimal("980.50")  # currencies kept apart
    assert [w[0] for w in view.worst] == ["ACME", "GLOBEX"] or [w[0] for w in view.worst] == [
        "GLOBEX", "ACME"]


async def test_the_ladder_over_ninety_days(world, tmp_path):
    await receivables.import_invoices(world(), invoices_csv(tmp_path, [
        # Due Monday 28 September: the friendly reminder's day (the 25th, Mid-Autumn) is
        # a holiday, the call's day (5 October) falls in the National Day week.
        ["INV-1", "ACME", "PO-1001", "100000", "TWD", "2026-08-28", "2026-09-28"],
    ]), now=at(date(2026, 9, 1)), ledger=LEDGER)
    day = date(2026, 9, 20)
    mei = await who(world, FINANCE_MEI, Role.FINANCE)
    zhou = await who(world, EXEC_ZHOU, Role.EXECUTIVE)
    wang = await who(world, SALES_WANG, Role.SALES)
    while day <= date(2026, 12, 31):
        for hour in (8, 10, 13, 16, 20):  # three times a day in hours, twice outside
            await receivables.sweep_ladder(world, at(day, hour), ledger=LEDGER,
                                           render_letter=letter)
        if day == date(2026, 10, 9):  # a partial payment mid-way
            await receivables.import_payments(world(), payments_csv(
                tmp_path, "p1.csv", [["INV-1", "40000", "2026-10-09"]]), now=at(day, 11),
                ledger=LEDGER)
        if day == date(2026, 10, 28):  # the suspension proposal: finance, then executive
            [request] = [m for m in await outbox(world, FINANCE_MEI.id)
                         if m.payload["msgid"] == receivables.S_SUSPEND]
            request_id = int(request.payload["buttons"][0][0]["data"].split(":")[2])
            with pytest.raises(NotFound):  # the wrong role changes (and learns) nothing
                await receivables.decide_request(world(), wang, request_id, approve=True,
                                                 now=at(day, 11), ledger=LEDGER)
            with pytest.raises(AccessDenied):  # nor the executive before finance
                await receivables.decide_request(world(), zhou, request_id, approve=True,
                                                 now=at(day, 11), ledger=LEDGER)
            assert await receivables.decide_request(world(), mei, request_id, approve=True,
                                                    now=at(day, 11),
                                                    ledger=LEDGER) == "executive"
            assert await receivables.decide_request(world(), zhou, request_id, approve=True,
                                                    now=at(day, 12),
                                                    ledger=LEDGER) == "approved"
        if day == date(2026, 11, 10):  # paid in full: the ladder stops, supply resumes
            await receivables.import_payments(world(), payments_csv(
                tmp_path, "p2.csv", [["INV-1", "60000", "2026-11-10"]]), now=at(day, 11),
                ledger=LEDGER)
        day += timedelta(days=1)
    assert await steps_done(world, "INV-1") == [
        ("friendly", "2026-09-28", False),  # deferred from the holiday, not late
        ("overdue", "2026-09-29", False),
        ("call", "2026-10-08", False),  # the first working day after National Day
        ("letter", "2026-10-13", False),
        ("suspend", "2026-10-28", False),
    ]  # and never "legal": it was paid on 10 November
    chen = [m.payload["msgid"] for m in await outbox(world, ACME_CHEN.id)]
    assert chen == [receivables.C_FRIENDLY, receivables.C_OVERDUE, receivables.C_LETTER,
                    receivables.C_SUSPENDED, receivables.C_LIFTED]
    assert await outbox(world, LEGAL_LU.id) == []
    async with world() as uow:
        customer = await uow.customers.get_by_code("ACME")
        assert customer is not None and customer.suspended_at is None
        assert customer.credit_rating == "B"  # one level down (from A) at 30 days overdue
        [kept] = (await uow.session.execute(select(DunningLetter))).scalars().all()
    text = "".join(PdfReader(io.BytesIO(kept.pdf)).pages[0].extract_text().split())
    assert kept.locale == "zh_Hant" and "INV-1" in text
    assert "60,000.00" in text and "100,000.00" in text  # after the partial payment
    title = "".join(CATALOGS.get("zh_Hant").gettext("Payment reminder").split())
    assert title in text and "HuaxinMetals" in text


async def test_after_an_outage_only_the_current_rung_is_sent_marked_late(world, tmp_path):
    await receivables.import_invoices(world(), invoices_csv(tmp_path, [
        ["INV-7", "GLOBEX", "GX-1", "980.50", "HKD", "2026-10-15", "2026-11-02"],
    ]), now=at(date(2026, 10, 15)), ledger=LEDGER)
    await receivables.sweep_ladder(world, at(date(2026, 10, 30)), ledger=LEDGER,
                                   render_letter=letter)
    # Down from 31 October to 20 November; then two processes sweep at once.
    await asyncio.gather(*(receivables.sweep_ladder(world, at(date(2026, 11, 20)),
                                                    ledger=LEDGER, render_letter=letter)
                           for _ in range(2)))
    assert await steps_done(world, "INV-7") == [("friendly", "2026-10-30", False),
                                                ("letter", "2026-11-20", True)]
    john = [m.payload["msgid"] for m in await outbox(world, GLOBEX_JOHN.id)]
    assert john == [receivables.C_FRIENDLY, receivables.C_LETTER]
    async with world() as uow:
        [kept] = (await uow.session.execute(select(DunningLetter))).scalars().all()
    text = "".join(PdfReader(io.BytesIO(kept.pdf)).pages[0].extract_text().split())
    assert kept.locale == "en" and "Paymentreminder" in text and "HKD980.50" in text


async def test_an_order_over_the_limit_waits_for_finance_then_the_executive(world, tmp_path):
    await receivables.import_invoices(world(), invoices_csv(tmp_path, [
        ["INV-1", "ACME", "PO-1001", "100000", "TWD", "2026-09-01", "2026-12-01"],
    ]), now=at(date(2026, 9, 1)), ledger=LEDGER)
    mei = await who(world, FINANCE_MEI, Role.FINANCE)
    wang = await who(world, SALES_WANG, Role.SALES)
    zhou = await who(world, EXEC_ZHOU, Role.EXECUTIVE)
    with pytest.raises(AccessDenied):
        await receivables.set_credit(world(), wang, "ACME", limit=Decimal(1), term_days=1,
                                     reason="mine", now=at(date(2026, 9, 2)))
    await receivables.set_credit(world(), mei, "ACME", limit=Decimal("110000"), term_days=30,
                                 reason="Annual review", now=at(date(2026, 9, 2)))
    async with world() as uow:
        customer = await uow.customers.get_by_code("ACME")
        assert customer is not None
        customer.credit_currency = "TWD"
        for no, qty in (("PO-2001", "400"), ("PO-2002", "1200")):  # 5,000 and 15,000 TWD
            uow.orders.add(order_no=no, customer_id=customer.id, order_date=date(2026, 9, 2),
                           product="Steel pipe", spec="", quantity=Decimal(qty), unit="pcs",
                           unit_price=Decimal("12.5"), currency="TWD",
                           delivery_date=None, delivery_place="", payment_terms="",
                           expected_delivery=None, status=OrderStatus.PENDING,
                           created_at=START, updated_at=START)
        await uow.commit()
    now = at(date(2026, 9, 3))
    assert await receivables.confirm_order(world(), wang, "PO-2001", now=now,
                                           ledger=LEDGER) == "confirmed"
    assert await receivables.confirm_order(world(), wang, "PO-2002", now=now,
                                           ledger=LEDGER) == "needs_approval"
    [ask] = [m for m in await outbox(world, FINANCE_MEI.id)
             if m.payload["msgid"] == receivables.S_ORDER]
    request_id = int(ask.payload["buttons"][0][0]["data"].split(":")[2])
    assert await receivables.decide_request(world(), mei, request_id, approve=True, now=now,
                                            ledger=LEDGER) == "executive"
    assert await receivables.decide_request(world(), zhou, request_id, approve=True, now=now,
                                            ledger=LEDGER) == "approved"
    async with world() as uow:
        orders = await uow.orders.by_numbers(["PO-2001", "PO-2002"])
        assert {o.status for o in orders.values()} == {OrderStatus.CONFIRMED}
        changed = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "credit.changed"))).scalar_one()
        assert changed.after["reason"] == "Annual review"


async def test_a_weekly_digest_per_sales_rep_once_a_week(world, tmp_path):
    await receivables.import_invoices(world(), invoices_csv(tmp_path, [
        ["INV-1", "ACME", "PO-1001", "100000", "TWD", "2026-09-01", "2026-10-12"],
        ["INV-2", "ACME", "", "500", "USD", "2026-09-01", "2026-12-31"],
        ["INV-9", "GLOBEX", "GX-1", "980.50", "HKD", "2026-09-01", "2026-12-31"],
    ]), now=at(date(2026, 9, 1)), ledger=LEDGER)
    sunday, monday = date(2026, 11, 22), date(2026, 11, 23)
    assert await receivables.weekly_digest(world, at(sunday), ledger=LEDGER) == 0
    assert await receivables.weekly_digest(world, at(monday, 7), ledger=LEDGER) == 0
    assert await receivables.weekly_digest(world, at(monday), ledger=LEDGER) == 2
    assert await receivables.weekly_digest(world, at(monday, 15), ledger=LEDGER) == 0
    [wang] = [m.payload for m in await outbox(world, SALES_WANG.id)]
    text, _, _ = render_notice(CATALOGS.get("zh_Hant"), wang)  # each currency, in Wang's eyes
    assert text.splitlines()[1:] == ["• 未收 TWD\u00a0100,000.00，其中逾期 TWD\u00a0100,000.00",
                                     "• 未收 USD\u00a0500.00，其中逾期 USD\u00a00.00"]


@pytest.mark.parametrize(("locale", "amount"), [("zh_Hant", "60,000.00"),
                                                ("zh_Hans", "60,000.00"), ("en", "60,000.00")])
def test_the_letter_carries_the_amounts_in_each_language(locale: str, amount: str) -> None:
    t = CATALOGS.get(locale)
    data = {"company": {"name": "Huaxin Metals"}, "customer": "Acme Trading 股份有限公司",
            "customer_code": "ACME", "address": "台北市信義路100號", "date": "2026-10-13",
            "subject": "INV-1",
            "invoices": [{"invoice": "INV-1", "issued": "2026-08-28", "due": "2026-09-28",
                          "amount": "100000.00", "paid": "40000.00", "open": "60000.00",
                          "currency": "TWD", "overdue": 15},
                         {"invoice": "INV-5", "issued": "2026-09-01", "due": "2026-10-01",
                          "amount": "2500.50", "paid": "0", "open": "2500.50",
                          "currency": "USD", "overdue": 12}]}
    text = "".join(PdfReader(io.BytesIO(letter(locale, data))).pages[0].extract_text().split())
    for expected in ("INV-1", "INV-5", amount, "100,000.00", "40,000.00", "2,500.50",
                     "Acme", "股份有限公司"):
        assert expected in text
    for msgid in ("Payment reminder", "Outstanding", "Days overdue"):
        assert "".join(t.gettext(msgid).split()) in text
    # Totals are per currency, never added across currencies.
    total = "".join(t.gettext("Total outstanding: {amount}").format(amount="TWD 60,000.00")
                    .split())
    assert total in text


async def test_ratings_drop_at_thirty_days_and_climb_back_monthly(world, tmp_path):
    await receivables.import_invoices(world(), invoices_csv(tmp_path, [
        ["INV-1", "ACME", "PO-1001", "1000", "TWD", "2026-09-01", "2026-09-28"],
    ]), now=at(date(2026, 9, 1)), ledger=LEDGER)
    await receivables.sweep_ladder(world, at(date(2026, 10, 28)), ledger=LEDGER,
                                   render_letter=letter)
    async with world() as uow:
        customer = await uow.customers.get_by_code("ACME")
        assert customer is not None and customer.credit_rating == "B"
    # 2 November: still overdue past 30 days, no climb; 1 December, paid: one level back.
    assert await receivables.recheck_ratings(world, at(date(2026, 11, 2)), ledger=LEDGER) == 0
    await receivables.import_payments(world(), payments_csv(
        tmp_path, "p.csv", [["INV-1", "1000", "2026-11-20"]]), now=at(date(2026, 11, 20)),
        ledger=LEDGER)
    assert await receivables.recheck_ratings(world, at(date(2026, 11, 30)), ledger=LEDGER) == 0
    assert await receivables.recheck_ratings(world, at(date(2026, 12, 1)), ledger=LEDGER) == 1
    assert await receivables.recheck_ratings(world, at(date(2026, 12, 2)), ledger=LEDGER) == 0
    async with world() as uow:
        customer = await uow.customers.get_by_code("ACME")
        assert customer is not None and customer.credit_rating == "A"


async def test_the_rep_and_a_contact_with_the_same_id_both_get_the_first_overdue_notice(
        uow_factory, tmp_path):
    """Issue 12, section 7: staff ids and contact ids are separate number spaces; the sales
    rep's nudge and the contact's notice once shared a key and the rep's was dropped."""
    await seed(uow_factory, tmp_path, START - timedelta(days=30))
    # Globex's contact first, so that Acme's contact Chen gets row id 2: Wang's staff id.
    for persona, code, locale in ((GLOBEX_JOHN, "GLOBEX", "en"), (ACME_CHEN, "ACME", "zh_Hant")):
        token = await invite_token(uow_factory, code, START - timedelta(days=1))
        await identity.link_contact(uow_factory(), token,
                                    actor=Actor(telegram_id=persona.id, locale=locale),
                                    name=persona.first_name, now=START - timedelta(days=1))
    async with uow_factory() as uow:
        chen = await uow.contacts.get_by_telegram_id(ACME_CHEN.id)
        wang = await uow.staff.get_by_telegram_id(SALES_WANG.id)
        acme = await uow.customers.get_by_code("ACME")
        assert chen is not None and wang is not None and acme is not None
        assert chen.id == wang.id and acme.owner_id == wang.id  # the reported collision
    await receivables.import_invoices(uow_factory(), invoices_csv(tmp_path, [
        ["INV-1", "ACME", "PO-1001", "100000", "TWD", "2026-08-28", "2026-09-28"],
    ]), now=at(date(2026, 9, 1)), ledger=LEDGER)
    for _ in range(3):  # reruns change nothing (R3)
        await receivables.sweep_ladder(uow_factory, at(date(2026, 9, 29)), ledger=LEDGER,
                                       render_letter=letter)
    assert [m[0] for m in await steps_done(uow_factory, "INV-1")] == ["overdue"]
    to_chen = await outbox(uow_factory, ACME_CHEN.id)
    to_wang = await outbox(uow_factory, SALES_WANG.id)
    assert [m.payload["msgid"] for m in to_chen] == [receivables.C_OVERDUE]
    assert [m.payload["msgid"] for m in to_wang] == [receivables.S_OVERDUE]
    assert to_chen[0].idempotency_key.endswith(f":contact:{chen.id}")
    assert to_wang[0].idempotency_key.endswith(f":staff:{wang.id}")
