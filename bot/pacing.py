"""Our own pacing of Bot API calls (R5): global, per private chat and per group, across tasks.

PTB's AIORateLimiter does not pace private chats and lets its group limiter run over, so this
limiter gives each call a turn: the earliest moment that respects the chat's own rate, any pause
a 429 imposed on that chat, and the global rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
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
    """Spread sends so Telegram's flood limits are never hit; wait out 429s per chat.

    A send first waits for its chat (the chat's own rate, and any 429 pause), then for a turn
    at the global rate. Turns are handed out one at a time, spaced from the moment the last
    one was really taken (a late event loop never squeezes two sends together), and a chat
    that is streaming (a group, a busy private chat) goes before first messages to other
    chats: its rate sets how long a bulk takes, so its turns must not queue behind a
    thousand one-off alerts that have all the time in the world.
    """

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
        self._next_chat: dict[int | str, float] = {}
        self._last_sent: dict[int | str, float] = {}
        self._paused: dict[int | str, float] = {}
        self._global_pause = 0.0
        self._next_turn = 0.0
        self._waiting: list[tuple[float, int, asyncio.Future[float]]] = []
        self._order = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    def pause(self, chat_id: int | str | None, seconds: float) -> None:
        """Hold a chat (or, without one, everything) for `seconds` after a 429."""
        until = self.clock() + seconds
        if chat_id is None:
            self._global_pause = max(self._global_pause, until)
        else:
            self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), until)

    def _gap(self, chat_id: int | str) -> float:
        return self.group_gap if _is_group(chat_id) else self.private_gap

    async def turn(self, chat_id: int | str | None) -> float:
        """Wait until a send to `chat_id` respects every limit; return the moment it may go."""
        if chat_id is not None:
            while True:  # the chat's own rate and pause
                now = self.clock()
                ready = max(self._next_chat.get(chat_id, 0.0), self._paused.get(chat_id, 0.0))
                if ready <= now:
                    break
                await self.sleep(ready - now)
            # Hold the chat's place so a concurrent send to it waits for the next one.
            self._next_chat[chat_id] = now + self._gap(chat_id)
        priority = 0.0
        if chat_id is not None:
            last = self._last_sent.get(chat_id)
            if last is not None and now - last <= 2 * self._gap(chat_id):
                priority = -self._gap(chat_id)  # streaming: slower chats first
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="pacer")
        taken = await future
        if chat_id is not None:
            # A group keeps its own pace from when it was ready, so the wait for a global turn
            # does not add up over a long stream; but never closer to its last send than the
            # 60 s window allows, keeping half the safety margin for network jitter. A private
            # chat's window is one message long: it is spaced from the real send, all margin
            # kept.
            gap = self._gap(chat_id)
            slack = 60.0 * (SAFETY - 1.0) / 2 if _is_group(chat_id) else 0.0
            self._last_sent[chat_id] = taken
            self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0),
                                           taken + gap - slack)
            if len(self._last_sent) > 50_000:
                self._forget(taken)
        return taken

    async def _dispatch(self) -> None:
        """Hand out global turns, best priority first, spaced from when each was taken."""
        while self._waiting:
            wait = max(self._next_turn, self._global_pause) - self.clock()
            if wait > 0:
                await self.sleep(wait)
                continue
            _, _, future = heapq.heappop(self._waiting)
            if future.done():  # its sender was cancelled
                continue
            now = self.clock()
            self._next_turn = now + self.global_gap
            future.set_result(now)

    def _forget(self, now: float) -> None:
        horizon = now - 2 * self.group_gap
        self._last_sent = {c: t for c, t in self._last_sent.items() if t > horizon}
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
            taken = await self.turn(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                log.warning("429 from %s for chat %s: pausing it %.1f s", endpoint, chat_id,
                            seconds)
                if chat_id is not None:  # refused, so not a send: only the pause holds it
                    self._next_chat[chat_id] = taken
                self.pause(chat_id, seconds)
                if attempt >= self.max_retries:
                    raise
        raise AssertionError("unreachable")


def _is_group(chat_id: int | str) -> bool:
    """Groups and channels have negative ids (or an @username for channels)."""
    return isinstance(chat_id, str) or chat_id < 0
