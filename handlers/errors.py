"""Turn errors into a clear answer in the user's language; report the unexpected ones.

An unexpected error marks the update as failed so the inbox retries it with backoff (R16); the
user hears an apology once, on the first failure, not on every retry.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.error import Forbidden, TelegramError

from domain.errors import N_, DomainError, Refusal
from handlers.context import BotContext, Translator
from services.audit import record_refusal
from services.reachability import mark_unreachable

log = logging.getLogger(__name__)

UNEXPECTED = N_("Sorry, something went wrong on our side. Please try again later.")
FAILURES = "update_failures"  # bot_data: update_id -> error text, read by the inbox
ATTEMPTS = "update_attempts"  # bot_data: update_id -> tries so far, written by the inbox


def error_text(t: Translator, error: DomainError) -> str:
    """A domain error in the user's language; a time in it is shown in the company's zone."""
    params = {k: t.datetime(v) if isinstance(v, datetime) else v
              for k, v in error.params.items()}
    if error.plural is not None:
        text = t.ngettext(error.message, error.plural, int(error.params["count"]))
    else:
        text = t.gettext(error.message)
    return text.format(**params)


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
        await audit_refusal(update, context, error)
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


async def audit_refusal(update: Update, context: BotContext, error: DomainError,
                        dialog_step: str | None = None) -> None:
    """Keep a refusal in the audit log (R7, R15, R18): the one place every refused button
    press, command and dialog answer passes, so no handler or service has to remember it.

    A service that wrote a more telling entry itself marks the error audited; it is not
    written twice. A failing write is logged and the user still gets their answer (R8).
    """
    actor = context.actor
    if not isinstance(error, Refusal) or error.audited or actor is None:
        return
    query = update.callback_query
    message = update.effective_message
    if dialog_step is not None:
        kind, what = "dialog", dialog_step
    elif query is not None:
        kind, what = "button", query.data or ""
    else:
        kind, what = "command", (message.text or message.caption or "") if message else ""
    try:
        await record_refusal(context.uow(), actor, target_type=kind, target_id=what,
                             reason=error.message, now=context.now())
        error.mark_audited()
    except Exception:  # the refusal stands; only its record is missing
        log.exception("could not audit a refusal in update %s", update.update_id)
