"""Complaints and inquiries from chat (CMP-1, CMP-2, SVC-3): /complaint, /inquiry, /cases.

The complaint dialog asks, one step at a time: category, related order, description, evidence
files, urgency, then shows a summary to confirm. Every answer is saved before the next question
(R9), each step takes only what it asks for, and /cancel works at every step.
"""

from __future__ import annotations

from enum import StrEnum
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from domain.cases import (
    MAX_ATTACHMENTS,
    Attachment,
    AttachmentRefused,
    CaseKind,
    Category,
    check_attachment,
    check_description,
)
from domain.errors import N_, AccessDenied
from handlers import callbacks as cb
from handlers.context import BotContext, Translator
from handlers.dialogs import register_dialog
from handlers.render import deadline_text
from services import cases, dialogs, orders
from services.cases import CATEGORY_LABEL, CaseCard
from services.dialogs import DialogState


class Step(StrEnum):
    CATEGORY = "category"
    ORDER = "order"
    DESCRIPTION = "description"
    FILES = "files"
    URGENCY = "urgency"
    CONFIRM = "confirm"


NO_ORDER = "none"
DONE = "done"
SUBMIT = "submit"
CANCEL = "cancel"
NORMAL = "normal"
URGENT = "urgent"
STATUS_LABEL = {
    "open": N_("Received, waiting for acknowledgment"),
    "acknowledged": N_("Acknowledged, being handled"),
    "solution_proposed": N_("Solution proposed, waiting for your answer"),
    "resolved": N_("Solved, being closed"),
    "closed": N_("Closed"),
    "reopened": N_("Reopened: our service lead is reviewing it"),
}


def _button(t: Translator, name: str, state: DialogState, value: str, msgid: str
            ) -> InlineKeyboardButton:
    data = cb.encode(cb.DialogChoice(name, state.version, value))
    return InlineKeyboardButton(t.gettext(msgid), callback_data=data)


def _keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(rows)


def attachment_of(message: Message) -> Attachment | None:
    """The evidence file a message carries, if any we know how to keep."""
    if message.photo:
        photo = message.photo[-1]  # Telegram lists sizes smallest first
        return Attachment("photo", photo.file_id, photo.file_unique_id, "photo.jpg",
                          "image/jpeg", photo.file_size or 0)
    if message.document:
        doc = message.document
        return Attachment("document", doc.file_id, doc.file_unique_id, doc.file_name or "",
                          doc.mime_type or "application/octet-stream", doc.file_size or 0)
    if message.video:
        video = message.video
        return Attachment("video", video.file_id, video.file_unique_id,
                          video.file_name or "video.mp4", video.mime_type or "video/mp4",
                          video.file_size or 0)
    return None


