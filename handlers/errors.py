"""Turn errors into a clear answer in the user's language; report the unexpected ones.

An unexpected error marks the update as failed so the inbox retries it with backoff (R16); the
user hears an apology once, on the first failure, not on every retry.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.error import Forbidden, TelegramError

from domain.errors import N_, DomainError
from handlers.context import BotContext, Translator
from services.reachability import mark_unreachable

log = logging.getLogger(__name__)

UNEXPECTED = N_("Sorry, something went wrong on our side. Please try again later.")
FAILURES = "update_failures"  # bot_data: update_id -> error text, read by the inbox
ATTEMPTS = "update_attempts"  # bot_data: update_id -> tries so far, written by the inbox


def error_text(t: Translator, error: DomainError) -> str:
    """A domain error in the user's language; a time in it is shown in the company's zone."""
    params = {k: t.datetime(v) if isinstance(v, datetime) else v
              for k, v in error.params.items()}
    return t.gettext(error.message).format(**params)


async def on_error(update: object, context: BotContext) -> None:
    """Answer domain errors politely; record anything else as a failure of the update."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %r", error, exc_info=error)
        return
    if isinstance(error, Forbidden) and update.effective_chat is not None:
        # R5: the user blocked the bot; retrying cannot help, their sales rep is told once.
        await mark_unreachable(context.uow(), update.effective_chat.id, now=context.now(),
                               default_locale=context.runtime.default_locale)
        return
    t = context.t
    if isinstance(error, DomainError):
        text = error_text(t, error)
    else:
        log.error("update %s failed: %r", update.update_id, error, exc_info=error)
        context.bot_data.setdefault(FAILURES, {})[update.update_id] = repr(error)
        if context.bot_data.get(ATTEMPTS, {}).get(update.update_id, 0) > 0:
            return
        text = t.gettext(UNEXPECTED)
    try:
        if update.callback_query is not None:
            # R8: every callback query is answered exactly once, error paths included.
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except TelegramError as exc:
        log.warning("could not tell the user about an error in update %s: %s",
                    update.update_id, exc)
