"""Assemble the Application: settings in, a ready-to-run bot out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot.http import AiohttpRequest
from bot.i18n import Catalogs
from bot.language import detect_locale, normalize_locale
from bot.ops import Ops
from bot.pacing import Pacer
from bot.settings import Settings
from domain.calendar import WorkingCalendar
from domain.enums import Locale
from handlers.context import BotContext, Runtime
from handlers.menus import commands_for
from services.time import utc_now
from storage.db import open_database
from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

# PTB requires a token; the demo and tests talk to a local fake server that accepts any.
DEMO_TOKEN = "123456789:DEMO-token-for-the-local-fake-bot-api"


@dataclass
class Built:
    """The application and the pieces the runner wires around it."""

    application: Application[Any, Any, Any, Any, Any, Any]
    uow_factory: Callable[[], SqlUnitOfWork]
    catalogs: Catalogs
    ops: Ops
    dispose: Callable[[], Any]


def build_application(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    token: str | None = None,
) -> Built:
    """Build the bot against the configured Bot API server and database (no updater: the
    durable inbox of bot/inbox.py feeds it)."""
    token = token or settings.telegram_token or DEMO_TOKEN
    database = open_database(settings.database_url)
    sessions = database.sessions
    catalogs = Catalogs(settings.tz)
    api = settings.telegram_api_url

    def uow_factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions)

    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .updater(None)
        .post_init(_post_init)
        # aiohttp instead of httpx for every Bot API call (bot/http.py: where the time went).
        .request(AiohttpRequest(connection_pool_size=256))
        .get_updates_request(AiohttpRequest(connection_pool_size=2))
    )
    if settings.use_rate_limiter:
        builder = builder.rate_limiter(
            Pacer(global_per_second=settings.rate_limit_global_per_second,
                  private_per_second=settings.rate_limit_private_per_second,
                  group_per_minute=settings.rate_limit_group_per_minute))
    app = builder.build()

    def bot_username() -> str:
        return app.bot.username if app.bot._bot_user else "your_bot"

    app.bot_data["runtime"] = Runtime(
        uow_factory=uow_factory,
        clock=clock,
        translator=catalogs.get,
        detect_locale=detect_locale,
        normalize_locale=normalize_locale,
        default_locale=settings.default_locale,
        invite_expiry_days=settings.invite_expiry_days,
        bot_username=bot_username,
        calendar=WorkingCalendar(settings.holiday_region, settings.timezone),
        case_policy=settings.case_policy(),
        admission_policy=settings.admission_policy(),
        info_update_days=settings.info_update_days,
        ladder_policy=settings.ladder_policy(),
        care_policy=settings.care_policy(),
        dialog_timeout=timedelta(minutes=settings.dialog_timeout_minutes),
    )
    app.bot_data["catalogs"] = catalogs
    app.bot_data["default_locale"] = settings.default_locale
    handlers.register(app)
    ops = Ops(uow_factory, settings.ops_chat_id, settings.default_locale)
    return Built(app, uow_factory, catalogs, ops, database.dispose)


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Give strangers a menu in their language (per-chat menus are set on first contact)."""
    catalogs: Catalogs = app.bot_data["catalogs"]
    default = app.bot_data["default_locale"]
    zh = default if default.startswith("zh") else Locale.ZH_HANS.value
    # Telegram scopes menus by two-letter language code only, so "zh" gets one Chinese.
    for code, locale in ((None, default), ("en", Locale.EN.value), ("zh", zh)):
        t = catalogs.get(locale)
        commands = [BotCommand(c, t.gettext(d)) for c, d in commands_for(None)]
        await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault(),
                                      language_code=code)
    log.info("bot @%s ready", app.bot.username)
