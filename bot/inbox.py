"""The durable inbox (R1, R16): store updates before confirming them, then process them.

Polling confirms an update only by asking for a higher offset, and this poller asks for it only
after the update is committed to the database; the webhook answers 200 only after the commit.
The processor handles stored updates in order, retries a failed one with backoff while later
ones keep flowing, and sets it aside (dead letter) after N tries.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import (
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    TelegramError,
)

from bot import ops
from bot.leases import LeaseKeeper
from bot.ops import Ops
from bot.waiting import seconds_until, wait_any
from domain.errors import N_
from handlers.errors import ATTEMPTS, FAILURES
from services.time import utc_now
from storage.models import InboxUpdate
from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)
# We call getUpdates through do_api_request on purpose (raw JSON, parsed once); PTB nudges.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'")

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
LAST_POLL = "poll"


class Fatal(Exception):
    """Intake cannot go on (another poller, a revoked token); the process must exit non-zero."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class InboxProcessor:
    """Process stored updates through the PTB Application, once each."""

    def __init__(
        self,
        app: Any,
        uow_factory: Callable[[], SqlUnitOfWork],
        ops_alerts: Ops,
        *,
        max_attempts: int = 5,
        lease: timedelta = timedelta(minutes=5),
        backoff: Callable[[int], float] = lambda attempt: min(2.0 ** attempt, 300.0),
        clock: Callable[[], datetime] = utc_now,
        concurrency: int = 8,
        on_processed: Callable[[], None] = lambda: None,
        keeper: LeaseKeeper | None = None,
    ) -> None:
        self.app = app
        self.on_processed = on_processed
        self.uow_factory = uow_factory
        self.ops = ops_alerts
        self.max_attempts = max_attempts
        self.lease = lease
        self.backoff = backoff
        self.clock = clock
        self.keeper = keeper or LeaseKeeper(uow_factory, lease=lease, clock=clock)
        self.wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._done = DoneMarks(uow_factory, self.keeper, clock)

    async def run(self, stop: asyncio.Event) -> None:
        """Process until `stop`; the update in hand is finished first (R17)."""
        while not stop.is_set():
            self.wake.clear()  # before looking: a wake-up during the pass is not lost
            try:
                handled = await self.run_once(stop)
            except Exception:
                log.exception("inbox pass failed; retrying")
                handled = 0
            if handled == 0:
                await self._sleep(stop)

    async def _sleep(self, stop: asyncio.Event) -> None:
        try:
            async with self.uow_factory() as uow:
                due = await uow.inbox.next_due_at()
        except (SQLAlchemyError, OSError):
            due = None  # the database is down: nap, then try again
        await wait_any(self.wake, stop, seconds=seconds_until(due, self.clock()))

    async def run_once(self, stop: asyncio.Event | None = None, limit: int = 50) -> int:
        """Claim a batch of due updates and process them in order; return how many."""
        async with self.uow_factory() as uow:
            rows = await uow.inbox.claim(self.clock(), lease=self.lease, limit=limit,
                                         owner=self.keeper.owner)
            await uow.commit()
        self.keeper.hold("inbox", (row.update_id for row in rows))
        # Chats are independent: while one waits for Telegram, another's update is handled.
        # Within a chat, updates stay in order.
        by_chat: dict[int, list[InboxUpdate]] = {}
        for row in rows:
            by_chat.setdefault(_chat_of(row.payload), []).append(row)
        unstarted: list[InboxUpdate] = []

        async def one_chat(chat_rows: list[InboxUpdate]) -> None:
            for index, row in enumerate(chat_rows):
                if stop is not None and stop.is_set():
                    unstarted.extend(chat_rows[index:])
                    return
                async with self._slots:
                    if await self.process(row):
                        self.on_processed()  # what was handled may have queued messages
                        # Marked done at once (R1): a crash re-handles at most the updates
                        # whose mark was still on its way, not the rest of the batch.
                        await self._done.mark(row.update_id)

        await asyncio.gather(*(one_chat(chat_rows) for chat_rows in by_chat.values()))
        if unstarted:
            # Stopping: release what we have not started, so nothing waits for the lease.
            await self._release(unstarted)
        return len(rows) - len(unstarted)

    async def _release(self, rows: list[InboxUpdate]) -> None:
        ids = [r.update_id for r in rows]
        async with self.uow_factory() as uow:
            await uow.inbox.release(ids, owner=self.keeper.owner)
            await uow.commit()
        self.keeper.drop("inbox", ids)

    async def process(self, row: InboxUpdate) -> bool:
        """Run one stored update through the handlers; True if it succeeded (the caller marks
        it done), else record the failure."""
        update_id = row.update_id
        failures: dict[int, str] = self.app.bot_data.setdefault(FAILURES, {})
        attempts: dict[int, int] = self.app.bot_data.setdefault(ATTEMPTS, {})
        attempts[update_id] = row.attempts
        try:
            update = Update.de_json(row.payload, self.app.bot)
            await self.app.process_update(update)
        except Exception as exc:  # a payload PTB cannot read, or an error-handler crash
            log.exception("update %s could not be processed", update_id)
            failures[update_id] = repr(exc)
        finally:
            attempts.pop(update_id, None)
        error = failures.pop(update_id, None)
        if error is None:
            return True
        now = self.clock()
        tries = row.attempts + 1
        retry_at = None
        if tries < self.max_attempts:
            retry_at = now + timedelta(seconds=self.backoff(tries))
        async with self.uow_factory() as uow:
            ours = await uow.inbox.fail(update_id, error, now, retry_at=retry_at,
                                        owner=self.keeper.owner)
            await uow.commit()
        self.keeper.drop("inbox", [update_id])
        if ours and retry_at is None:
            log.error("update %s dead-lettered after %s tries: %s", update_id, tries, error)
            await self.ops.tell(f"dead:{update_id}", ops.DEAD_LETTER, now,
                                update_id=update_id, count=tries, error=error)
        return False


