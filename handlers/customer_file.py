"""The customer file, consents and prospects in chat (INFO-3..INFO-7, DEV-1, DEV-2).

/customer CODE shows the fields the reader may see; /info CODE records dynamic information
(a major change starts the update deadline); /consent CODE records a signed consent with its
document; /export CODE SCOPE RECIPIENT hands data out only under a consent. Unknown users may
ask to become customers; sales reps see theirs in /prospects.
"""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.cases import Attachment, AttachmentRefused, check_attachment
from domain.customer_file import (
    CONSENT_SCOPE_LABEL,
    FIELD_LABEL,
    GROUP_FIELDS,
    INFO_KIND_LABEL,
    ConsentScope,
    FieldGroup,
    InfoKind,
)
from domain.errors import N_, DomainError
from handlers import callbacks as cb
from handlers.common import cb_stale
from handlers.complaints import attachment_of
from handlers.context import BotContext, Translator
from handlers.dialogs import NOTHING_CHANGED, NOTHING_SENT, StepDialog, register_dialog
from handlers.render import dialog_button, parse_day, reply_html
from services import customer_file, dialogs, prospects
from services.customer_file import PROPOSAL_FIELDS, PROPOSAL_LABEL, SOURCE_LABEL, SOURCES
from services.dialogs import DialogState

CANCEL, YES, NO, TODAY, NONE = "cancel", "yes", "no", "today", "none"





# -- the file -------------------------------------------------------------------------------

async def cmd_customer(update: Update, context: BotContext) -> None:
    """/customer CODE: the customer's file, the fields your role may see."""
    if not context.args:
        raise DomainError(N_("Send the customer code after the command, e.g. /customer "
                             "{example}."), example="ACME")
    view = await customer_file.view_file(context.uow(), context.me, context.args[0],
                                         now=context.now())
    t = context.t
    lines = [f"<b>{escape(view.name)}</b> ({escape(view.code)})"]
    if view.owner:
        lines.append(escape(t.gettext("Sales rep: {name}").format(name=view.owner)))
    for group in (FieldGroup.BASIC, FieldGroup.BUSINESS, FieldGroup.CREDIT):
        if group not in view.groups:
            continue
        for name in GROUP_FIELDS[group]:
            value = view.fields.get(name)
            if not value or name in ("code", "name", "credit_currency"):
                continue
            if name == "credit_limit" and view.fields.get("credit_currency"):
                # A limit with its currency, formatted for the reader ("CNY 500,000.00").
                value = t.money(Decimal(value.replace(",", "")), view.fields["credit_currency"])
            lines.append(f"{escape(t.gettext(FIELD_LABEL[name]))}: {escape(value)}")
    if FieldGroup.CREDIT not in view.groups:
        lines.append("<i>" + escape(t.gettext("Credit information is shown to finance and "
                                              "the executive only.")) + "</i>")
    if view.infos:
        lines.append("")
        lines.append("<b>" + escape(t.gettext("Dynamic information")) + "</b>")
        for _id, day, kind, text, source, major, updated in view.infos:
            mark = ("❗" if major and not updated else "") + ("✅" if major and updated else "")
            lines.append(f"• {escape(t.date(day))} {mark}"
                         f"{escape(t.gettext(INFO_KIND_LABEL[InfoKind(kind)]))}: "
                         f"{escape(text)} ({escape(source)})")
    if view.consents:
        lines.append("")
        lines.append("<b>" + escape(t.gettext("Consents to disclose")) + "</b>")
        for scope, recipient, signed, expires, revoked in view.consents:
            until = t.date(expires) if expires else t.gettext("no expiry")
            lines.append(f"• {escape(t.gettext(CONSENT_SCOPE_LABEL[ConsentScope(scope)]))} → "
                         f"{escape(recipient)}, {escape(t.date(signed))} – {escape(until)}"
                         + (" ✖" if revoked else ""))
    await reply_html(update, context, "\n".join(lines))


