"""Turn errors into a clear answer in the user's language; log the unexpected ones."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from domain.errors import N_, DomainError
from handlers.context import BotContext

log = logging.getLogger(__name__)

UNEXPECTED = N_("Sorry, something went wrong on our side. Please try again later.")


async def on_error(update: object, context: BotContext) -> None:
    """Answer domain errors politely; log anything else with the update id."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %r", error, exc_info=error)
        return
    t = context.t
    if isinstance(error, DomainError):
        text = t.gettext(error.message).format(**error.params)
    else:
        log.error("update %s failed: %r", update.update_id, error, exc_info=error)
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