class CaseDialog:
    """The complaint (and, shorter, the inquiry) dialog."""

    def __init__(self, kind: CaseKind) -> None:
        self.kind = kind
        self.name = "cmp" if kind == CaseKind.COMPLAINT else "inq"
        self.first = Step.CATEGORY if kind == CaseKind.COMPLAINT else Step.DESCRIPTION

    # -- saving ----------------------------------------------------------------------------
    async def _go(self, update: Update, context: BotContext, step: Step,
                  data: dict[str, Any]) -> None:
        """Save the dialog at `step` with `data`, then ask that step's question."""
        state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                        step=step.value, data=data, now=context.now(),
                                        lifetime=context.runtime.dialog_timeout)
        await self.prompt(update, context, state)

    async def start(self, update: Update, context: BotContext) -> None:
        actor = context.me
        if not actor.is_contact:
            raise AccessDenied(N_("Only linked customer contacts can file complaints and "
                                 "inquiries. Ask your sales contact for an invite link."))
        state = actor.dialog
        if state is not None and state.name == self.name and state.replayed(update.update_id):
            await self.prompt(update, context, state)  # this very command started it: ask again
            return
        await self._go(update, context, self.first, {"files": []})

    # -- questions -------------------------------------------------------------------------
    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        step = Step(state.step)
        cancel = [_button(t, self.name, state, CANCEL, N_("Cancel"))]
        markup: InlineKeyboardMarkup | None = None
        if step == Step.CATEGORY:
            text = t.gettext("What is the complaint about?")
            cats = [_button(t, self.name, state, c.value, CATEGORY_LABEL[c]) for c in Category]
            markup = _keyboard([cats[i:i + 2] for i in range(0, len(cats), 2)] + [cancel])
        elif step == Step.ORDER:
            text = t.gettext("Which order is it about? Pick one, type its number, or choose "
                             "“No specific order”.")
            rows = [[InlineKeyboardButton(f"{o['no']} · {o['product']}"[:60],
                                          callback_data=cb.encode(cb.DialogChoice(
                                              self.name, state.version, str(o["id"]))))]
                    for o in state.data.get("offered", [])]
            rows.append([_button(t, self.name, state, NO_ORDER, N_("No specific order"))])
            markup = _keyboard([*rows, cancel])
        elif step == Step.DESCRIPTION:
            text = (t.gettext("Please describe the problem in your own words.")
                    if self.kind == CaseKind.COMPLAINT
                    else t.gettext("What would you like to ask or tell us?"))
            markup = _keyboard([cancel])
        elif step == Step.FILES:
            count = len(state.data.get("files", []))
            text = t.gettext("You can send photos or documents as evidence (up to {limit}). "
                             "Press Done when finished.").format(limit=MAX_ATTACHMENTS)
            if count:
                text += "\n" + t.ngettext("{count} file received.", "{count} files received.",
                                          count).format(count=count)
            done = N_("Done") if count else N_("Skip, no files")
            markup = _keyboard([[_button(t, self.name, state, DONE, done)], cancel])
        elif step == Step.URGENCY:
            text = t.gettext("How urgent is it?")
            markup = _keyboard([[
                _button(t, self.name, state, NORMAL, N_("Normal")),
                _button(t, self.name, state, URGENT, N_("Urgent: it stops our work")),
            ], cancel])
        else:
            text = self.summary(t, state.data)
            markup = _keyboard([[_button(t, self.name, state, SUBMIT, N_("Submit"))], cancel])
        await _reply(update, text, markup)

    def summary(self, t: Translator, data: dict[str, Any]) -> str:
        title = t.gettext("Please check and submit:")
        lines = [f"<b>{escape(title)}</b>"]
        if data.get("category"):
            lines.append(t.gettext("Category: {category}").format(
                category=escape(t.gettext(CATEGORY_LABEL[Category(data["category"])]))))
        if self.kind == CaseKind.COMPLAINT:
            lines.append(t.gettext("Order: {order}").format(
                order=escape(data.get("order_no") or t.gettext("No specific order"))))
        lines.append(t.gettext("Description: {text}").format(
            text=escape(data.get("description", ""))))
        if self.kind == CaseKind.COMPLAINT:
            lines.append(t.gettext("Files: {count}").format(count=len(data.get("files", []))))
            lines.append(t.gettext("Urgency: {urgency}").format(urgency=escape(t.gettext(
                N_("Urgent") if data.get("urgent") else N_("Normal")))))
        return "\n".join(lines)

    # -- answers ---------------------------------------------------------------------------
    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        if choice == CANCEL:
            await dialogs.end_dialog(context.uow(), context.me)
            await _reply(update, context.t.gettext("Cancelled. Nothing was sent."), None)
            return
        step = Step(state.step)
        data = dict(state.data)
        message = update.effective_message if update.callback_query is None else None
        t = context.t
        if step == Step.CATEGORY:
            if choice not in {c.value for c in Category}:
                return await self._again(update, context, state, N_(
                    "Please choose one of the buttons."))
            data["category"] = choice
            page = await orders.list_orders(context.uow(), context.me, page_size=6)
            data["offered"] = [{"id": o.order_id, "no": o.order_no, "product": o.product[:30]}
                               for o in page.items]
            await self._go(update, context, Step.ORDER, data)
        elif step == Step.ORDER:
            if choice == NO_ORDER:
                data["order_id"], data["order_no"] = None, None
            elif choice is not None:
                offered = {str(o["id"]): o for o in data.get("offered", [])}
                if choice not in offered:
                    return await self._again(update, context, state, N_(
                        "Please choose one of the buttons."))
                data["order_id"], data["order_no"] = int(choice), offered[choice]["no"]
            elif message is not None and message.text:
                order = await orders.show_order(context.uow(), context.me,
                                                order_no=message.text.strip(),
                                                now=context.now())
                data["order_id"], data["order_no"] = order.order_id, order.order_no
            else:
                return await self._again(update, context, state, N_(
                    "Please pick an order with the buttons or type its number."))
            await self._go(update, context, Step.DESCRIPTION, data)
        elif step == Step.DESCRIPTION:
            if message is None or not message.text:
                return await self._again(update, context, state, N_(
                    "Please describe it in words first; you can send photos in the next "
                    "step.") if self.kind == CaseKind.COMPLAINT else N_(
                    "Please write your question as text."))
            data["description"] = check_description(message.text)
            await self._go(update, context, Step.FILES if self.kind == CaseKind.COMPLAINT
                           else Step.CONFIRM, data)
        elif step == Step.FILES:
            if choice == DONE:
                await self._go(update, context, Step.URGENCY, data)
                return
            attachment = attachment_of(message) if message is not None else None
            if attachment is None:
                return await self._again(update, context, state, N_(
                    "Please send a photo or a document, or press Done."))
            try:
                check_attachment(attachment, len(data.get("files", [])))
            except AttachmentRefused as exc:
                return await self._again(update, context, state, exc.message, **exc.params)
            data["files"] = [*data.get("files", []), attachment.__dict__]
            await self._go(update, context, Step.FILES, data)
        elif step == Step.URGENCY:
            if choice not in (NORMAL, URGENT):
                return await self._again(update, context, state, N_(
                    "Please choose one of the buttons."))
            data["urgent"] = choice == URGENT
            await self._go(update, context, Step.CONFIRM, data)
        else:
            if choice != SUBMIT:
                return await self._again(update, context, state, N_(
                    "Please press Submit to send it, or Cancel."))
            card = await cases.file_case(
                context.uow(), context.me, kind=self.kind,
                category=Category(data["category"]) if data.get("category") else None,
                order_id=data.get("order_id"), description=data.get("description", ""),
                urgent=bool(data.get("urgent")),
                attachments=[Attachment(**f) for f in data.get("files", [])],
                now=context.now(), calendar=context.runtime.calendar,
                policy=context.runtime.case_policy,
                default_locale=context.runtime.default_locale)
            await _reply(update, filed_text(t, context, card), None)

    async def _again(self, update: Update, context: BotContext, state: DialogState,
                     msgid: str, **params: Any) -> None:
        """Say what this step accepts, then ask it again; the dialog stays where it is."""
        await _reply(update, context.t.gettext(msgid).format(**params), None)
        await self.prompt(update, context, state)