class InfoDialog(StepDialog):
    """Dynamic information: kind, date, source, what happened, major or not."""

    name = "info"

    async def start(self, update: Update, context: BotContext) -> None:
        if not context.args:
            raise DomainError(N_("Send the customer code after the command, e.g. /info "
                                 "{example}."), example="ACME")
        view = await customer_file.view_file(context.uow(), context.me, context.args[0],
                                             now=context.now())
        await self._go(update, context, "kind", {"code": view.code, "company": view.name})

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        rows: list[list[InlineKeyboardButton]] = []
        company = state.data.get("company", "")
        if state.step == "kind":
            text = t.gettext("{company}: what kind of information?").format(company=company)
            rows += [[dialog_button(self.name, state, t.gettext(INFO_KIND_LABEL[k]), k.value)]
                     for k in InfoKind]
        elif state.step == "date":
            text = t.gettext("When did it happen? Send a date (YYYY-MM-DD).")
            rows.append([dialog_button(self.name, state, t.gettext("Today"), TODAY)])
        elif state.step == "source":
            text = t.gettext("Where does the information come from (the source)?")
        elif state.step == "text":
            text = t.gettext("What happened?")
        else:
            text = t.gettext("Is it a major change? The file must then be updated within the "
                             "deadline and the departments concerned are told.")
            rows.append([dialog_button(self.name, state, t.gettext("Yes"), YES),
                         dialog_button(self.name, state, t.gettext("No"), NO)])
        await self._ask(update, context, state, text, rows)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_CHANGED):
            return
        data = dict(state.data)
        message = update.effective_message if update.callback_query is None else None
        text = (message.text or "") if message is not None else ""
        if state.step == "kind":
            if choice not in {k.value for k in InfoKind}:
                raise DomainError(N_("Please choose one of the buttons."))
            data["kind"] = choice
            return await self._go(update, context, "date", data)
        if state.step == "date":
            today = context.now().astimezone(context.runtime.calendar.tz).date()
            day = today if choice == TODAY else parse_day(text)
            if day > today:
                raise DomainError(N_("That date is in the future."))
            data["date"] = day.isoformat()
            return await self._go(update, context, "source", data)
        if state.step in ("source", "text"):
            if not text.strip():
                raise DomainError(N_("Please write it as text."))
            data[state.step] = text.strip()
            return await self._go(update, context, "text" if state.step == "source"
                                  else "major", data)
        if choice not in (YES, NO):
            raise DomainError(N_("Please choose one of the buttons."))
        await customer_file.record_info(
            context.uow(), context.me, data["code"], kind=InfoKind(data["kind"]),
            text=data["text"], happened_on=date.fromisoformat(data["date"]),
            source=data["source"], major=choice == YES, now=context.now(),
            calendar=context.runtime.calendar, update_days=context.runtime.info_update_days,
            default_locale=context.runtime.default_locale)
        await dialogs.end_dialog(context.uow(), context.me)
        done = t.gettext("Recorded in the file of {company}.")
        await reply_html(update, context, escape(done.format(company=data.get("company", ""))))


class ConsentDialog(StepDialog):
    """A signed consent: what, to whom, the document, signed on, until."""

    name = "consent"

    async def start(self, update: Update, context: BotContext) -> None:
        if not context.args:
            raise DomainError(N_("Send the customer code after the command, e.g. /consent "
                                 "{example}."), example="ACME")
        view = await customer_file.view_file(context.uow(), context.me, context.args[0],
                                             now=context.now())
        await self._go(update, context, "scope", {"code": view.code, "company": view.name})

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        rows: list[list[InlineKeyboardButton]] = []
        if state.step == "scope":
            text = t.gettext("{company}: what may be disclosed?").format(
                company=state.data.get("company", ""))
            rows += [[dialog_button(self.name, state, t.gettext(CONSENT_SCOPE_LABEL[s]), s.value)]
                     for s in ConsentScope]
        elif state.step == "recipient":
            text = t.gettext("To whom (the third party, as named in the consent)?")
        elif state.step == "document":
            text = t.gettext("Send the signed consent document (PDF or photo).")
        elif state.step == "signed":
            text = t.gettext("Signed on which date? (YYYY-MM-DD)")
        else:
            text = t.gettext("Valid until which date? (YYYY-MM-DD)")
            rows.append([dialog_button(self.name, state, t.gettext("No expiry"), NONE)])
        await self._ask(update, context, state, text, rows)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_CHANGED):
            return
        data = dict(state.data)
        message = update.effective_message if update.callback_query is None else None
        text = (message.text or "") if message is not None else ""
        if state.step == "scope":
            if choice not in {s.value for s in ConsentScope}:
                raise DomainError(N_("Please choose one of the buttons."))
            data["scope"] = choice
            return await self._go(update, context, "recipient", data)
        if state.step == "recipient":
            if len(text.strip()) < 2:
                raise DomainError(N_("Please write it as text."))
            data["recipient"] = text.strip()
            return await self._go(update, context, "document", data)
        if state.step == "document":
            attachment = attachment_of(message) if message is not None else None
            if attachment is None:
                raise DomainError(N_("Please send the signed document as a file or a photo."))
            try:
                check_attachment(attachment, 0)
            except AttachmentRefused as exc:
                raise DomainError(exc.message, **exc.params) from None
            data["document"] = attachment.__dict__
            return await self._go(update, context, "signed", data)
        if state.step == "signed":
            data["signed"] = parse_day(text).isoformat()
            return await self._go(update, context, "expires", data)
        expires = None if choice == NONE else parse_day(text)
        await customer_file.record_consent(
            context.uow(), context.me, data["code"], scope=ConsentScope(data["scope"]),
            recipient=data["recipient"], document=Attachment(**data["document"]),
            signed_on=date.fromisoformat(data["signed"]), expires_on=expires,
            now=context.now())
        await dialogs.end_dialog(context.uow(), context.me)
        done = t.gettext("Consent recorded for {company}.")
        await reply_html(update, context, escape(done.format(company=data.get("company", ""))))


