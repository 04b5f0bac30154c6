"""Run the real bot over real HTTP against the fake Bot API, and talk to it as a persona."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.fake_api import FakeBotApi, Persona
from bot.runner import BotRunner
from bot.settings import Settings
from bot.sweeps import Sweeps


@dataclass
class Harness:
    """The running bot, the fake server, and helpers to act as a user."""

    api: FakeBotApi
    clock: Callable[[], datetime]
    runner: BotRunner

    async def say(self, who: Persona, text: str, *, replies: int = 1) -> list[dict[str, Any]]:
        """Send text and return the bot's next `replies` messages in that chat."""
        before = len(self.api.sent_to(who.id))
        await self.api.send_text(who, text)
        msgs = await self.api.wait_for(
            lambda: self.api.sent_to(who.id)[before:]
            if len(self.api.sent_to(who.id)) >= before + replies else None
        )
        return list(msgs)

    async def press(self, who: Persona, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press a button and return the callback answer the bot gave."""
        answers_before = len(self.api.calls_of("answerCallbackQuery"))
        await self.api.press(who, message, data)
        await self.api.wait_for(
            lambda: len(self.api.calls_of("answerCallbackQuery")) > answers_before)
        await asyncio.sleep(0.05)  # let an edit or a follow-up message that comes after land
        return self.api.calls_of("answerCallbackQuery")[-1].params


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (text, callback_data) of every inline button of a message."""
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
            for b in row]


@asynccontextmanager
async def running_bot(
    db_url: str, clock: Callable[[], datetime], *, webhook: bool = False,
    sweeps: Sweeps | None = None, **overrides: Any
) -> AsyncIterator[Harness]:
    """Start the fake Bot API and the real bot (long polling) against it."""
    api = FakeBotApi()
    url = await api.start()
    values: dict[str, Any] = {"use_rate_limiter": False, "default_locale": "en",
                              "poll_timeout_seconds": 1, **overrides}
    settings = Settings(telegram_api_url=url, database_url=db_url, **values)
    runner = BotRunner(settings, clock=clock, webhook=webhook, sweeps=sweeps)
    try:
        await runner.start()
        try:
            yield Harness(api, clock, runner)
        finally:
            await runner.stop()
    finally:
        await api.stop()
