"""Filing complaints and inquiries from chat, end to end, and the dialog's reliability (R9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.models import Case, CaseAttachment, InboxUpdate
from tests.support.harness import Harness, buttons, running_bot
from tests.support.world import (
    ACME_CHEN,
    EXEC_ZHOU,
    GLOBEX_JOHN,
    SERVICE_KIM,
    SERVICE_LEAD_LUO,
    invite_token,
    seed,
)

# Friday 2026-11-27 10:00 in Shanghai: acknowledgment due Monday, solution the Friday after.
FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

PHOTO = {"photo": [{"file_id": "small", "file_unique_id": "s1", "width": 90, "height": 90,
                    "file_size": 1000},
                   {"file_id": "big", "file_unique_id": "b1", "width": 1280, "height": 960,
                    "file_size": 180_000}]}
PDF = {"document": {"file_id": "pdf1", "file_unique_id": "p1", "file_name": "report.pdf",
                    "mime_type": "application/pdf", "file_size": 250_000}}
EXE = {"document": {"file_id": "exe1", "file_unique_id": "e1", "file_name": "setup.exe",
                    "mime_type": "application/x-msdownload", "file_size": 1000}}
HUGE = {"document": {"file_id": "big1", "file_unique_id": "h1", "file_name": "scan.pdf",
                     "mime_type": "application/pdf", "file_size": 45_000_000}}


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


def press_label(message: dict, fragment: str) -> str:
    return next(d for text, d in buttons(message) if fragment in text)


async def choose(h: Harness, who, message: dict, fragment: str) -> list[dict]:
    before = len(h.api.sent_to(who.id))
    await h.press(who, message, press_label(message, fragment))
    await h.api.wait_for(lambda: len(h.api.sent_to(who.id)) > before)
    return h.api.sent_to(who.id)[before:]


async def send_file(h: Harness, who, body: dict, replies: int = 1) -> list[dict]:
    before = len(h.api.sent_to(who.id))
    await h.api.send_message_body(who, **body)
    await h.api.wait_for(lambda: len(h.api.sent_to(who.id)) >= before + replies)
    return h.api.sent_to(who.id)[before:]


async def test_a_complaint_filed_in_traditional_chinese_reaches_service(world, db_url):
    token = await invite_token(world, "ACME", FRIDAY)
    async with running_bot(db_url, lambda: FRIDAY, default_locale="zh_Hans",
                           timezone="Asia/Shanghai", holiday_region="CN") as h:
        await h.say(SERVICE_KIM, "/help")  # Kim's language becomes known (English)
        await h.say(ACME_CHEN, f"/start {token}")
        [ask] = await h.say(ACME_CHEN, "/complaint")
        assert "投訴" in ask["text"] or "客訴" in ask["text"] or "什麼" in ask["text"]
        [junk, again] = await h.say(ACME_CHEN, "whatever", replies=2)
        assert "按鈕" in junk["text"] and again["reply_markup"]
        [ask_order] = await choose(h, ACME_CHEN, again, "品質")
        labels = [t for t, _ in buttons(ask_order)]
        assert labels[0].startswith("PO-1012")  # newest first
        [ask_text] = await h.say(ACME_CHEN, "PO-1003")  # typed instead of pressed
        assert "描述" in ask_text["text"]
        [short, _] = await h.say(ACME_CHEN, "壞", replies=2)
        assert "5" in short["text"]
        [ask_files] = await h.say(ACME_CHEN, "第三批鋼管有明顯鏽蝕，約 200 支無法使用。")
        assert "佐證" in ask_files["text"]
        refused = (await send_file(h, ACME_CHEN, EXE, replies=2))[0]
        assert "不接受" in refused["text"] or "格式" in refused["text"]
        too_big = (await send_file(h, ACME_CHEN, HUGE, replies=2))[0]
        assert "42.9" in too_big["text"] and "20" in too_big["text"]
        got_photo = (await send_file(h, ACME_CHEN, PHOTO))[-1]
        got_pdf = (await send_file(h, ACME_CHEN, PDF))[-1]
        assert "1" in got_photo["text"] and "2" in got_pdf["text"]
        [ask_urgency] = await choose(h, ACME_CHEN, got_pdf, "完成")
        [summary] = await choose(h, ACME_CHEN, ask_urgency, "一般")
        assert "PO-1003" in summary["text"] and "鏽蝕" in summary["text"]
        assert "2" in summary["text"]
        [filed] = await choose(h, ACME_CHEN, summary, "送出")
        assert "CMP-000001" in filed["text"]
        # Working days: Friday 10:00 + 1 = Monday 10:00; + 5 = next Friday 10:00 (Shanghai).
        assert "11月30日" in filed["text"] and "12月4日" in filed["text"]
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: h.api.sent_to(SERVICE_KIM.id)[1:])
        alert = h.api.sent_to(SERVICE_KIM.id)[-1]["text"]
        assert "CMP-000001" in alert and "Acme" in alert and "Quality" in alert
        assert h.api.sent_to(EXEC_ZHOU.id) == []  # not urgent: no emergency alert
        [cases] = await h.say(ACME_CHEN, "/cases")
        assert "CMP-000001" in cases["text"]
    async with world() as uow:
        case = (await uow.session.execute(select(Case))).scalar_one()
        files = list((await uow.session.execute(select(CaseAttachment))).scalars())
        assert case.ack_due_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
        assert case.resolve_due_at == datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
        assert [f.file_id for f in files] == ["big", "pdf1"]
        assert await uow.dialogs.get(ACME_CHEN.id) is None


async def test_an_urgent_complaint_alerts_the_lead_and_executive_at_once(world, db_url, now):
    token = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(GLOBEX_JOHN, f"/start {token}")
        [ask] = await h.say(GLOBEX_JOHN, "/complaint")
        [ask] = await choose(h, GLOBEX_JOHN, ask, "Delivery")
        [ask] = await choose(h, GLOBEX_JOHN, ask, "No specific order")
        [ask] = await h.say(GLOBEX_JOHN, "The truck never arrived, the line is stopped.")
        [ask] = await choose(h, GLOBEX_JOHN, ask, "Skip")
        [ask] = await choose(h, GLOBEX_JOHN, ask, "Urgent")
        [filed] = await choose(h, GLOBEX_JOHN, ask, "Submit")
        assert "service lead has been alerted" in filed["text"]
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: h.api.sent_to(EXEC_ZHOU.id)
                             and len(h.api.sent_to(SERVICE_LEAD_LUO.id)) >= 2)
        assert "CMP-000001" in h.api.sent_to(EXEC_ZHOU.id)[0]["text"]


async def test_cancel_stale_buttons_replays_and_strangers(world, db_url, now):
    token = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now) as h:
        [refused] = await h.say(GLOBEX_JOHN, "/complaint")
        assert "invite link" in refused["text"]
        await h.say(GLOBEX_JOHN, f"/start {token}")
        [first] = await h.say(GLOBEX_JOHN, "/complaint")
        [second] = await choose(h, GLOBEX_JOHN, first, "Quality")
        old = await h.press(GLOBEX_JOHN, first, press_label(first, "Service"))
        assert "already done" in old["text"]
        [helped] = await h.say(GLOBEX_JOHN, "/help")  # commands still work mid-dialog
        assert "/complaint" in helped["text"]
        [cancelled] = await h.say(GLOBEX_JOHN, "/cancel")
        assert "Cancelled" in cancelled["text"]
        late = await h.press(GLOBEX_JOHN, second, press_label(second, "No specific order"))
        assert "already finished" in late["text"]
        [nothing] = await h.say(GLOBEX_JOHN, "/cancel")
        assert "nothing to cancel" in nothing["text"]
        # A redelivered update that already made its step does not apply twice.
        await h.say(GLOBEX_JOHN, "/inquiry")
        [confirm] = await h.say(GLOBEX_JOHN, "When is the next price list due?")
        assert "When is the next price list due?" in confirm["text"]
    async with world() as uow:
        dialog = await uow.dialogs.get(GLOBEX_JOHN.id)
        assert dialog is not None and dialog.step == "confirm"
        last = dialog.last_update_id
        replay = (await uow.inbox.claim(now, lease=timedelta(0), limit=100))
        assert replay == []  # everything was processed
    async with running_bot(db_url, lambda: now) as h:
        async with world() as uow:
            row = await uow.session.get(InboxUpdate, last)
            payload = dict(row.payload)
            await uow.session.delete(row)  # as if the crash came before the inbox kept it
            await uow.commit()
        h.api.continue_after(last)
        await h.api.push_update({k: v for k, v in payload.items() if k != "update_id"},
                                update_id=last)
        await h.api.wait_for(lambda: h.api.sent_to(GLOBEX_JOHN.id))
        [asked_again] = h.api.sent_to(GLOBEX_JOHN.id)
        assert "When is the next price list due?" in asked_again["text"]  # same step again
    async with world() as uow:
        dialog = await uow.dialogs.get(GLOBEX_JOHN.id)
        assert dialog.step == "confirm" and dialog.last_update_id == last


async def test_an_abandoned_dialog_times_out_through_the_sweep(world, db_url, now):
    token = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now, dialog_timeout_minutes=30) as h:
        await h.say(GLOBEX_JOHN, f"/start {token}")
        await h.say(GLOBEX_JOHN, "/inquiry")
        sweeps = h.runner.sweeps
        assert await sweeps.sweep_due(h.runner.built.uow_factory,
                                      now + timedelta(minutes=29)) == 0
        # The bot was down when it expired: the first sweep after closes it, once.
        later = now + timedelta(hours=5)
        assert await sweeps.sweep_due(h.runner.built.uow_factory, later) == 1
        assert await sweeps.sweep_due(h.runner.built.uow_factory, later) == 0
        h.runner.relay.wake.set()
        await h.api.wait_for(lambda: "did not answer" in h.api.sent_to(GLOBEX_JOHN.id)[-1]
                             ["text"])
        [reply] = await h.say(GLOBEX_JOHN, "Is this still open?")
        assert "did not understand" in reply["text"]  # no longer in a dialog


async def test_a_complaint_in_simplified_chinese_and_one_in_english(world, db_url, now):
    from tests.support.world import ACME_HUANG

    acme = await invite_token(world, "ACME", now)
    globex = await invite_token(world, "GLOBEX", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_HUANG, f"/start {acme}")
        [ask] = await h.say(ACME_HUANG, "/complaint")
        [ask_order] = await choose(h, ACME_HUANG, ask, "交货")  # Delivery, in Simplified
        [ask_text] = await choose(h, ACME_HUANG, ask_order, "无特定订单")
        assert "描述" in ask_text["text"]
        [ask_files] = await h.say(ACME_HUANG, "货物晚到了一周，影响了我们的生产。")
        [ask_urgency] = await choose(h, ACME_HUANG, ask_files, "跳过")
        [summary] = await choose(h, ACME_HUANG, ask_urgency, "一般")
        [filed] = await choose(h, ACME_HUANG, summary, "提交")
        assert "CMP-000001" in filed["text"] and "投诉" in filed["text"]
        await h.say(GLOBEX_JOHN, f"/start {globex}")
        [ask] = await h.say(GLOBEX_JOHN, "/complaint")
        [ask_order] = await choose(h, GLOBEX_JOHN, ask, "Quantity")
        [ask_text] = await choose(h, GLOBEX_JOHN, ask_order, "GX-1")
        assert "describe" in ask_text["text"]
        [ask_files] = await h.say(GLOBEX_JOHN, "Two rolls short in the last delivery.")
        [ask_urgency] = await choose(h, GLOBEX_JOHN, ask_files, "Skip")
        [summary] = await choose(h, GLOBEX_JOHN, ask_urgency, "Urgent")
        assert "GX-1" in summary["text"] and "Urgent" in summary["text"]
        [filed] = await choose(h, GLOBEX_JOHN, summary, "Submit")
        assert "CMP-000002" in filed["text"] and "service lead has been alerted" in filed["text"]
