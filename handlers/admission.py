"""Customer admission in chat (ADM-1..ADM-4): /apply, /pending, /application, review buttons.

The application form is a dialog kept in the database (R9), so a draft survives restarts and
days between answers. Reviewers decide with buttons; a verdict asks for its comment (and, for
finance's approval, the credit limit and payment term) in a short dialog too.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.admission import (
    CHECKLIST,
    DECLARATION_LABEL,
    DECLARATIONS,
    FIELD_LABEL,
    FIELDS,
    MAX_FILES,
    STAGE_ROLE,
    Stage,
    StepStatus,
    Verdict,
    check_field,
    parse_credit,
    parse_term,
)
from domain.cases import Attachment, AttachmentRefused, check_attachment
from domain.enums import Role
from domain.errors import N_, AccessDenied, AlreadyDecided, DomainError
from handlers import callbacks as cb
from handlers.complaints import attachment_of
from handlers.context import BotContext, Translator
from handlers.dialogs import NOTHING_CHANGED, NOTHING_SENT, StepDialog, register_dialog
from handlers.errors import error_text
from handlers.render import deadline_text, dialog_button, reply_html, send_files
from services import admission, dialogs
from services.admission import (
    APP_STATUS_LABEL,
    STAGE_LABEL,
    VERDICT_LABEL,
    Admission,
    AppView,
)
from services.dialogs import DialogState

DRAFT_LIFETIME = timedelta(days=14)  # a form may take days to gather
YES, NO, DONE, SUBMIT, CANCEL = "yes", "no", "done", "submit", "cancel"


def adm_of(context: BotContext) -> Admission:
    runtime = context.runtime
    return Admission(runtime.calendar, runtime.admission_policy, runtime.default_locale,
                     runtime.invite_expiry_days)


def _choice(name: str, state: DialogState, t: Translator, msgid: str, value: str
            ) -> InlineKeyboardButton:
    return dialog_button(name, state, t.gettext(msgid), value)




# -- the application form -------------------------------------------------------------------

class ApplyDialog(StepDialog):
    """ADM-2 fields one by one, the ADM-1 declarations, proof files, then a summary."""

    name = "apply"
    lifetime = DRAFT_LIFETIME

    async def start(self, update: Update, context: BotContext) -> None:
        if not context.me.roles & {Role.SALES, Role.SALES_HEAD}:
            raise AccessDenied(N_("Only sales staff can file admission applications."))
        state = context.me.dialog
        if state is not None and state.name == self.name:
            await self.prompt(update, context, state)  # the draft goes on where it stopped
            return
        await self._go(update, context, FIELDS[0], {"fields": {}, "decl": {}, "files": []})

    async def start_from(self, update: Update, context: BotContext,
                         known: dict[str, Any]) -> None:
        """Start from what a prospect already told us; ask only for the rest (DEV-1)."""
        if not context.me.roles & {Role.SALES, Role.SALES_HEAD}:
            raise AccessDenied(N_("Only sales staff can file admission applications."))
        fields = {k: str(v) for k, v in known.items() if k in FIELDS and v}
        first = next((f for f in FIELDS if f not in fields), f"d_{DECLARATIONS[0]}")
        await self._go(update, context, first, {"fields": fields, "decl": {}, "files": [],
                                                "prospect": known.get("prospect")})

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        step = state.step
        cancel = [_choice(self.name, state, t, N_("Cancel"), CANCEL)]
        if step in FIELDS:
            index = FIELDS.index(step) + 1
            text = t.gettext("New admission application, {index} of {total}: {field}?").format(
                index=index, total=len(FIELDS), field=t.gettext(FIELD_LABEL[step]))
            markup = InlineKeyboardMarkup([cancel])
        elif step.startswith("d_"):
            text = t.gettext("Admission criteria: {criterion}?").format(
                criterion=t.gettext(DECLARATION_LABEL[step[2:]]))
            markup = InlineKeyboardMarkup([[_choice(self.name, state, t, N_("Yes"), YES),
                                            _choice(self.name, state, t, N_("No"), NO)],
                                           cancel])
        elif step == "files":
            count = len(state.data.get("files", []))
            text = t.gettext("Send the proof documents (business licence etc.) as files or "
                             "photos, up to {limit}. Press Done when finished.").format(
                limit=MAX_FILES)
            if count:
                text += "\n" + t.ngettext("{count} file received.", "{count} files received.",
                                          count).format(count=count)
            markup = InlineKeyboardMarkup([[_choice(self.name, state, t, N_("Done"), DONE)],
                                           cancel])
        else:
            text = summary(t, state.data)
            markup = InlineKeyboardMarkup([[_choice(self.name, state, t, N_("Submit"),
                                                    SUBMIT)], cancel])
        await reply_html(update, context, escape(text) if step != "confirm" else text, markup)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_SENT):
            return
        data: dict[str, Any] = {"fields": dict(state.data.get("fields", {})),
                                "decl": dict(state.data.get("decl", {})),
                                "files": list(state.data.get("files", [])),
                                "prospect": state.data.get("prospect")}
        message = update.effective_message if update.callback_query is None else None
        step = state.step
        if step in FIELDS:
            if message is None or not message.text:
                raise DomainError(N_("Please write it as text."))
            data["fields"][step] = check_field(step, message.text)
            nxt = next((f for f in FIELDS if f not in data["fields"]),
                       f"d_{DECLARATIONS[0]}")
            await self._go(update, context, nxt, data)
        elif step.startswith("d_"):
            if choice not in (YES, NO):
                raise DomainError(N_("Please choose one of the buttons."))
            name = step[2:]
            data["decl"][name] = choice == YES
            index = DECLARATIONS.index(name)
            nxt = f"d_{DECLARATIONS[index + 1]}" if index + 1 < len(DECLARATIONS) else "files"
            await self._go(update, context, nxt, data)
        elif step == "files":
            if choice == DONE:
                await self._go(update, context, "confirm", data)
                return
            attachment = attachment_of(message) if message is not None else None
            if attachment is None:
                raise DomainError(N_("Please send a photo or a document, or press Done."))
            try:
                check_attachment(attachment, len(data["files"]))
            except AttachmentRefused as exc:
                raise DomainError(exc.message, **exc.params) from None
            data["files"].append(attachment.__dict__)
            await self._go(update, context, "files", data)
        else:
            if choice != SUBMIT:
                raise DomainError(N_("Please press Submit to send it, or Cancel."))
            view = await admission.submit(
                context.uow(), context.me, fields=data["fields"],
                declarations=data["decl"], files=[Attachment(**f) for f in data["files"]],
                now=context.now(), adm=adm_of(context), prospect_id=data.get("prospect"))
            await reply_html(update, context, escape(t.gettext(
                "Application {number} is filed. The sales head reviews it first; you will "
                "hear of every step here. /application {number} shows where it stands."
            ).format(number=view.number)))


def summary(t: Translator, data: dict[str, Any]) -> str:
    lines = ["<b>" + escape(t.gettext("Please check and submit:")) + "</b>"]
    for name in FIELDS:
        lines.append(f"{escape(t.gettext(FIELD_LABEL[name]))}: "
                     f"{escape(str(data['fields'].get(name, '')))}")
    for name in DECLARATIONS:
        mark = "✅" if data["decl"].get(name) else "❌"
        lines.append(f"{mark} {escape(t.gettext(DECLARATION_LABEL[name]))}")
    lines.append(escape(t.gettext("Files: {count}").format(count=len(data["files"]))))
    return "\n".join(lines)


# -- the card -------------------------------------------------------------------------------

def card_text(t: Translator, context: BotContext, view: AppView, *,
              for_stage: Stage | None = None) -> str:
    lines = [f"<b>{escape(view.number)}</b> · {escape(view.company)}",
             escape(t.gettext("Status: {status}").format(
                 status=t.gettext(APP_STATUS_LABEL[view.status]))),
             escape(t.gettext("Filed by {name} on {date}").format(
                 name=view.applicant, date=t.datetime(view.submitted_at)))]
    if view.customer_code:
        lines.append(escape(t.gettext("Customer code: {code}").format(code=view.customer_code)))
    lines.append("")
    for name in FIELDS:
        lines.append(f"<b>{escape(t.gettext(FIELD_LABEL[name]))}</b>: "
                     f"{escape(view.fields.get(name, ''))}")
    for name in DECLARATIONS:
        mark = "✅" if view.declarations.get(name) else "❌"
        lines.append(f"{mark} {escape(t.gettext(DECLARATION_LABEL[name]))}")
    lines.append(escape(t.gettext("Files: {count}").format(count=len(view.files))))
    lines.append("")
    lines.append("<b>" + escape(t.gettext("Review")) + "</b>")
    for step in view.steps:
        text = (f"• {escape(t.gettext(STAGE_LABEL[step.stage]))}: "
                f"{escape(t.gettext(VERDICT_LABEL[step.status]))}")
        if step.decided_by:
            text += f" — {escape(step.decided_by)}, {escape(t.datetime(step.decided_at))}" \
                if step.decided_at else f" — {escape(step.decided_by)}"
        elif step.status == StepStatus.PENDING:
            text += " — " + escape(t.gettext("due {due}").format(
                due=deadline_text(t, context, step.due_at)))
        lines.append(text)
        if step.comment:
            lines.append(f"  “{escape(step.comment)}”")
        if step.credit_limit is not None:
            days = step.payment_term_days or 0
            lines.append("  " + escape(t.ngettext(
                "Credit limit {limit}, payment term {days} day",
                "Credit limit {limit}, payment term {days} days", days).format(
                limit=t.number(step.credit_limit), days=days)))
        if step.answer:
            lines.append("  ↩ " + escape(step.answer))
    if for_stage is not None:
        lines.append("")
        lines.append("<i>" + escape(t.gettext(CHECKLIST[for_stage])) + "</i>")
    return "\n".join(lines)


def _b(t: Translator, msgid: str, act: str, step_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(t.gettext(msgid),
                                callback_data=cb.encode(cb.AppButton(act, step_id)))


async def show(update: Update, context: BotContext, view: AppView) -> None:
    """The card; with decision buttons when a step of the reader's role waits."""
    t = context.t
    mine = next((s for s in view.steps if s.status == StepStatus.PENDING
                 and STAGE_ROLE[s.stage] in context.me.roles), None)
    rows = []
    if mine is not None:
        rows.append([_b(t, N_("Approve"), "ok", mine.step_id),
                     _b(t, N_("Reject"), "no", mine.step_id)])
        rows.append([_b(t, N_("Ask for more information"), "q", mine.step_id)])
    if view.files and view.steps:
        rows.append([_b(t, N_("Show files"), "f", view.steps[-1].step_id)])
    text = card_text(t, context, view, for_stage=mine.stage if mine else None)
    await reply_html(update, context, text, InlineKeyboardMarkup(rows) if rows else None)


