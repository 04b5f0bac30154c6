"""Telegram adapters: parse, call one service, render, reply."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import (
    admission,
    buttons,
    care,
    casedesk,
    common,
    complaints,
    customer_file,
    dialogs,
    inbound,
    invites,
    orders,
    receivables,
)
from handlers.context import BotContext
from handlers.errors import on_error


async def before_handlers(update: Update, context: BotContext) -> None:
    """Clean the input, resolve who is talking, keep to private chats, then let their dialog
    (if any) take the update."""
    inbound.strip_nul(update)
    if not inbound.has_person(update):
        # Nobody to answer or to resolve a language for: ignored, not retried (R8: a button
        # press is still answered).
        if update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop
    await common.resolve_actor(update, context)
    await common.keep_to_private_chats(update, context)
    if update.edited_message is not None:
        await common.msg_edited(update, context)
        raise ApplicationHandlerStop
    await dialogs.route(update, context)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler of the bot to the application."""
    app.add_handler(TypeHandler(Update, before_handlers), group=-1)
    private = filters.ChatType.PRIVATE
    app.add_handlers([
        # The most frequent first: PTB tries a group's handlers in order.
        CommandHandler("order", orders.cmd_order),
        CommandHandler("orders", orders.cmd_orders),
        CommandHandler("start", common.cmd_start, filters=private),
        CommandHandler("help", common.cmd_help),
        CommandHandler("language", common.cmd_language),
        CommandHandler("cancel", common.cmd_cancel),
        CommandHandler("invite", invites.cmd_invite, filters=private),
        CommandHandler("complaint", complaints.cmd_complaint, filters=private),
        CommandHandler("inquiry", complaints.cmd_inquiry, filters=private),
        CommandHandler("cases", complaints.cmd_cases),
        CommandHandler("queue", casedesk.cmd_queue),
        CommandHandler("case", casedesk.cmd_case),
        CommandHandler("report", casedesk.cmd_report),
        CommandHandler("apply", admission.cmd_apply, filters=private),
        CommandHandler("pending", admission.cmd_pending),
        CommandHandler("application", admission.cmd_application),
        CommandHandler("customer", customer_file.cmd_customer),
        CommandHandler("info", customer_file.INFO.start, filters=private),
        CommandHandler("consent", customer_file.CONSENT.start, filters=private),
        CommandHandler("export", customer_file.cmd_export, filters=private),
        CommandHandler("prospects", customer_file.cmd_prospects),
        CommandHandler("join", customer_file.PROSPECT.start, filters=private),
        CommandHandler("receivables", receivables.cmd_receivables),
        CommandHandler("statement", receivables.cmd_statement),
        CommandHandler("confirm", receivables.cmd_confirm),
        CommandHandler("credit", receivables.cmd_credit),
        CommandHandler("visits", care.cmd_visits),
        CommandHandler("visit", care.cmd_visit, filters=private),
        CommandHandler("birthday", care.cmd_birthday),
        CommandHandler("template", care.cmd_template),
        CommandHandler("news", care.NEWS.start, filters=private),
        CommandHandler("event", care.EVENT.start, filters=private),
        CommandHandler("events", care.cmd_events),
        CallbackQueryHandler(buttons.cb_route),
        MessageHandler(filters.COMMAND, common.cmd_unknown),
        MessageHandler(filters.ALL, common.msg_other),
    ])
    app.add_error_handler(on_error)