def filed_text(t: Translator, context: BotContext, card: CaseCard) -> str:
    """Confirm a new case with its number and what happens next."""
    kind = t.gettext(cases.KIND_LABEL[card.kind])
    lines = [
        t.gettext("Thank you. Your {kind} has number <b>{number}</b>.").format(
            kind=escape(kind), number=escape(card.number)),
        t.gettext("Customer service will acknowledge it by {ack} and answer by {due}.").format(
            ack=escape(deadline_text(t, context, card.ack_due_at)),
            due=escape(deadline_text(t, context, card.resolve_due_at))),
        t.gettext("You will hear from us here at each step. /cases shows all your cases."),
    ]
    if card.urgent:
        lines.insert(1, t.gettext("Marked urgent: our service lead has been alerted now."))
    return "\n".join(lines)


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    message = update.effective_message
    if message is None:
        return
    await message.get_bot().send_message(message.chat.id, text, parse_mode=ParseMode.HTML,
                                         reply_markup=markup)


COMPLAINT = CaseDialog(CaseKind.COMPLAINT)
INQUIRY = CaseDialog(CaseKind.INQUIRY)
register_dialog(COMPLAINT)
register_dialog(INQUIRY)


async def cmd_complaint(update: Update, context: BotContext) -> None:
    """Start filing a complaint."""
    await COMPLAINT.start(update, context)


async def cmd_inquiry(update: Update, context: BotContext) -> None:
    """Start asking a question or giving feedback."""
    await INQUIRY.start(update, context)


async def cmd_cases(update: Update, context: BotContext) -> None:
    """List the customer's cases with their status and next step."""
    assert update.effective_message is not None
    t = context.t
    found = await cases.list_cases(context.uow(), context.me)
    if not found:
        text = t.gettext("You have no complaints or inquiries yet. Use /complaint or "
                         "/inquiry to start one.")
    else:
        title = t.gettext("Your cases")
        lines = [f"<b>{escape(title)}</b>"]
        for card in found:
            inquiry = card.kind == CaseKind.INQUIRY
            status = (N_("Answered, waiting for your reply")
                      if inquiry and card.status.value == "solution_proposed"
                      else STATUS_LABEL[card.status.value])
            lines.append(t.gettext("• {number} · {date} · {status}").format(
                number=escape(card.number), date=escape(t.date(card.opened_at.date())),
                status=escape(t.gettext(status))))
            if card.status.value == "open":
                lines.append("  " + t.gettext("Acknowledgment due by {due}").format(
                    due=escape(deadline_text(t, context, card.ack_due_at))))
            elif card.status.value == "acknowledged":
                due_by = (t.gettext("Answer due by {due}") if inquiry
                          else t.gettext("Solution due by {due}"))
                lines.append("  " + due_by.format(
                    due=escape(deadline_text(t, context, card.resolve_due_at))))
            elif card.status.value == "solution_proposed":
                lines.append("  " + (t.gettext("Please tell us whether our answer helps.")
                                     if inquiry else
                                     t.gettext("Please answer the proposed solution we sent "
                                               "you.")))
        text = "\n".join(lines)
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