class DoneMarks:
    """Mark handled updates done as soon as they are handled, in group commits.

    One commit per batch (as before) meant a crash re-handled, and answered again, every
    handled update of the batch. Here the handler's own task commits its mark right away when
    no commit is running (on SQLite the commit runs inline, so the mark lands in the same step
    as the handler's return); updates that finish while a commit runs share the next one, so a
    busy bot still writes few commits, and a crash re-handles only updates in flight.
    """

    def __init__(self, uow_factory: Callable[[], SqlUnitOfWork], keeper: LeaseKeeper,
                 clock: Callable[[], datetime]) -> None:
        self.uow_factory = uow_factory
        self.keeper = keeper
        self.clock = clock
        self._pending: list[int] = []
        self._round: asyncio.Future[None] | None = None  # the commit the pending marks await
        self._busy = False

    async def mark(self, update_id: int) -> None:
        """Return once `update_id` is committed done."""
        self._pending.append(update_id)
        if self._busy:
            if self._round is None:
                self._round = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._round)
            return
        self._busy = True
        try:
            # One turn of the event loop first: the other chats' updates that finish in it
            # share this commit (on SQLite a commit runs inline and never yields, so without
            # this turn every update would pay a commit of its own).
            await asyncio.sleep(0)
            await self._flush()
        finally:
            self._busy = False

    async def _flush(self) -> None:
        failures = 0
        while self._pending:
            ids, self._pending = self._pending, []
            waiting, self._round = self._round, None
            try:
                async with self.uow_factory() as uow:
                    await uow.inbox.finish_many(ids, self.clock(), owner=self.keeper.owner)
                    await uow.commit()
            except (SQLAlchemyError, OSError) as exc:
                # The database is down: keep the marks and try again; leases are renewed
                # meanwhile so no one else takes these updates while the marks wait.
                self._pending = ids + self._pending
                if waiting is not None:  # those waiters wait for the next try, as do new ones
                    newer, self._round = self._round, waiting
                    if newer is not None:
                        waiting.add_done_callback(_resolve(newer))
                failures += 1
                log.warning("could not mark %d update(s) done (%s); retrying", len(ids), exc)
                await asyncio.sleep(min(0.5 * failures, 5.0))
                continue
            failures = 0
            self.keeper.drop("inbox", ids)
            if waiting is not None:
                waiting.set_result(None)


def _resolve(future: asyncio.Future[None]) -> Callable[[Any], None]:
    """A done-callback that resolves `future` too (marks that waited behind a failed try)."""

    def done(_: Any) -> None:
        if not future.done():
            future.set_result(None)

    return done


def _chat_of(payload: dict[str, Any]) -> int:
    """The chat (or, failing that, the user) an update belongs to, for per-chat ordering."""
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = payload.get(key)
        if isinstance(part, dict):
            message = part.get("message") if key == "callback_query" else part
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                return int(message["chat"].get("id", 0))
            if isinstance(part.get("from"), dict):
                return int(part["from"].get("id", 0))
    return 0


UNAVAILABLE = N_("Sorry, I cannot serve you right now because of a technical problem. Your "
                 "message is kept and will be answered as soon as I am back.")


