"""The fake Bot API's fault injection, and the bot under it; the token never reaches a log."""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
import pytest

from bot.app import DEMO_TOKEN
from bot.fake_api import FakeBotApi
from bot.logs import install_redaction
from tests.support.harness import running_bot
from tests.support.world import ACME_CHEN, invite_token, seed


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


@pytest.mark.parametrize(("kind", "status", "words"), [
    ("429", 429, "retry after 3"), ("500", 500, "Internal"), ("403", 403, "blocked"),
    ("409", 409, "Conflict"),
])
async def test_the_fake_injects_each_error(kind: str, status: int, words: str) -> None:
    api = FakeBotApi()
    url = await api.start()
    try:
        api.inject("sendMessage", kind, retry_after=3)
        async with httpx.AsyncClient() as client:
            first = await client.post(f"{url}/bot1:x/sendMessage", json={"chat_id": 1,
                                                                        "text": "hi"})
            second = await client.post(f"{url}/bot1:x/sendMessage", json={"chat_id": 1,
                                                                         "text": "hi"})
        assert first.status_code == status and words in first.json()["description"]
        if status == 429:
            assert first.json()["parameters"] == {"retry_after": 3}
        assert second.status_code == 200  # a fault applies to the next call only
    finally:
        await api.stop()


async def test_timeout_fault_holds_the_request() -> None:
    api = FakeBotApi()
    url = await api.start()
    try:
        api.inject("getMe", "timeout")
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post(f"{url}/bot1:x/getMe", timeout=0.3)
    finally:
        await api.stop()


async def test_a_429_is_waited_out_and_the_answer_still_arrives(world, db_url, now):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now, use_rate_limiter=True) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        h.api.inject("sendMessage", "429", retry_after=1)
        [card] = await h.say(ACME_CHEN, "/order PO-1001")
        assert "PO-1001" in card["text"]
        tries = [c for c in h.api.calls_of("sendMessage") if c.params["chat_id"] == ACME_CHEN.id]
        assert tries[-2].result == "fault:429" and tries[-1].at - tries[-2].at >= 1.0


async def test_a_failing_send_does_not_stop_later_updates(world, db_url, now):
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        h.api.inject("sendMessage", "500")
        # The card is lost to the 500; the user is told, in their language, to try again.
        [apology] = await h.say(ACME_CHEN, "/order PO-1001")
        assert "稍後再試" in apology["text"]
        [card] = await h.say(ACME_CHEN, "/order PO-1002")
        assert "PO-1002" in card["text"]


async def test_the_token_never_appears_in_logs_even_at_debug(world, db_url, now, caplog):
    secret = "987654321:AAH-very-secret-token-value-xyz123"
    install_redaction([secret], "DEBUG")
    caplog.set_level(logging.DEBUG)
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now, telegram_token=secret) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        h.api.inject("sendMessage", "500")
        await h.say(ACME_CHEN, "/orders")  # fails, logs a traceback, apologises
        [reply] = await h.say(ACME_CHEN, "/order PO-1001")
        assert "PO-1001" in reply["text"]
    logging.getLogger("probe").error("token in a message: %s", secret)
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert len(caplog.records) > 20  # the run really logged at DEBUG
    assert secret not in text and secret.split(":")[1] not in text
    assert "[REDACTED]" in text
    assert DEMO_TOKEN not in text
