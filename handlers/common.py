"""Identity, language, help and the answers to anything we did not ask for."""

from __future__ import annotations

import logging
from html import escape

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from handlers import callbacks as cb
from handlers import render
from handlers.context import BotContext, Translator
from handlers.menus import commands_for, menu_key
from services import buttons, dialogs, identity

log = logging.getLogger(__name__)


async def resolve_actor(update: Update, context: BotContext) -> None:
    """Resolve who sent this update and their locale, once, before any handler (group -1)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    text = update.effective_message.text if update.effective_message else None
    context.actor = await _resolve(update, context, text, context.runtime.default_locale)
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        await sync_menu(context, chat.id)


async def keep_to_private_chats(update: Update, context: BotContext) -> None:
    """Outside a private chat, answer a command or a button only with a pointer to one, and
    stop there: orders, cases, statements and files never go to a group (R18)."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    text = context.t.gettext("Please write to me in a private chat: I do not show customer "
                             "data in groups.")
    query = update.callback_query
    message = update.message or update.edited_message
    if query is not None:
        await query.answer(text[:200], show_alert=True)
    elif message is not None and _is_our_command(message.text, context.bot.username):
        await message.reply_text(text)
    raise ApplicationHandlerStop


def _is_our_command(text: str | None, username: str) -> bool:
    """Tell a command meant for this bot (/orders or /orders@this_bot) from anything else."""
    if not text or not text.startswith("/"):
        return False
    _, at, addressee = text.split(maxsplit=1)[0].partition("@")
    return not at or addressee.lower() == username.lower()


async def sync_menu(context: BotContext, chat_id: int) -> None:
    """Give this chat the command menu of its roles and language, once per change."""
    actor = context.me
    key = menu_key(actor)
    if actor.commands_key == key:
        return
    t = context.t
    commands = [BotCommand(c, t.gettext(d)[:256]) for c, d in commands_for(actor)]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # a menu is a convenience; never fail the update for it
        log.warning("setMyCommands failed for chat %s: %s", chat_id, exc)
        return
    await identity.remember_commands(context.uow(), actor, key, now=context.now())


async def cmd_start(update: Update, context: BotContext) -> None:
    """Link through an invite token, or greet by role."""
    assert update.effective_message is not None and update.effective_user is not None
    t = context.t
    if context.args:
        card = await identity.link_contact(
            context.uow(), context.args[0], actor=context.me,
            name=update.effective_user.full_name, now=context.now(),
        )
        if card.already_linked:
            text = t.gettext("You are already linked to {company}.").format(
                company=escape(card.customer_name))
        else:
            text = t.gettext("Welcome! Your Telegram account is now linked to {company}.").format(
                company=escape(card.customer_name))
        # Who they are changed (a fresh link): resolve again, keeping the language in use.
        context.actor = await _resolve(update, context, None, context.me.locale)
        await update.effective_message.reply_text(
            text + "\n\n" + render.help_text(context.t, context.me), parse_mode=ParseMode.HTML)
        if update.effective_chat is not None:
            await sync_menu(context, update.effective_chat.id)
        return
    me = context.me
    await update.effective_message.reply_text(
        render.help_text(t, me), parse_mode=ParseMode.HTML,
        reply_markup=None if me.is_staff or me.is_contact else join_markup(t))


def join_markup(t: Translator) -> InlineKeyboardMarkup:
    """The button an unknown user presses to ask to become a customer (DEV-1)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        t.gettext("I want to become a customer"),
        callback_data=cb.encode(cb.ProspectButton("new", 0)))]])


async def _resolve(update: Update, context: BotContext, text: str | None,
                   default_locale: str) -> identity.Actor:
    """Ask the identity service who sent this update (text feeds language detection)."""
    assert update.effective_user is not None
    rt = context.runtime
    return await identity.resolve_actor(
        context.uow(), update.effective_user.id,
        telegram_locale=rt.normalize_locale(update.effective_user.language_code),
        detect=lambda: rt.detect_locale(text) if text else None,
        default_locale=default_locale, now=context.now(), update_id=update.update_id,
    )


async def cmd_help(update: Update, context: BotContext) -> None:
    """Show what this user can do."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        render.help_text(context.t, context.me), parse_mode=ParseMode.HTML)


async def cmd_language(update: Update, context: BotContext) -> None:
    """Offer the three languages as buttons."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        context.t.gettext("Choose your language:"),
        reply_markup=render.language_keyboard(context.me.locale))


async def cb_language(update: Update, context: BotContext, data: cb.ChooseLanguage) -> None:
    """Store the chosen language and answer in it."""
    query = update.callback_query
    assert query is not None
    context.actor = await identity.set_locale(context.uow(), context.me, data.locale,
                                              now=context.now())
    t = context.t
    await query.answer()
    await query.edit_message_text(t.gettext("I will speak {language} with you.").format(
        language=render.LANGUAGE_NAME[data.locale]))
    if update.effective_chat is not None:
        await sync_menu(context, update.effective_chat.id)


async def cmd_cancel(update: Update, context: BotContext) -> None:
    """End the dialog the user is in, if any."""
    assert update.effective_message is not None
    ended = await dialogs.end_dialog(context.uow(), context.me)
    t = context.t
    await update.effective_message.reply_text(
        t.gettext("Cancelled. Nothing was sent.") if ended else
        t.gettext("There is nothing to cancel."))


async def cmd_unknown(update: Update, context: BotContext) -> None:
    """Answer a command we do not have."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        context.t.gettext("I do not know that command. Send /help to see what I can do."))


async def msg_other(update: Update, context: BotContext) -> None:
    """Answer free text, stickers, files and anything else we did not ask for."""
    message = update.effective_message
    actor = context.actor
    if message is None or actor is None:
        return
    if not actor.is_staff and not actor.is_contact:
        await message.reply_text(render.unknown_user_text(context.t), parse_mode=ParseMode.HTML,
                                 reply_markup=join_markup(context.t))
        return
    await message.reply_text(context.t.gettext(
        "I did not understand that. Send /help to see what I can do."))


async def msg_edited(update: Update, context: BotContext) -> None:
    """An edited message is never taken as an answer: an edit of an old message would land
    on whatever step the user is on now. In a private chat they are told to send it anew."""
    message = update.edited_message
    chat = update.effective_chat
    if message is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    await message.reply_text(context.t.gettext(
        "Edits are not taken; please send a new message."))


async def cb_stale(update: Update, context: BotContext) -> None:
    """Answer a button we do not recognise (old, forged or from another version)."""
    query = update.callback_query
    assert query is not None
    if context.actor is not None:
        await buttons.reject_press(context.uow(), context.actor, query.data, now=context.now())
    await query.answer(context.t.gettext("This button is no longer valid."), show_alert=True)
