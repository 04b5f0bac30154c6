"""The outbox relay (R2-R4): send what services queued, once, paced, and report the doubtful."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import ops
from bot.http import sent_nothing
from bot.leases import LeaseKeeper
from bot.ops import Ops
from bot.waiting import seconds_until, wait_any
from handlers.context import Translator
from handlers.notices import render_notice
from services.reachability import mark_unreachable
from services.time import utc_now
from storage.models import OutboxMessage
from storage.reliability import OutboxRepository
from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8


def _safe_to_retry(exc: TimedOut) -> bool:
    """A timeout before the request left (connect, pool) is safe to retry; after, it is not."""
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout) or sent_nothing(exc):
        return True
    return "pool" in str(exc).lower()


class Relay:
    """Claims due outbox rows and sends them: a worker per chat, each chat in order.

    A chat that must wait (1 message a second in a private chat, 20 a minute in a group, or a
    429 pause) holds up only its own worker, so a bulk of alerts flows at the global rate
    while a busy chat drains at its own (R5). Each chat queues only a few rows at a time, so
    a claimed row is sent well within its lease.
    """

    def __init__(
        self,
        bot: Any,
        uow_factory: Callable[[], SqlUnitOfWork],
        translator: Callable[[str], Translator],
        ops_alerts: Ops,
        *,
        default_locale: str,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 100,
        clock: Callable[[], datetime] = utc_now,
        max_queued: int = 500,
        private_depth: int = 10,
        group_depth: int = 3,
        keeper: LeaseKeeper | None = None,
    ) -> None:
        self.bot = bot
        self.keeper = keeper or LeaseKeeper(uow_factory, lease=lease, clock=clock)
        self.uow_factory = uow_factory
        self.translator = translator
        self.ops = ops_alerts
        self.default_locale = default_locale
        self.lease = lease
        self.batch = batch
        self.clock = clock
        self.wake = asyncio.Event()
        self.max_queued = max_queued
        self.private_depth = private_depth
        self.group_depth = group_depth
        self._queues: dict[int, deque[OutboxMessage]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._stopping = False
        self._seen_queued = OutboxRepository.queued

    def poke(self) -> None:
        """Wake up if messages were queued in this process since the last look."""
        if OutboxRepository.queued != self._seen_queued:
            self._seen_queued = OutboxRepository.queued
            self.wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop`; sends in flight finish, queued ones are given back (R17)."""
        while not stop.is_set():
            self.wake.clear()  # before looking: a wake-up during the pass is not lost
            try:
                await self.recover()
                claimed = await self.fill()
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                claimed = 0
            if claimed == 0:
                await self._sleep_until_due(stop)
        await self.drain()

    def _depth(self, chat_id: int) -> int:
        return self.group_depth if chat_id < 0 else self.private_depth

    async def fill(self) -> int:
        """Claim due rows for chats that have room, and start their workers."""
        room = self.max_queued - sum(len(q) for q in self._queues.values())
        if room <= 0:
            return 0
        full = [c for c, q in self._queues.items() if len(q) >= self._depth(c)]
        async with self.uow_factory() as uow:
            rows = await uow.outbox.claim(self.clock(), lease=self.lease,
                                          limit=min(self.batch, room), exclude_chats=full,
                                          private_depth=self.private_depth,
                                          group_depth=self.group_depth,
                                          owner=self.keeper.owner)
            await uow.commit()
        held = self.keeper.held["outbox"]
        # A row already in a queue here came back only if its lease ran out while the database
        # was unreachable (no renewal): it is ours and queued once already.
        rows = [row for row in rows if row.id not in held]
        self.keeper.hold("outbox", (row.id for row in rows))
        taken = 0
        for row in rows:
            queue = self._queues.setdefault(row.chat_id, deque())
            if len(queue) >= self._depth(row.chat_id):
                await self._give_back([row])  # this chat filled up within the batch
                continue
            queue.append(row)
            taken += 1
            if row.chat_id not in self._workers:
                self._workers[row.chat_id] = asyncio.create_task(self._work(row.chat_id))
        return taken

    async def _work(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue and not self._stopping:
                await self._send(queue.popleft())
        finally:
            if not queue:
                self._queues.pop(chat_id, None)
            self._workers.pop(chat_id, None)
            self.wake.set()  # room for more

    async def drain(self) -> None:
        """Stop: let each worker finish its current send, and give back what waits."""
        self._stopping = True
        if self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)
        waiting = [row for queue in self._queues.values() for row in queue]
        self._queues.clear()
        if waiting:
            await self._give_back(waiting)
        self._stopping = False

    async def _give_back(self, rows: list[OutboxMessage]) -> None:
        ids = [row.id for row in rows]
        async with self.uow_factory() as uow:
            await uow.outbox.release(ids, owner=self.keeper.owner)
            await uow.commit()
        self.keeper.drop("outbox", ids)

    async def _sleep_until_due(self, stop: asyncio.Event) -> None:
        # With workers busy, what is due belongs to full chats: wait for a worker to make room
        # (it sets `wake`) instead of asking the database again and again.
        seconds = 1.0
        if not self._workers:
            with contextlib.suppress(SQLAlchemyError, OSError):  # down: nap, then try again
                async with self.uow_factory() as uow:
                    seconds = seconds_until(await uow.outbox.next_due_at(), self.clock())
        await wait_any(self.wake, stop, seconds=seconds)

    async def run_once(self) -> int:
        """Claim what is due now and wait until it is sent (tests, tools); return how many."""
        await self.recover()
        claimed = await self.fill()
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
        return claimed

    async def recover(self) -> int:
        """Sends cut off by a crash may have reached Telegram: report them, never resend (R4)."""
        now = self.clock()
        async with self.uow_factory() as uow:
            stuck = await uow.outbox.settle_stuck(now)
            await uow.commit()
        for row in stuck:
            await self.ops.tell(f"uncertain:{row.id}", ops.UNCERTAIN, now,
                                chat_id=row.chat_id, ref=row.idempotency_key)
        return len(stuck)

    async def _send(self, row: OutboxMessage) -> None:
        now = self.clock
        payload = row.payload
        async with self.uow_factory() as uow:
            ours = await uow.outbox.mark_sending(row.id, owner=self.keeper.owner)
            await uow.commit()
        if not ours:
            # Our lease ran out (the database was unreachable) and another process has the
            # row: it sends it, not us.
            log.warning("outbox row %s is no longer held by this process; not sending", row.id)
            self.keeper.drop("outbox", [row.id])
            return
        try:
            t = self.translator(payload.get("locale") or self.default_locale)
            username = self.bot.username if getattr(self.bot, "_bot_user", None) else ""
            text, parse_mode, keyboard = render_notice(t, payload, username)
            if row.method == "sendDocument" and payload.get("letter"):
                message = await self._send_letter(row.chat_id, int(payload["letter"]), text,
                                                  parse_mode)
            else:
                message = await self.bot.send_message(row.chat_id, text,
                                                      parse_mode=parse_mode,
                                                      reply_markup=keyboard)
        except RetryAfter as exc:
            seconds = exc.retry_after
            wait = seconds.total_seconds() if hasattr(seconds, "total_seconds") else seconds
            await self._settle(row, "pending", error=str(exc),
                               retry_at=now() + timedelta(seconds=float(wait)))
        except Forbidden as exc:
            await self._settle(row, "failed", error=str(exc))
            await mark_unreachable(self.uow_factory(), row.chat_id, now=now(),
                                   default_locale=self.default_locale)
        except TimedOut as exc:
            if _safe_to_retry(exc):
                await self._retry(row, exc)
            else:
                # R4: the request may have reached Telegram; resending could double it.
                log.warning("send of outbox row %s timed out after it left: %r (cause %r)",
                            row.id, exc, exc.__cause__)
                await self._settle(row, "uncertain", error=f"timed out: {exc}")
                await self.ops.tell(f"uncertain:{row.id}", ops.UNCERTAIN, now(),
                                    chat_id=row.chat_id, ref=row.idempotency_key)
        except BadRequest as exc:
            await self._settle(row, "failed", error=str(exc))
            await self.ops.tell(f"failed:{row.id}", ops.SEND_FAILED, now(),
                                chat_id=row.chat_id, error=str(exc), ref=row.idempotency_key)
        except NetworkError as exc:  # connection refused, reset, 5xx: nothing was delivered
            await self._retry(row, exc)
        except Exception as exc:  # a bad payload must not stop the relay
            log.exception("outbox message %s could not be rendered or sent", row.id)
            await self._settle(row, "failed", error=repr(exc))
            await self.ops.tell(f"failed:{row.id}", ops.SEND_FAILED, now(),
                                chat_id=row.chat_id, error=repr(exc), ref=row.idempotency_key)
        else:
            await self._settle(row, "sent", telegram_message_id=message.message_id)

    async def _send_letter(self, chat_id: int, letter_id: int, caption: str,
                           parse_mode: str | None) -> Any:
        """A kept document (a dunning letter) goes out as a file with its caption."""
        async with self.uow_factory() as uow:
            letter = await uow.receivables.letter(letter_id)
            if letter is None:
                raise LookupError(f"letter {letter_id} is gone")
            pdf, filename = letter.pdf, letter.filename
        return await self.bot.send_document(chat_id, InputFile(pdf, filename=filename),
                                            caption=caption[:1024], parse_mode=parse_mode)

    async def _retry(self, row: OutboxMessage, exc: Exception) -> None:
        if row.attempts + 1 >= MAX_SEND_ATTEMPTS:
            await self._settle(row, "failed", error=str(exc))
            await self.ops.tell(f"failed:{row.id}", ops.SEND_FAILED, self.clock(),
                                chat_id=row.chat_id, error=str(exc), ref=row.idempotency_key)
            return
        delay = min(2 ** row.attempts, 300)
        await self._settle(row, "pending", error=str(exc),
                           retry_at=self.clock() + timedelta(seconds=delay))

    async def _settle(self, row: OutboxMessage, status: str, **kw: Any) -> None:
        async with self.uow_factory() as uow:
            ours = await uow.outbox.settle(row.id, status=status, now=self.clock(),
                                           owner=self.keeper.owner, **kw)
            await uow.commit()
        self.keeper.drop("outbox", [row.id])
        if not ours:
            log.error("outbox row %s ended %s after this process lost its lease", row.id,
                      status)
