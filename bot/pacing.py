"""Our own pacing of Bot API calls (R5): global, per private chat and per group, across tasks.

PTB's AIORateLimiter is per process and does not pace private chats, so this limiter reserves a
slot for each call: the earliest moment that respects the global rate, the chat's own rate and
any pause a 429 imposed on that chat. Reservations are made without awaiting, so concurrent
senders never share a slot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Calls that do not send anything to a chat are never held back (getUpdates above all).
SAFETY = 1.02
UNPACED = frozenset({
    "getUpdates", "getMe", "setMyCommands", "deleteMyCommands", "getMyCommands", "setWebhook",
    "deleteWebhook", "getWebhookInfo", "getFile", "answerCallbackQuery", "logOut", "close",
    "getChat", "getChatMember",
})


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class Pacer(BaseRateLimiter[dict[str, Any]]):
    """Spread sends so Telegram's flood limits are never hit; wait out 429s per chat."""

    def __init__(
        self,
        *,
        global_per_second: float = 25.0,
        private_per_second: float = 1.0,
        group_per_minute: float = 20.0,
        max_retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        # A little under each limit: a request's way to Telegram jitters by milliseconds, and
        # two sends that arrive closer than their gap would break the limit at its end.
        self.global_gap = 1.0 / global_per_second * SAFETY
        self.private_gap = 1.0 / private_per_second * SAFETY
        self.group_gap = 60.0 / group_per_minute * SAFETY
        self.max_retries = max_retries
        self.clock = clock
        self.sleep = sleep
        # The global limit is kept as time slices of `global_gap`, one send each, so a send
        # booked far ahead for a busy chat does not hold back sends to other chats.
        self._taken: set[int] = set()
        self._next_chat: dict[int | str, float] = {}
        self._paused: dict[int | str, float] = {}
        self._global_pause = 0.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def pause(self, chat_id: int | str | None, seconds: float) -> None:
        """Hold a chat (or, without one, everything) for `seconds` after a 429."""
        until = self.clock() + seconds
        if chat_id is None:
            self._global_pause = max(self._global_pause, until)
        else:
            self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), until)

    def reserve(self, chat_id: int | str | None) -> float:
        """Book the next slot for a send to `chat_id` and return how long to wait for it."""
        now = self.clock()
        earliest = max(now, self._global_pause)
        if chat_id is not None:
            earliest = max(earliest, self._next_chat.get(chat_id, 0.0),
                           self._paused.get(chat_id, 0.0))
        index = math.ceil(earliest / self.global_gap - 1e-9)
        while index in self._taken:
            index += 1
        self._taken.add(index)
        slot = max(index * self.global_gap, earliest)
        if chat_id is not None:
            gap = self.group_gap if _is_group(chat_id) else self.private_gap
            self._next_chat[chat_id] = slot + gap
        if len(self._taken) > 10_000 or len(self._next_chat) > 50_000:
            self._forget(now)
        return slot - now

    def _forget(self, now: float) -> None:
        floor = math.floor(now / self.global_gap)
        self._taken = {i for i in self._taken if i >= floor}
        self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        self._paused = {c: t for c, t in self._paused.items() if t > now}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> Any:
        if endpoint in UNPACED:
            return await callback(*args, **kwargs)
        chat_id = data.get("chat_id")
        for attempt in range(self.max_retries + 1):
            wait = self.reserve(chat_id)
            if wait > 0:
                await self.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                log.warning("429 from %s for chat %s: pausing it %.1f s", endpoint, chat_id,
                            seconds)
                self.pause(chat_id, seconds)
                if attempt >= self.max_retries:
                    raise
        raise AssertionError("unreachable")


def _is_group(chat_id: int | str) -> bool:
    """Groups and channels have negative ids (or an @username for channels)."""
    return isinstance(chat_id, str) or chat_id < 0
