"""The dialog router (R9): answers go to the step the database says the user is on.

Runs in group -1, right after the actor is resolved. When the user is in a dialog, a
text, file or dialog button is handed to that dialog and no other handler sees it; commands
pass through (/cancel ends the dialog, /help still helps). A button from an earlier step, or a
redelivered update that already made its step, changes nothing: the current step is asked
again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
from html import escape
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop

from domain.errors import N_, DomainError
from handlers import callbacks as cb
from handlers.context import BotContext
from handlers.errors import audit_refusal, error_text
from handlers.render import dialog_button, reply_html
from services import dialogs
from services.dialogs import DialogState


class DialogHandler(Protocol):
    """One multi-step dialog, declared in one place."""

    name: str

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        """Ask (again) what the current step needs."""

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        """Take the user's answer to the current step."""


DIALOGS: dict[str, DialogHandler] = {}
CANCEL = "cancel"
NOTHING_CHANGED = N_("Cancelled. Nothing was changed.")
NOTHING_SENT = N_("Cancelled. Nothing was sent.")


class StepDialog(ABC):
    """What the step-by-step dialogs share: saving a step before asking it, and Cancel."""

    name: str
    lifetime: timedelta | None = None  # None: the configured dialog timeout

    @abstractmethod
    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        """Ask (again) what the current step needs."""

    async def _go(self, update: Update, context: BotContext, step: str,
                  data: dict[str, Any]) -> None:
        """Save the dialog at `step` (R9), then ask that step's question."""
        state = await dialogs.save_step(context.uow(), context.me, name=self.name, step=step,
                                        data=data, now=context.now(),
                                        lifetime=self.lifetime or context.runtime.dialog_timeout)
        await self.prompt(update, context, state)

    async def _ask(self, update: Update, context: BotContext, state: DialogState, text: str,
                   rows: list[list[InlineKeyboardButton]] | None = None) -> None:
        """Ask a step's question (plain text) with its buttons and, last, Cancel."""
        buttons = [*(rows or []),
                   [dialog_button(self.name, state, context.t.gettext("Cancel"), CANCEL)]]
        await reply_html(update, context, escape(text), InlineKeyboardMarkup(buttons))

    async def _cancelled(self, update: Update, context: BotContext, choice: str | None,
                         msgid: str = NOTHING_CHANGED) -> bool:
        """End the dialog if Cancel was pressed; True when it was."""
        if choice != CANCEL:
            return False
        await dialogs.end_dialog(context.uow(), context.me)
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, context.t.gettext(msgid))
        return True


def register_dialog(dialog: DialogHandler) -> None:
    """Make a dialog reachable by the router (its name is stored with each user's state)."""
    DIALOGS[dialog.name] = dialog


async def route(update: Update, context: BotContext) -> None:
    """Hand input to the user's dialog, if they are in one."""
    actor = context.actor
    if actor is None or actor.dialog is None:
        return
    state: DialogState = actor.dialog
    dialog = DIALOGS.get(state.name)
    if dialog is None:
        return  # a dialog from an older version of the bot: let /cancel clear it
    query = update.callback_query
    choice: str | None = None
    if query is not None:
        data = cb.decode(query.data)
        if not isinstance(data, cb.DialogChoice):
            return
        if data.name != state.name or data.version != state.version:
            await query.answer(context.t.gettext("This step is already done; please answer "
                                                 "the latest question."), show_alert=True)
            raise ApplicationHandlerStop
        await query.answer()
        choice = data.value
    else:
        message = update.effective_message
        if message is None or (message.text or "").startswith("/"):
            return
    if state.replayed(update.update_id):
        await dialog.prompt(update, context, state)
        raise ApplicationHandlerStop
    try:
        await dialog.on_input(update, context, state, choice)
    except DomainError as exc:
        # A refused answer keeps the user on the same step: say why, then ask again.
        await audit_refusal(update, context, exc, dialog_step=f"{state.name}:{state.step}")
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(
                chat.id, error_text(context.t, exc))
        await dialog.prompt(update, context, state)
    raise ApplicationHandlerStop