# -- commands and buttons -------------------------------------------------------------------

async def cmd_apply(update: Update, context: BotContext) -> None:
    """Start (or continue) an admission application."""
    await APPLY.start(update, context)


async def cmd_pending(update: Update, context: BotContext) -> None:
    """What waits for me: review steps of my roles and questions to my applications."""
    t = context.t
    items = await admission.pending(context.uow(), context.me)
    if not items:
        await reply_html(update, context, escape(t.gettext("Nothing waits for you.")))
        return
    lines = ["<b>" + escape(t.gettext("Waiting for you")) + "</b>"]
    rows = []
    for item in items:
        what = (t.gettext(STAGE_LABEL[item.stage]) if item.waiting_for_me
                else t.gettext("a question from {stage}").format(
                    stage=t.gettext(STAGE_LABEL[item.stage])))
        due = t.gettext("due {due}").format(due=deadline_text(t, context, item.due_at))
        lines.append(f"• <b>{escape(item.number)}</b> {escape(item.company)} · {escape(what)}"
                     f" · {escape(due)}")
        act = "v" if item.waiting_for_me else "a"
        rows.append([InlineKeyboardButton(f"{item.number} · {item.company}"[:60],
                                          callback_data=cb.encode(cb.AppButton(
                                              act, item.step_id)))])
    await reply_html(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def cmd_application(update: Update, context: BotContext) -> None:
    """/application NUMBER: the application and its review timeline."""
    if not context.args:
        raise DomainError(N_("Send the application number after the command, e.g. "
                             "/application {example}."), example="ADM-000001")
    view = await admission.view(context.uow(), context.me, number=context.args[0])
    await show(update, context, view)


async def cb_app(update: Update, context: BotContext, data: cb.AppButton) -> None:
    query = update.callback_query
    assert query is not None
    t = context.t
    if data.act == "v":
        view = await admission.view(context.uow(), context.me, step_id=data.step_id)
        await query.answer()
        await show(update, context, view)
    elif data.act == "f":
        view = await admission.view(context.uow(), context.me, step_id=data.step_id)
        await query.answer()
        await _send_files(update, context, view)
    elif data.act == "a":
        await ANSWER.begin(update, context, data.step_id)
        await query.answer()
    else:
        verdict = {"ok": Verdict.APPROVE, "no": Verdict.REJECT, "q": Verdict.INFO}[data.act]
        try:
            await REVIEW.begin(update, context, data.step_id, verdict)
        except AlreadyDecided as exc:
            await query.answer(error_text(t, exc)[:200],
                               show_alert=True)
            return
        await query.answer()


async def _send_files(update: Update, context: BotContext, view: AppView) -> None:
    await send_files(update, context, [(kind, file_id) for kind, file_id, _ in view.files],
                     view.number)


class ReviewDialog(StepDialog):
    """A verdict's comment; for finance's approval first the credit limit and the term."""

    name = "review"

    async def begin(self, update: Update, context: BotContext, step_id: int,
                    verdict: Verdict) -> None:
        view = await admission.open_step(context.uow(), context.me, step_id,
                                         now=context.now())
        step = next(s for s in view.steps if s.step_id == step_id)
        first = ("credit" if verdict == Verdict.APPROVE and step.stage == Stage.FINANCE
                 else "comment")
        state = await dialogs.save_step(context.uow(), context.me, name=self.name, step=first,
                                        data={"step": step_id, "verdict": verdict.value,
                                              "number": view.number},
                                        now=context.now(),
                                        lifetime=context.runtime.dialog_timeout)
        await self.prompt(update, context, state)

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        number = state.data.get("number", "")
        if state.step == "credit":
            text = t.gettext("{number}: the proposed credit limit ({currency})?").format(
                number=number, currency=context.runtime.admission_policy.currency)
        elif state.step == "term":
            text = t.gettext("{number}: the proposed payment term, in days?").format(
                number=number)
        else:
            verdict = Verdict(state.data["verdict"])
            text = {Verdict.APPROVE: t.gettext("{number}: your comment on the approval?"),
                    Verdict.REJECT: t.gettext("{number}: the reason for the rejection? The "
                                              "applicant will read it."),
                    Verdict.INFO: t.gettext("{number}: what information do you need from the "
                                            "applicant?")}[verdict].format(number=number)
        markup = InlineKeyboardMarkup([[_choice(self.name, state, t, N_("Cancel"), CANCEL)]])
        await reply_html(update, context, escape(text + "\n" + t.gettext("/cancel stops.")),
                         markup)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_CHANGED):
            return
        message = update.effective_message if update.callback_query is None else None
        if message is None or not message.text:
            raise DomainError(N_("Please write it as text."))
        data = dict(state.data)
        if state.step == "credit":
            data["credit"] = str(parse_credit(message.text))
            state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                            step="term", data=data, now=context.now(),
                                            lifetime=context.runtime.dialog_timeout)
            await self.prompt(update, context, state)
            return
        if state.step == "term":
            data["term"] = parse_term(message.text)
            state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                            step="comment", data=data, now=context.now(),
                                            lifetime=context.runtime.dialog_timeout)
            await self.prompt(update, context, state)
            return
        try:
            view = await admission.decide(
                context.uow(), context.me, data["step"], verdict=Verdict(data["verdict"]),
                comment=message.text, now=context.now(), adm=adm_of(context),
                credit_limit=parse_credit(data["credit"]) if data.get("credit") else None,
                payment_term_days=data.get("term"))
        except AlreadyDecided as exc:
            await dialogs.end_dialog(context.uow(), context.me)
            await reply_html(update, context, escape(error_text(t, exc)))
            return
        await dialogs.end_dialog(context.uow(), context.me)
        await reply_html(update, context, escape(t.gettext("Recorded: {number} {verdict}.").format(
            number=view.number, verdict=t.gettext(VERDICT_LABEL[
                {"approve": StepStatus.APPROVED, "reject": StepStatus.REJECTED,
                 "info": StepStatus.INFO}[data["verdict"]]]))))


