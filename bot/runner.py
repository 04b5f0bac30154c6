"""Run the bot: durable intake (polling or webhook), inbox processor, outbox relay, sweeps.

Stops cleanly on SIGTERM/SIGINT (R17): intake stops first, the update and sends in flight are
finished within a bound, and what is left stays in the database for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram.error import EndPointNotFound, InvalidToken, NetworkError, TelegramError

from bot.app import Built, build_application
from bot.inbox import Fatal, InboxProcessor, Poller, WebhookServer
from bot.jobs import register_daily_jobs, register_deadlines
from bot.language import normalize_locale, warm_up
from bot.leases import LeaseKeeper
from bot.lock import ProcessLock
from bot.logs import protect_logs
from bot.relay import Relay
from bot.settings import Settings
from bot.sweeps import Sweeps
from services.time import utc_now
from storage.reliability import release_all_leases

log = logging.getLogger(__name__)


class BotRunner:
    """Owns the running pieces; `start()`/`stop()` for tests, `run()` for the CLI."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        webhook: bool = False,
        sweeps: Sweeps | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.webhook = webhook
        self.sweeps = sweeps or Sweeps(interval=timedelta(seconds=settings.sweep_interval_seconds))
        self.sweeps.lease = timedelta(seconds=settings.lease_seconds)
        self.ledger = register_deadlines(self.sweeps, settings)
        self.lock = ProcessLock(settings.database_url)
        self.stop_event = asyncio.Event()
        self.exit_code = 0
        self.built: Built | None = None
        self.processor: InboxProcessor | None = None
        self.relay: Relay | None = None
        self.poller: Poller | None = None
        self.webhook_server: WebhookServer | None = None
        self._intake: asyncio.Task[None] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._keeper: asyncio.Task[None] | None = None
        self._keeper_stop = asyncio.Event()  # leases are kept until the last work is done

    @property
    def application(self) -> Any:
        assert self.built is not None
        return self.built.application

    async def start(self) -> None:
        """Acquire the database, initialise the bot and start every loop."""
        protect_logs([self.settings.telegram_token or "", self.settings.webhook_secret or ""])
        self.lock.acquire()
        warm_up()  # load langdetect's profiles now, not on a user's first message
        s = self.settings
        built = self.built = build_application(s, clock=self.clock)
        app = built.application
        try:
            await app.initialize()  # getMe: the first call to the Bot API server
        except (InvalidToken, EndPointNotFound) as exc:
            await _close_requests(app)
            raise Fatal("the Bot API server rejected the bot token (DCM_TELEGRAM_TOKEN)",
                        4) from exc
        except (NetworkError, TelegramError) as exc:
            await _close_requests(app)
            raise Fatal(f"cannot reach the Bot API server at {s.telegram_api_url}: "
                        f"{_reason(exc)} (set DCM_TELEGRAM_API_URL for a self-hosted server)",
                        5) from exc
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        if s.is_sqlite:
            await self._release_stale_leases()
        base = s.inbox_backoff_seconds
        lease = timedelta(seconds=s.lease_seconds)
        # One keeper renews what the inbox, the relay and the sweeps hold (R11). Delivery runs
        # on the real clock (leases, retries); business time is `self.clock`.
        keeper = LeaseKeeper(built.uow_factory, lease=lease)
        self.processor = InboxProcessor(
            app, built.uow_factory, built.ops, max_attempts=s.inbox_max_attempts,
            backoff=lambda tries: min(base * 2 ** (tries - 1), 600.0),
            lease=lease, keeper=keeper)
        self.relay = Relay(app.bot, built.uow_factory, built.catalogs.get, built.ops,
                           default_locale=s.default_locale, lease=lease, keeper=keeper)
        self.sweeps.keeper = keeper
        self.sweeps.owner = keeper.owner
        self.processor.on_processed = self.relay.poke  # send what handlers queued
        register_daily_jobs(self.sweeps, s, built.uow_factory, built.catalogs.get, self.ledger)
        # Everything loaded so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise walk it again and again under load.
        gc.freeze()
        if app.job_queue is not None:
            self.sweeps.install(app.job_queue, built.uow_factory, self.clock, built.ops)
        self._workers = [
            asyncio.create_task(self.processor.run(self.stop_event), name="inbox"),
            asyncio.create_task(self.relay.run(self.stop_event), name="outbox"),
        ]
        self._keeper = asyncio.create_task(keeper.run(self._keeper_stop), name="leases")
        if self.webhook:
            await self._start_webhook()
        else:
            await app.bot.delete_webhook(drop_pending_updates=False)
            self.poller = Poller(app.bot, built.uow_factory, self.processor, built.ops,
                                 timeout=s.poll_timeout_seconds,
                                 conflict_limit=s.conflict_limit,
                                 translator=built.catalogs.get,
                                 normalize_locale=normalize_locale,
                                 default_locale=s.default_locale)
            self._intake = asyncio.create_task(self._poll(), name="poller")

    async def _start_webhook(self) -> None:
        s = self.settings
        assert self.built is not None and self.processor is not None
        if not s.webhook_url or not s.webhook_secret:
            raise Fatal("webhook mode needs DCM_WEBHOOK_URL and DCM_WEBHOOK_SECRET", 2)
        self.webhook_server = WebhookServer(
            self.built.uow_factory, self.processor, secret=s.webhook_secret,
            path=s.webhook_path, listen=s.webhook_listen, port=s.webhook_port,
            max_body=s.webhook_max_body)
        await self.webhook_server.start()
        await self.application.bot.set_webhook(
            url=s.webhook_url.rstrip("/") + s.webhook_path, secret_token=s.webhook_secret,
            allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"])

    async def _poll(self) -> None:
        assert self.poller is not None
        try:
            await self.poller.run(self.stop_event)
        except Fatal as exc:
            self.exit_code = exc.exit_code
            self.stop_event.set()

    async def _release_stale_leases(self) -> None:
        """On SQLite only this process runs, so leases left by a killed one are void."""
        assert self.built is not None
        async with self.built.uow_factory() as uow:
            await release_all_leases(uow.session)
            await uow.commit()

    async def stop(self) -> None:
        """Stop intake, finish what is in flight (bounded), and close everything."""
        self.stop_event.set()
        timeout = self.settings.shutdown_timeout_seconds
        if self._intake is not None:
            # An in-flight getUpdates is abandoned unconfirmed: Telegram sends it again.
            self._intake.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._intake
        if self.webhook_server is not None:
            await self.webhook_server.stop()
        if self._workers:
            _, pending = await asyncio.wait(self._workers, timeout=timeout)
            for task in pending:
                log.warning("%s did not finish within %.0f s; its work is left for the next "
                            "start", task.get_name(), timeout)
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        if self._keeper is not None:
            self._keeper_stop.set()
            await asyncio.gather(self._keeper, return_exceptions=True)
        if self.built is not None:
            app = self.built.application
            if app.running:
                await app.stop()
            await app.shutdown()
            await self.built.dispose()
        self.lock.release()

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT or a fatal intake error; return the exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop_event.set)
        try:
            await self.start()
            log.info("running; send SIGTERM to stop")
            await self.stop_event.wait()
        except Fatal as exc:
            log.critical("%s", exc)
            self.exit_code = exc.exit_code
        finally:
            await self.stop()
        return self.exit_code


async def _close_requests(app: Any) -> None:
    """Close the HTTP sessions of a bot that never got initialised (nothing else will)."""
    for request in {id(r): r for r in (app.bot.request, app.bot._request[0])}.values():
        with contextlib.suppress(Exception):
            await request.shutdown()


def _reason(exc: Exception) -> str:
    """Why a call failed, in a few words (the transport's own message, no URL with a token)."""
    text = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
    return text.split(" [", 1)[0][:200]