async def cmd_export(update: Update, context: BotContext) -> None:
    """/export CODE SCOPE RECIPIENT: the data a third party may have, as a file (INFO-7)."""
    args = context.args or []
    scopes = {s.value for s in ConsentScope}
    if len(args) < 3 or args[1].lower() not in scopes:
        raise DomainError(N_("Usage: /export CODE SCOPE RECIPIENT, with SCOPE one of {scopes}."),
                          scopes=", ".join(sorted(scopes)))
    now = context.now()
    data = await customer_file.disclose(
        context.uow(), context.me, args[0], recipient=" ".join(args[2:]),
        scope=ConsentScope(args[1].lower()), now=now,
        today=now.astimezone(context.runtime.calendar.tz).date())
    chat = update.effective_chat
    assert chat is not None
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await context.bot.send_document(chat.id, io.BytesIO(body),
                                    filename=f"{args[0].upper()}-{args[1].lower()}.json",
                                    caption=context.t.gettext(
                                        "Data of {code} for {recipient}, under a recorded "
                                        "consent.").format(code=args[0].upper(),
                                                           recipient=" ".join(args[2:])))


async def cb_file_updated(update: Update, context: BotContext, info_id: int) -> None:
    query = update.callback_query
    assert query is not None
    code = await customer_file.mark_file_updated(context.uow(), context.me, info_id,
                                                 now=context.now())
    await query.answer(context.t.gettext("Thank you: the file of {code} is marked updated."
                                         ).format(code=code))


# -- prospects ------------------------------------------------------------------------------

class ProspectDialog(StepDialog):
    """An unknown user's request: company, contact, needs."""

    name = "prospect"
    steps = ("company", "contact", "needs")

    async def start(self, update: Update, context: BotContext) -> None:
        await prospects.check_can_request(context.uow(), context.me)
        state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                        step="company", data={}, now=context.now(),
                                        lifetime=context.runtime.dialog_timeout)
        await self.prompt(update, context, state)

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        text = {"company": t.gettext("Which company do you represent?"),
                "contact": t.gettext("Your name and how we can reach you (phone or e-mail)?"),
                "needs": t.gettext("What do you need from us (products, quantities)?")}[
            state.step]
        await reply_html(update, context, escape(text), InlineKeyboardMarkup(
            [[dialog_button(self.name, state, t.gettext("Cancel"), CANCEL)]]))

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_SENT):
            return
        message = update.effective_message if update.callback_query is None else None
        if message is None or not (message.text or "").strip():
            raise DomainError(N_("Please write it as text."))
        data = dict(state.data)
        data[state.step] = (message.text or "").strip()
        index = self.steps.index(state.step)
        if index + 1 < len(self.steps):
            state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                            step=self.steps[index + 1], data=data,
                                            now=context.now(),
                                            lifetime=context.runtime.dialog_timeout)
            await self.prompt(update, context, state)
            return
        view = await prospects.request(
            context.uow(), context.me, company=data["company"], contact=data["contact"],
            needs=data["needs"], now=context.now(), calendar=context.runtime.calendar,
            default_locale=context.runtime.default_locale)
        await dialogs.end_dialog(context.uow(), context.me)
        await reply_html(update, context, escape(t.gettext(
            "Thank you. Your request {number} went to our sales team ({name}), who will "
            "contact you soon.").format(number=view.number, name=view.owner or "-")))


