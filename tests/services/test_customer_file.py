"""The customer file on a real database: fields by role, major changes and their deadline,
consents and disclosure, prospects from request to application."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.sweeps import Sweeps
from domain.calendar import WorkingCalendar
from domain.cases import Attachment
from domain.customer_file import ConsentScope, FieldGroup, InfoKind
from domain.enums import Role
from domain.errors import AccessDenied, DomainError, NotFound
from services import customer_file, prospects
from services.cards import Actor
from services.customer_file import INFO_KIND, PROSPECT_KIND, ConsentMissing, on_info_due
from storage.models import AuditEntry, OutboxMessage
from tests.support.world import (
    FINANCE_FANG,
    FINANCE_MEI,
    LEGAL_LU,
    MARKET_MA,
    SALES_HEAD_HAN,
    SALES_LIN,
    SALES_WANG,
    SERVICE_KIM,
    seed,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = WorkingCalendar("CN", "Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
SIGNED = Attachment("document", "cons1", "u-cons1", "consent.pdf", "application/pdf", 40_000)


@pytest.fixture
async def world(uow_factory, tmp_path):
    await seed(uow_factory, tmp_path, MONDAY - timedelta(days=30))
    return uow_factory


async def who(world, persona, *roles: Role) -> Actor:
    async with world() as uow:
        member = await uow.staff.get_by_telegram_id(persona.id)
        return Actor(telegram_id=persona.id, locale="en", roles=frozenset(roles),
                     staff_id=member.id, staff_name=member.name)


async def notices(world, chat_id: int) -> list[dict]:
    async with world() as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id))).scalars()
        return [r.payload for r in rows]


async def audits(world, action: str) -> list[AuditEntry]:
    async with world() as uow:
        return list((await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == action))).scalars())


async def test_each_role_sees_only_its_fields(world):
    mei = await who(world, FINANCE_MEI, Role.FINANCE)
    kim = await who(world, SERVICE_KIM, Role.SERVICE)
    wang = await who(world, SALES_WANG, Role.SALES)  # owns ACME
    lin = await who(world, SALES_LIN, Role.SALES)  # owns GLOBEX, not ACME
    finance = await customer_file.view_file(world(), mei, "ACME", now=MONDAY)
    assert finance.fields["credit_limit"] == "500,000.00" and FieldGroup.CREDIT in finance.groups
    service = await customer_file.view_file(world(), kim, "acme", now=MONDAY)
    assert "credit_limit" not in service.fields and "products" not in service.fields
    assert service.fields["legal_representative"] == "陳大文"
    owner = await customer_file.view_file(world(), wang, "ACME", now=MONDAY)
    assert "credit_limit" in owner.fields and FieldGroup.DYNAMIC in owner.groups
    other = await customer_file.view_file(world(), lin, "ACME", now=MONDAY)
    assert other.groups == {FieldGroup.BASIC} and "payment_term_days" not in other.fields
    customer = Actor(telegram_id=7001, locale="en", contact_id=1, customer_id=1)
    with pytest.raises(NotFound):
        await customer_file.view_file(world(), customer, "ACME", now=MONDAY)
    assert len(await audits(world, "customer.viewed")) == 2  # the two credit views


async def test_a_major_change_tells_the_departments_and_runs_until_the_file_is_updated(world):
    wang = await who(world, SALES_WANG, Role.SALES)
    lin = await who(world, SALES_LIN, Role.SALES)
    with pytest.raises(AccessDenied):  # not Lin's customer
        await customer_file.record_info(
            world(), lin, "ACME", kind=InfoKind.MANAGEMENT, text="New CEO", source="press",
            happened_on=date(2026, 11, 20), major=True, now=MONDAY, calendar=CN,
            update_days=3, default_locale="en")
    info_id = await customer_file.record_info(
        world(), wang, "ACME", kind=InfoKind.MANAGEMENT, text="New general manager Li",
        source="Visit on 20 Nov", happened_on=date(2026, 11, 20), major=True, now=MONDAY,
        calendar=CN, update_days=3, default_locale="en")
    for persona in (FINANCE_MEI, FINANCE_FANG, LEGAL_LU, SALES_HEAD_HAN):
        assert [n["msgid"] for n in await notices(world, persona.id)] == [customer_file.I_MAJOR]
    assert await notices(world, MARKET_MA.id) == []  # not concerned by a management change
    sweeps = Sweeps(interval=timedelta(minutes=5))

    async def handler(uow, item, now, late):
        await on_info_due(uow, item, now, late, default_locale="en")

    sweeps.on_due(INFO_KIND, handler)
    # Due Thursday 10:00 (3 working days); the owner is nudged the working day before.
    await sweeps.sweep_due(world, datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI))
    assert [n["msgid"] for n in await notices(world, SALES_WANG.id)] == [customer_file.I_NUDGE]
    code = await customer_file.mark_file_updated(world(), wang, info_id,
                                                 now=MONDAY + timedelta(days=2))
    assert code == "ACME"
    with pytest.raises(DomainError):
        await customer_file.mark_file_updated(world(), wang, info_id, now=MONDAY)
    await sweeps.sweep_due(world, datetime(2026, 11, 30, 11, 0, tzinfo=SHANGHAI))
    assert [n["msgid"] for n in await notices(world, SALES_WANG.id)] == [customer_file.I_NUDGE]
    view = await customer_file.view_file(world(), wang, "ACME", now=MONDAY)
    assert [(i[2], i[5], i[6]) for i in view.infos] == [("management", True, True)]


async def test_nothing_leaves_without_a_valid_written_consent(world):
    lu = await who(world, LEGAL_LU, Role.LEGAL)
    kim = await who(world, SERVICE_KIM, Role.SERVICE)
    today = date(2026, 11, 23)
    with pytest.raises(ConsentMissing):
        await customer_file.disclose(world(), lu, "ACME", recipient="Bank of Taipei",
                                     scope=ConsentScope.CREDIT, now=MONDAY, today=today)
    assert len(await audits(world, "disclosure.refused")) == 1
    with pytest.raises(AccessDenied):  # service may not send data out at all
        await customer_file.disclose(world(), kim, "ACME", recipient="Bank of Taipei",
                                     scope=ConsentScope.CREDIT, now=MONDAY, today=today)
    with pytest.raises(AccessDenied):
        await customer_file.record_consent(world(), kim, "ACME", scope=ConsentScope.CREDIT,
                                           recipient="Bank of Taipei", document=SIGNED,
                                           signed_on=today, expires_on=None, now=MONDAY)
    await customer_file.record_consent(world(), lu, "ACME", scope=ConsentScope.CREDIT,
                                       recipient="Bank of Taipei", document=SIGNED,
                                       signed_on=date(2026, 11, 1),
                                       expires_on=date(2026, 12, 31), now=MONDAY)
    data = await customer_file.disclose(world(), lu, "ACME", recipient="bank of  TAIPEI",
                                        scope=ConsentScope.CREDIT, now=MONDAY, today=today)
    assert data["credit_limit"] == "500,000.00" and "registered_address" not in data
    for scope, recipient, on in ((ConsentScope.BASIC, "Bank of Taipei", today),
                                 (ConsentScope.CREDIT, "Another Bank", today),
                                 (ConsentScope.CREDIT, "Bank of Taipei", date(2027, 1, 1))):
        with pytest.raises(ConsentMissing):
            await customer_file.disclose(world(), lu, "ACME", recipient=recipient, scope=scope,
                                         now=MONDAY, today=on)
    assert len(await audits(world, "disclosure.allowed")) == 1
    assert len(await audits(world, "disclosure.refused")) == 4
    [recorded] = await audits(world, "consent.recorded")
    assert recorded.after["recipient"] == "Bank of Taipei"


async def test_a_prospect_goes_round_robin_is_nudged_and_becomes_an_application(world):
    from services import admission
    from services.admission import Admission

    async def stranger(n: int) -> Actor:
        return Actor(telegram_id=6100 + n, locale="en")

    first = await prospects.request(world(), await stranger(1), company="Huaxin",
                                    contact="Zhang 138", needs="Pipes", now=MONDAY,
                                    calendar=CN, default_locale="en")
    second = await prospects.request(world(), await stranger(2), company="Dahua",
                                     contact="Li 139", needs="Wire", now=MONDAY, calendar=CN,
                                     default_locale="en")
    assert {first.owner, second.owner} == {"Wang", "Lin"}  # one each, in turn
    with pytest.raises(DomainError):  # the same person asking twice
        await prospects.request(world(), await stranger(1), company="Huaxin",
                                contact="Zhang", needs="Pipes", now=MONDAY, calendar=CN,
                                default_locale="en")
    sweeps = Sweeps(interval=timedelta(minutes=5))

    async def handler(uow, item, now, late):
        await prospects.on_prospect_due(uow, item, now, late, default_locale="en")

    sweeps.on_due(PROSPECT_KIND, handler)
    owner_of_first = SALES_WANG if first.owner == "Wang" else SALES_LIN
    owner_actor = await who(world, owner_of_first, Role.SALES)
    await prospects.record_source(world(), owner_actor, first.prospect_id, "trade_show",
                                  now=MONDAY)
    await sweeps.sweep_due(world, datetime(2026, 11, 26, 11, 0, tzinfo=SHANGHAI))
    # The untouched one nudged its rep, then reached the sales head; the other stayed quiet.
    other = SALES_LIN if owner_of_first == SALES_WANG else SALES_WANG
    assert customer_file.P_NUDGE in [n["msgid"] for n in await notices(world, other.id)]
    assert customer_file.P_NUDGE not in [n["msgid"]
                                         for n in await notices(world, owner_of_first.id)]
    assert [n["msgid"] for n in await notices(world, SALES_HEAD_HAN.id)] == [
        customer_file.P_LATE]
    with pytest.raises(NotFound, match="prospect was not found"):  # as if there were none
        await prospects.prefill(world(), await who(world, other, Role.SALES),
                                first.prospect_id)
    known = await prospects.prefill(world(), owner_actor, first.prospect_id)
    assert known["company"] == "Huaxin" and known["contacts"] == "Zhang 138"
    fields = {"company": "Huaxin", "legal_rep": "Zhang", "address": "Hangzhou",
              "contacts": "Zhang 138", "scope": "Metals", "scale": "100 staff",
              "intent": "Pipes", "volume": "300 t"}
    declared = {k: True for k in ("licence", "reputation", "violations", "strength", "rules")}
    view = await admission.submit(world(), owner_actor, fields=fields, declarations=declared,
                                  files=[], now=MONDAY, prospect_id=first.prospect_id,
                                  adm=Admission(CN, admission.AdmissionPolicy(), "en"))
    async with world() as uow:
        prospect = await uow.customer_file.prospect(first.prospect_id)
        assert prospect is not None and prospect.status == "applied"
        assert prospect.application_id == view.app_id
    assert [p.number for p in await prospects.mine(world(), owner_actor)] == []
