"""Pacing (R5) with a virtual clock: global, per chat, per group, 429 pauses, priorities."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.pacing import SAFETY, Pacer


class VirtualClock:
    """Time moves only when every task is waiting: then it jumps to the earliest wake-up."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, *coros: Any) -> list[Any]:
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task reach its next wait
                await asyncio.sleep(0)
            if self._timers:
                at, _, future = heapq.heappop(self._timers)
                self.now = max(self.now, at)
                future.set_result(None)
        return [t.result() for t in tasks]


def pacer(clock: VirtualClock, **kw: Any) -> Pacer:
    return Pacer(clock=clock, sleep=clock.sleep, **kw)


def sender(clock: VirtualClock, p: Pacer, log: list[tuple[float, Any]]):
    async def send(chat: Any, endpoint: str = "sendMessage") -> None:
        async def call() -> None:
            log.append((clock.now, chat))

        await p.process_request(call, (), {}, endpoint, {"chat_id": chat}, None)

    return send


def windows_over(times: list[float], span: float, allowed: int) -> int:
    times = sorted(times)
    return sum(1 for i, t in enumerate(times)
               if sum(1 for u in times[i:] if u < t + span) > allowed)


async def test_a_private_chat_gets_one_message_a_second_and_others_are_not_held() -> None:
    clock, log = VirtualClock(), []
    p = pacer(clock, global_per_second=25)
    send = sender(clock, p, log)
    await clock.run(*(send(42) for _ in range(3)), send(43))
    at = {chat: [t for t, c in log if c == chat] for chat in (42, 43)}
    assert at[42] == pytest.approx([0.0, 1.0 * SAFETY, 2.0 * SAFETY])
    assert at[43] == [pytest.approx(0.04 * SAFETY)]  # only the global spacing applies


async def test_groups_get_twenty_a_minute() -> None:
    clock, log = VirtualClock(), []
    p = pacer(clock)
    await clock.run(*(sender(clock, p, log)(-100) for _ in range(3)))
    assert [t for t, _ in log] == pytest.approx([0.0, 3 * SAFETY, 6 * SAFETY])


async def test_a_bulk_is_spread_at_the_global_rate_with_no_window_over() -> None:
    clock, log = VirtualClock(), []
    p = pacer(clock, global_per_second=25)
    await clock.run(*(sender(clock, p, log)(chat) for chat in range(1, 101)))
    times = [t for t, _ in log]
    assert times[-1] == pytest.approx(99 / 25 * SAFETY)
    assert windows_over(times, 1.0, 25) == 0


async def test_a_streaming_group_is_not_held_behind_a_bulk_of_one_off_alerts() -> None:
    clock, log = VirtualClock(), []
    p = pacer(clock, global_per_second=25, group_per_minute=60)
    send = sender(clock, p, log)
    # The group's first message goes with the bulk; its next ones must keep their 1 s pace
    # even though 400 alerts (16 s at the global rate) were queued before them.
    await clock.run(send(-5), *(send(chat) for chat in range(1, 401)),
                    *(send(-5) for _ in range(9)))
    group = [t for t, c in log if c == -5]
    assert group == pytest.approx([n * SAFETY for n in range(10)], abs=0.05)
    assert windows_over([t for t, _ in log], 1.0, 25) == 0
    assert len(log) == 410


async def test_a_429_pauses_that_chat_and_the_call_is_retried() -> None:
    clock = VirtualClock()
    p = pacer(clock)
    calls: list[float] = []

    async def send() -> str:
        calls.append(clock.now)
        if len(calls) == 1:
            raise RetryAfter(7)
        return "ok"

    [result] = await clock.run(p.process_request(send, (), {}, "sendMessage", {"chat_id": 5},
                                                 None))
    assert result == "ok" and calls[1] - calls[0] >= 7
    log: list[tuple[float, Any]] = []
    start = clock.now
    await clock.run(sender(clock, p, log)(5), sender(clock, p, log)(6))
    at = dict((c, t - start) for t, c in log)
    assert at[5] >= 0.9  # the chat's own spacing still applies afterwards
    assert at[6] < 0.1  # other chats were never paused


async def test_get_updates_is_never_held() -> None:
    clock = VirtualClock()
    p = pacer(clock)
    p.pause(None, 100)

    async def poll() -> list[Any]:
        return []

    assert await p.process_request(poll, (), {}, "getUpdates", {}, None) == []
    assert clock.now == 0.0