class ProposalDialog(StepDialog):
    """The cooperation proposal to a prospect (DEV-2), one field at a time."""

    name = "proposal"

    async def begin(self, update: Update, context: BotContext, prospect_id: int) -> None:
        view = await prospects.view(context.uow(), context.me, prospect_id)
        state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                        step=PROPOSAL_FIELDS[0],
                                        data={"id": prospect_id, "number": view.number,
                                              "proposal": {}},
                                        now=context.now(),
                                        lifetime=context.runtime.dialog_timeout)
        await self.prompt(update, context, state)

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        text = t.gettext("{number}: proposal, {field}?").format(
            number=state.data.get("number", ""), field=t.gettext(PROPOSAL_LABEL[state.step]))
        await reply_html(update, context, escape(text), InlineKeyboardMarkup(
            [[dialog_button(self.name, state, t.gettext("Cancel"), CANCEL)]]))

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        if await self._cancelled(update, context, choice, NOTHING_CHANGED):
            return
        message = update.effective_message if update.callback_query is None else None
        if message is None or not (message.text or "").strip():
            raise DomainError(N_("Please write it as text."))
        data = dict(state.data)
        proposal = dict(data.get("proposal", {}))
        proposal[state.step] = (message.text or "").strip()
        data["proposal"] = proposal
        index = PROPOSAL_FIELDS.index(state.step)
        if index + 1 < len(PROPOSAL_FIELDS):
            state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                            step=PROPOSAL_FIELDS[index + 1], data=data,
                                            now=context.now(),
                                            lifetime=context.runtime.dialog_timeout)
            await self.prompt(update, context, state)
            return
        view = await prospects.record_proposal(context.uow(), context.me, data["id"], proposal,
                                               now=context.now())
        await dialogs.end_dialog(context.uow(), context.me)
        await show_prospect(update, context, view)


def prospect_text(t: Translator, view: prospects.ProspectView) -> str:
    lines = [f"<b>{escape(view.number)}</b> · {escape(view.company)}",
             escape(t.gettext("Contact: {contact}").format(contact=view.contact)),
             escape(t.gettext("Needs: {needs}").format(needs=view.needs)),
             escape(t.gettext("Source: {source}").format(
                 source=t.gettext(SOURCE_LABEL[view.source]) if view.source else "-"))]
    for name in PROPOSAL_FIELDS:
        if name in view.proposal:
            lines.append(f"{escape(t.gettext(PROPOSAL_LABEL[name]))}: "
                         f"{escape(view.proposal[name])}")
    return "\n".join(lines)


async def show_prospect(update: Update, context: BotContext,
                        view: prospects.ProspectView) -> None:
    t = context.t
    rows = [[InlineKeyboardButton(t.gettext(SOURCE_LABEL[s])[:30], callback_data=cb.encode(
        cb.ProspectButton("c", view.prospect_id, n))) for n, s in enumerate(SOURCES)][i:i + 3]
        for i in range(0, len(SOURCES), 3)]
    rows.append([InlineKeyboardButton(t.gettext("Record the proposal"), callback_data=cb.encode(
        cb.ProspectButton("p", view.prospect_id)))])
    rows.append([InlineKeyboardButton(t.gettext("Start an application"),
                                      callback_data=cb.encode(
                                          cb.ProspectButton("a", view.prospect_id)))])
    await reply_html(update, context, prospect_text(t, view), InlineKeyboardMarkup(rows))


async def cmd_prospects(update: Update, context: BotContext) -> None:
    """A sales rep's open prospects (the sales head sees all)."""
    t = context.t
    found = await prospects.mine(context.uow(), context.me)
    if not found:
        await reply_html(update, context, escape(t.gettext("No open prospects.")))
        return
    rows = [[InlineKeyboardButton(f"{p.number} · {p.company}"[:60], callback_data=cb.encode(
        cb.ProspectButton("v", p.prospect_id)))] for p in found]
    await reply_html(update, context, escape(t.gettext("Open prospects: {count}").format(
        count=len(found))), InlineKeyboardMarkup(rows))


async def cb_prospect(update: Update, context: BotContext, data: cb.ProspectButton) -> None:
    """A prospect button; the service decides who may see or work the prospect (DEV-1)."""
    from handlers.admission import APPLY

    query = update.callback_query
    assert query is not None
    if data.act == "new":
        await PROSPECT.start(update, context)
    elif data.act == "v":
        await show_prospect(update, context,
                            await prospects.view(context.uow(), context.me, data.ident))
    elif data.act == "c" and data.arg is not None and data.arg < len(SOURCES):
        view = await prospects.record_source(context.uow(), context.me, data.ident,
                                             SOURCES[data.arg], now=context.now())
        await show_prospect(update, context, view)
    elif data.act == "p":
        await PROPOSAL.begin(update, context, data.ident)
    elif data.act == "a":
        known = await prospects.prefill(context.uow(), context.me, data.ident)
        await APPLY.start_from(update, context, known)
    else:  # a source we never offered: forged or from another version
        await cb_stale(update, context)
        return
    await query.answer()


INFO = InfoDialog()
CONSENT = ConsentDialog()
PROSPECT = ProspectDialog()
PROPOSAL = ProposalDialog()
for _dialog in (INFO, CONSENT, PROSPECT, PROPOSAL):
    register_dialog(_dialog)
