"""Sales create invites for their own customers' contacts from chat."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode

from domain.errors import N_, DomainError
from handlers.context import BotContext
from services import identity


async def cmd_invite(update: Update, context: BotContext) -> None:
    """Make a one-time invite link for a customer: /invite CODE."""
    assert update.effective_message is not None
    if not context.args:
        raise DomainError(N_("Send the customer code after the command, e.g. /invite {example}."),
                          example="ACME")
    card = await identity.create_invite(
        context.uow(), context.args[0], actor=context.me, now=context.now(),
        expiry_days=context.runtime.invite_expiry_days,
    )
    t = context.t
    link = f"https://t.me/{context.runtime.bot_username()}?start={card.token}"
    text = "\n".join([
        t.gettext("Invite for {company} ({code}):").format(
            company=escape(card.customer_name), code=escape(card.customer_code)),
        escape(link),
        t.gettext("It works once and expires on {date}. Send it to the customer's contact."
                  ).format(date=escape(t.datetime(card.expires_at))),
    ])
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML,
                                              disable_web_page_preview=True)
