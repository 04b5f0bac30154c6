"""Pacing (R5) with a controlled clock: global, per chat, per group, and 429 pauses."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.pacing import SAFETY, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sent: list[tuple[float, Any]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer(clock: Clock, **kw: Any) -> Pacer:
    return Pacer(clock=clock, sleep=clock.sleep, **kw)


def test_a_private_chat_gets_one_message_a_second_and_others_are_not_held() -> None:
    clock = Clock()
    p = pacer(clock, global_per_second=25)
    waits = [p.reserve(42) for _ in range(3)]
    assert waits == pytest.approx([0.0, 1.0 * SAFETY, 2.0 * SAFETY])
    assert p.reserve(43) == pytest.approx(0.04 * SAFETY)  # only the global spacing applies


def test_groups_get_twenty_a_minute() -> None:
    p = pacer(Clock())
    assert [p.reserve(-100) for _ in range(3)] == pytest.approx([0.0, 3 * SAFETY, 6 * SAFETY])


def test_a_bulk_is_spread_at_the_global_rate() -> None:
    p = pacer(Clock(), global_per_second=25)
    waits = [p.reserve(chat) for chat in range(1, 101)]
    assert waits[-1] == pytest.approx(99 / 25 * SAFETY)


async def test_a_429_pauses_that_chat_and_the_call_is_retried() -> None:
    clock = Clock()
    p = pacer(clock)
    calls: list[float] = []

    async def send() -> str:
        calls.append(clock.now)
        if len(calls) == 1:
            raise RetryAfter(7)
        return "ok"

    result = await p.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert result == "ok" and calls[1] - calls[0] >= 7
    assert p.reserve(5) >= 0.9  # the chat's own spacing still applies afterwards
    assert p.reserve(6) < 0.1  # other chats were never paused


async def test_get_updates_is_never_held() -> None:
    clock = Clock()
    p = pacer(clock)
    p.pause(None, 100)

    async def poll() -> list[Any]:
        return []

    assert await p.process_request(poll, (), {}, "getUpdates", {}, None) == []
    assert clock.now == 0.0