class Poller:
    """Long-poll getUpdates; store, commit, and only then ask for the next offset."""

    def __init__(
        self,
        bot: Any,
        uow_factory: Callable[[], SqlUnitOfWork],
        processor: InboxProcessor,
        ops_alerts: Ops,
        *,
        timeout: int = 30,
        conflict_limit: int = 3,
        clock: Callable[[], datetime] = utc_now,
        translator: Callable[[str], Any],
        normalize_locale: Callable[[str | None], str | None],
        default_locale: str,
    ) -> None:
        self.bot = bot
        self.translator = translator
        self.normalize_locale = normalize_locale
        self.default_locale = default_locale
        self.outage = False
        self._apologised: set[int] = set()
        self.uow_factory = uow_factory
        self.processor = processor
        self.ops = ops_alerts
        self.timeout = timeout
        self.conflict_limit = conflict_limit
        self.clock = clock
        self.offset: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop`; raise Fatal on repeated 409 Conflict or a rejected token."""
        conflicts = 0
        failures = 0
        while not stop.is_set():
            try:
                # Raw JSON: it is stored as it came, and parsed once, when it is processed.
                raw = await self.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={"offset": self.offset, "timeout": self.timeout,
                                "allowed_updates": ALLOWED_UPDATES},
                    read_timeout=self.timeout + 10)
            except Conflict as exc:
                conflicts += 1
                log.warning("409 Conflict from getUpdates (%s in a row): %s", conflicts, exc)
                if conflicts >= self.conflict_limit:
                    # R12: two pollers steal each other's updates; this one steps aside loudly.
                    log.critical("another process is polling with this token; stopping")
                    await self.ops.tell(f"conflict:{self.clock():%Y%m%d%H}", ops.CONFLICT,
                                        self.clock())
                    raise Fatal("409 Conflict: another poller is running", 3) from exc
                await wait_any(stop, seconds=1.0)
                continue
            except (InvalidToken, EndPointNotFound) as exc:
                log.critical("the bot token was rejected by the Bot API server")
                raise Fatal("the bot token was rejected", 4) from exc
            except (NetworkError, TelegramError) as exc:
                failures += 1
                delay = min(2.0 ** failures, 30.0)
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await wait_any(stop, seconds=delay)
                continue
            conflicts = failures = 0
            payloads = [u for u in raw if isinstance(u, dict) and "update_id" in u]
            try:
                await self.store(payloads)
            except (SQLAlchemyError, OSError) as exc:
                # The database is down. The offset stays where it is, so Telegram keeps
                # these updates (and sends them again with any new ones on the next poll);
                # each writer is told once that we cannot serve them right now.
                if not self.outage:
                    log.error("database unavailable, holding %s update(s): %s",
                              len(payloads), exc)
                self.outage = True
                await self._apologise(payloads)
                await wait_any(stop, seconds=2.0)
                continue
            if self.outage:
                log.warning("database available again; catching up")
                self.outage = False
                self._apologised.clear()

    async def _apologise(self, payloads: list[dict[str, Any]]) -> None:
        for payload in payloads:
            update_id = payload["update_id"]
            message = payload.get("message")
            if update_id in self._apologised or not isinstance(message, dict):
                continue
            self._apologised.add(update_id)
            chat = (message.get("chat") or {}).get("id")
            user = message.get("from") or {}
            locale = self.normalize_locale(user.get("language_code")) or self.default_locale
            try:
                await self.bot.send_message(chat, self.translator(locale).gettext(UNAVAILABLE))
            except TelegramError as exc:
                log.warning("could not tell chat %s about the outage: %s", chat, exc)

    async def store(self, payloads: list[dict[str, Any]]) -> None:
        """Commit updates (and the time of this good poll); then move the offset past them."""
        async with self.uow_factory() as uow:
            if payloads:
                await uow.inbox.store(payloads, self.clock())
            await uow.state.put(LAST_POLL, {"at": self.clock().isoformat()}, self.clock())
            await uow.commit()
        if payloads:
            self.offset = max(p["update_id"] for p in payloads) + 1
            self.processor.wake.set()


class WebhookServer:
    """Receive updates by webhook (R13): secret checked first, stored, then 200."""

    def __init__(
        self,
        uow_factory: Callable[[], SqlUnitOfWork],
        processor: InboxProcessor,
        *,
        secret: str,
        path: str,
        listen: str,
        port: int,
        max_body: int = 1_000_000,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory = uow_factory
        self.processor = processor
        self.secret = secret.encode()
        self.path = path
        self.listen = listen
        self.port = port
        self.max_body = max_body
        self.clock = clock
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(self.path, self.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403)  # before reading a byte of the body
        if request.content_length is not None and request.content_length > self.max_body:
            return web.Response(status=413)
        try:
            body = await request.read()
            payload = json.loads(body)
            if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
                raise ValueError("no update_id")
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        except ValueError:
            return web.Response(status=400)
        try:
            async with self.uow_factory() as uow:
                await uow.inbox.store([payload], self.clock())
                await uow.state.put(LAST_POLL, {"at": self.clock().isoformat(),
                                                "via": "webhook"}, self.clock())
                await uow.commit()
        except (SQLAlchemyError, OSError) as exc:
            # Not stored, so not acknowledged: Telegram sends it again later.
            log.error("database unavailable, webhook update %s not accepted: %s",
                      payload["update_id"], exc)
            return web.Response(status=503)
        self.processor.wake.set()
        return web.Response(status=200)