class AnswerDialog(StepDialog):
    """The applicant answers a reviewer's question: files first if any, then the text."""

    name = "answer"

    async def begin(self, update: Update, context: BotContext, step_id: int) -> None:
        view = await admission.view(context.uow(), context.me, step_id=step_id)
        step = next(s for s in view.steps if s.step_id == step_id)
        if view.applicant_id != context.me.staff_id or step.status != StepStatus.INFO \
                or step.answer is not None:
            raise AlreadyDecided(N_("{number}: this question was already answered."),
                                 number=view.number)
        state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                        step="text", data={"step": step_id, "files": [],
                                                           "number": view.number},
                                        now=context.now(), lifetime=DRAFT_LIFETIME)
        await self.prompt(update, context, state)

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        count = len(state.data.get("files", []))
        text = t.gettext("{number}: send your answer as text. Send any files first; they go "
                         "with the answer.").format(number=state.data.get("number", ""))
        if count:
            text += "\n" + t.ngettext("{count} file received.", "{count} files received.",
                                      count).format(count=count)
        markup = InlineKeyboardMarkup([[_choice(self.name, state, t, N_("Cancel"), CANCEL)]])
        await reply_html(update, context, escape(text), markup)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_SENT):
            return
        message = update.effective_message if update.callback_query is None else None
        if message is None:
            raise DomainError(N_("Please write your answer as text."))
        data = dict(state.data)
        attachment = attachment_of(message)
        if attachment is not None:
            try:
                check_attachment(attachment, len(data.get("files", [])))
            except AttachmentRefused as exc:
                raise DomainError(exc.message, **exc.params) from None
            data["files"] = [*data.get("files", []), attachment.__dict__]
            state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                            step="text", data=data, now=context.now(),
                                            lifetime=DRAFT_LIFETIME)
            await self.prompt(update, context, state)
            return
        if not message.text:
            raise DomainError(N_("Please write your answer as text."))
        try:
            view = await admission.answer(context.uow(), context.me, data["step"], message.text,
                                          [Attachment(**f) for f in data.get("files", [])],
                                          now=context.now(), adm=adm_of(context))
        except AlreadyDecided as exc:
            await dialogs.end_dialog(context.uow(), context.me)
            await reply_html(update, context, escape(error_text(t, exc)))
            return
        await reply_html(update, context, escape(t.gettext(
            "Thank you. {number} goes back to the reviewer.").format(number=view.number)))


APPLY = ApplyDialog()
REVIEW = ReviewDialog()
ANSWER = AnswerDialog()
for _dialog in (APPLY, REVIEW, ANSWER):
    register_dialog(_dialog)
