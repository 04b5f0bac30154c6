"""Orders: /orders with pages, /order NUMBER and the order card (ORD-2)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from domain.errors import N_, DomainError
from handlers import callbacks as cb
from handlers import render
from handlers.context import BotContext
from services import orders


async def cmd_orders(update: Update, context: BotContext) -> None:
    """List the user's orders, newest first, a page at a time."""
    assert update.effective_message is not None
    if not context.me.is_staff and not context.me.is_contact:
        await update.effective_message.reply_text(render.unknown_user_text(context.t))
        return
    page = await orders.list_orders(context.uow(), context.me,
                                    page_size=context.runtime.page_size)
    text, keyboard = render.orders_page(context.t, page, staff=context.me.is_staff)
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML,
                                              reply_markup=keyboard)


async def cb_orders_page(update: Update, context: BotContext, data: cb.OrdersPage) -> None:
    """Show another page of the list in place."""
    query = update.callback_query
    assert query is not None
    page = await orders.list_orders(context.uow(), context.me, page=data.page,
                                    page_size=context.runtime.page_size)
    text, keyboard = render.orders_page(context.t, page, staff=context.me.is_staff)
    await query.answer()
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def cmd_order(update: Update, context: BotContext) -> None:
    """Open the card of one order by its number."""
    assert update.effective_message is not None
    if not context.args:
        raise DomainError(N_("Send the order number after the command, e.g. /order {example}."),
                          example="PO-1001")
    card = await orders.show_order(context.uow(), context.me, order_no=" ".join(context.args),
                                   now=context.now())
    for part in render.split_text(render.order_card(context.t, card, staff=context.me.is_staff)):
        await update.effective_message.reply_text(part, parse_mode=ParseMode.HTML)


async def cb_open_order(update: Update, context: BotContext, data: cb.OpenOrder) -> None:
    """Open an order card from a list button; re-checked, never trusted."""
    query = update.callback_query
    assert query is not None and query.message is not None
    card = await orders.show_order(context.uow(), context.me, order_id=data.order_id,
                                   now=context.now())
    await query.answer()
    for part in render.split_text(render.order_card(context.t, card, staff=context.me.is_staff)):
        await context.bot.send_message(query.message.chat.id, part, parse_mode=ParseMode.HTML)
