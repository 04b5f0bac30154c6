"""Render service cards as HTML text and keyboards for one user's locale."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest

from domain.cases import as_said
from domain.errors import N_, DomainError
from handlers import callbacks as cb
from handlers.context import BotContext, Translator
from handlers.labels import LANGUAGE_NAME, ROLE, STATUS
from handlers.menus import commands_for
from services.cards import Actor, OrderCard, OrderPage
from services.dialogs import DialogState

MAX_TEXT = 4096


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long text into messages under `limit`, on line boundaries where possible (R6)."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:  # a single line longer than a message: cut it hard
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current:
        parts.append(current)
    return [p.rstrip("\n") or p for p in parts]


def deadline_text(t: Translator, context: BotContext, due: datetime) -> str:
    """A deadline as people say it: "Mon, Dec 7, end of the working day" rather than the
    midnight after it, in the reader's locale and the company's time zone."""
    runtime = context.runtime
    said = as_said(due, runtime.calendar, runtime.case_policy.business_hours)
    return t.deadline(said.day, said.at)


def status_label(t: Translator, status: object) -> str:
    return t.gettext(STATUS[status])  # type: ignore[index]


def help_text(t: Translator, actor: Actor) -> str:
    """Describe what this user can do, by role."""
    lines: list[str] = []
    if actor.is_contact:
        lines.append(t.gettext("You are linked to <b>{company}</b>.").format(
            company=escape(actor.customer_name or "")))
    if actor.is_staff:
        roles = ", ".join(t.gettext(ROLE[r]) for r in sorted(actor.roles))
        lines.append(t.gettext("Your roles: {roles}").format(roles=escape(roles)))
    if not actor.is_contact and not actor.is_staff:
        return unknown_user_text(t)
    lines.append("")
    lines.append(t.gettext("What you can do:"))
    for command, description in commands_for(actor):
        lines.append(f"/{command} — {escape(t.gettext(description))}")
    return "\n".join(lines)


def unknown_user_text(t: Translator) -> str:
    """Tell a stranger what the bot is and how to get access."""
    return "\n".join([
        t.gettext("Hello! I am the customer assistant of our company."),
        t.gettext("Customers use me to check orders and delivery, file complaints and "
                  "inquiries, and see their statement."),
        "",
        t.gettext("To get access, ask your sales contact for an invite link and open it "
                  "here. Staff are added by an administrator."),
        t.gettext("Choose your language with /language."),
    ])


def orders_page(
    t: Translator, page: OrderPage, *, staff: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Render one page of orders with a button per order and page navigation."""
    if page.total == 0:
        return t.gettext("There are no orders to show yet."), None
    head = t.ngettext("{count} order", "{count} orders", page.total).format(count=page.total)
    lines = [f"<b>{escape(head)}</b> · " + t.gettext("page {page} of {pages}").format(
        page=page.page, pages=page.pages)]
    buttons: list[list[InlineKeyboardButton]] = []
    for item in page.items:
        who = f" · {escape(item.customer_name)}" if staff else ""
        lines.append(f"• <b>{escape(item.order_no)}</b> · {escape(t.date(item.order_date))}"
                     f" · {escape(item.product)} · {escape(status_label(t, item.status))}{who}")
        label = f"{item.order_no} · {status_label(t, item.status)}"
        buttons.append([InlineKeyboardButton(label[:60], callback_data=cb.encode(
            cb.OpenOrder(item.order_id)))])
    nav: list[InlineKeyboardButton] = []
    if page.page > 1:
        nav.append(InlineKeyboardButton(t.gettext("◀ Newer"),
                                        callback_data=cb.encode(cb.OrdersPage(page.page - 1))))
    if page.page < page.pages:
        nav.append(InlineKeyboardButton(t.gettext("Older ▶"),
                                        callback_data=cb.encode(cb.OrdersPage(page.page + 1))))
    if nav:
        buttons.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def order_card(t: Translator, card: OrderCard, *, staff: bool) -> str:
    """Render the order card: what, how much, when and where, and where it stands."""
    qty = t.number(card.quantity) + (f" {card.unit}" if card.unit else "")
    none = t.gettext("not set")
    rows = [
        (t.gettext("Customer"), f"{card.customer_name} ({card.customer_code})") if staff else None,
        (t.gettext("Order date"), t.date(card.order_date)),
        (t.gettext("Product"), card.product + (f" — {card.spec}" if card.spec else "")),
        (t.gettext("Quantity"), qty),
        (t.gettext("Unit price"), t.money(card.unit_price, card.currency)),
        (t.gettext("Total"), t.money(card.total, card.currency)),
        (t.gettext("Delivery date"), t.date(card.delivery_date) if card.delivery_date else none),
        (t.gettext("Delivery place"), card.delivery_place or none),
        (t.gettext("Payment terms"), card.payment_terms or none),
        (t.gettext("Expected delivery"),
         t.date(card.expected_delivery) if card.expected_delivery else none),
        (t.gettext("Status"), status_label(t, card.status)),
    ]
    title = t.gettext("Order {number}").format(number=card.order_no)
    lines = [f"<b>{escape(title)}</b>"]
    lines += [f"{escape(k)}: {escape(v)}" for row in rows if row for k, v in [row]]
    if card.history:
        lines.append("")
        history = t.gettext("History")
        lines.append(f"<b>{escape(history)}</b>")
        lines += [f"• {escape(t.datetime(step.at))} — {escape(status_label(t, step.status))}"
                  for step in card.history[-15:]]
    return "\n".join(lines)


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    """One button per language, each named in itself."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(("✓ " if code == current else "") + name,
                             callback_data=cb.encode(cb.ChooseLanguage(code)))
        for code, name in LANGUAGE_NAME.items()
    ]])


async def reply_html(update: Update, context: BotContext, text: str,
                     markup: InlineKeyboardMarkup | None = None) -> None:
    """Send HTML to the update's chat, split under Telegram's limit, the keyboard on the last
    part (R6)."""
    chat = update.effective_chat
    assert chat is not None
    parts = split_text(text)
    for index, part in enumerate(parts):
        await context.bot.send_message(chat.id, part, parse_mode=ParseMode.HTML,
                                       reply_markup=markup if index == len(parts) - 1 else None,
                                       disable_web_page_preview=True)


def dialog_button(name: str, state: DialogState, label: str, value: str
                  ) -> InlineKeyboardButton:
    """An answer button of the dialog step the user is on (stale once the step moves)."""
    return InlineKeyboardButton(label[:40], callback_data=cb.encode(
        cb.DialogChoice(name, state.version, value)))


async def send_files(update: Update, context: BotContext, files: list[tuple[str, str]],
                     caption: str) -> None:
    """Send kept Telegram files (kind, file id) back to the chat; say so if one is gone."""
    chat = update.effective_chat
    assert chat is not None
    for kind, file_id in files:
        try:
            if kind == "photo":
                await context.bot.send_photo(chat.id, file_id, caption=caption)
            else:
                await context.bot.send_document(chat.id, file_id, caption=caption)
        except BadRequest:
            await context.bot.send_message(chat.id, context.t.gettext(
                "One file of {number} could not be shown (Telegram no longer has it).").format(
                number=caption))


def parse_day(text: str) -> date:
    """A date typed in chat as YYYY-MM-DD; a clear answer otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(N_("Please send a date like {example}."),
                          example="2026-12-31") from None


async def send_chart(update: Update, context: BotContext, draw: Callable[[], bytes],
                     caption: str) -> None:
    """Draw a chart off the event loop (a few hundred milliseconds) and send it; the chat
    shows "sending a photo" meanwhile, so nobody wonders whether the bot heard them."""
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(draw)
    await context.bot.send_photo(chat.id, png, caption=caption)
