"""The service desk in chat (CMP-2..CMP-4, SVC-3): /queue, /case, case cards with buttons,
the customer's answers (solution, new deadline, survey), department replies, and
/report complaints.

Buttons carry the case's version: a press made on an older card changes nothing and the
presser sees the current card instead (R7). Anything that needs words (a note, a question to
a department, a solution, a progress update, the closing analysis) is a short dialog kept in
the database like every other (R9), so /cancel works and a restart loses nothing.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta, tzinfo
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from domain.cases import CaseKind, CaseStatus, Category, Department, RootCause, working_left
from domain.enums import Role
from domain.errors import N_, AccessDenied, DomainError
from handlers import callbacks as cb
from handlers import charts
from handlers.common import cb_stale
from handlers.context import BotContext, Translator
from handlers.dialogs import StepDialog, register_dialog
from handlers.errors import error_text
from handlers.labels import ROLE
from handlers.render import deadline_text, parse_day, send_chart, send_files, split_text
from services import casework, dialogs
from services.case_sla import Desk
from services.cases import CATEGORY_LABEL, KIND_LABEL
from services.casework import (
    DEPARTMENT_LABEL,
    ROOT_CAUSE_LABEL,
    STATUS_LABEL,
    CaseMoved,
    CaseView,
    status_label,
)
from services.dialogs import DialogState

CANCEL = "cancel"
NO_COMMENT = "none"


def desk_of(context: BotContext) -> Desk:
    runtime = context.runtime
    return Desk(runtime.calendar, runtime.case_policy, runtime.default_locale)


def time_left(t: Translator, context: BotContext, due: Any) -> str:
    left = working_left(context.now(), due, context.runtime.calendar)
    parts = []
    if left.days:
        parts.append(t.ngettext("{count} working day", "{count} working days",
                                left.days).format(count=left.days))
    if left.hours:
        # NOTE: hours of working time, short ("3 h").
        parts.append(t.ngettext("{count} h", "{count} h", left.hours).format(count=left.hours))
    if left.minutes and not left.days:
        # NOTE: minutes of working time, short ("40 min").
        parts.append(t.ngettext("{count} min", "{count} min",
                                left.minutes).format(count=left.minutes))
    amount = " ".join(parts)
    if left.overdue:
        # Past the deadline outside working time (a weekend) no working time has passed yet.
        return (t.gettext("overdue by {time}").format(time=amount) if amount
                else t.gettext("overdue"))
    return t.gettext("{time} left").format(time=amount or t.ngettext(
        "{count} min", "{count} min", 0).format(count=0))


# -- the card -------------------------------------------------------------------------------

def card_text(t: Translator, context: BotContext, view: CaseView) -> str:
    kind = t.gettext(KIND_LABEL[view.kind])
    head = f"<b>{escape(view.number)}</b> · {escape(kind)}"
    if view.urgent:
        head += " · <b>" + escape(t.gettext("URGENT")) + "</b>"
    category = t.gettext(CATEGORY_LABEL[view.category]) if view.category else kind
    lines = [head, f"{escape(view.company)} · {escape(category)}",
             t.gettext("Status: {status}").format(
                 status=escape(t.gettext(status_label(view.kind, view.status))))]
    lines.append(t.gettext("Assigned to: {name}").format(
        name=escape(view.assignee or t.gettext("nobody yet"))))
    if view.clock_running:  # a sent solution stops the clock (CMP-3)
        label = (N_("Acknowledge by: {due} ({left})") if view.status == CaseStatus.OPEN
                 else N_("Answer by: {due} ({left})") if view.kind == CaseKind.INQUIRY
                 else N_("Solve by: {due} ({left})"))
        lines.append(t.gettext(label).format(due=escape(deadline_text(t, context, view.deadline)),
                                             left=escape(time_left(t, context, view.deadline))))
    if view.deadline_agreed:
        lines.append(t.gettext("The customer agreed this deadline."))
    if view.proposed_due_at is not None:
        lines.append(t.gettext("New deadline proposed, waiting for the customer: {due}").format(
            due=escape(deadline_text(t, context, view.proposed_due_at))))
    if view.escalation_level and view.clock_running:
        lines.append(t.gettext("Escalation level: {level}").format(level=view.escalation_level))
    lines.append("")
    lines.append(escape(view.description))
    if view.attachments:
        lines.append(t.gettext("Files: {count}").format(count=len(view.attachments)))
    if view.solution:
        shown = (t.gettext("Answer: {text}") if view.kind == CaseKind.INQUIRY
                 else t.gettext("Solution: {text}"))
        lines.append(shown.format(text=escape(view.solution)))
    for fwd in view.forwards:
        dept = t.gettext(DEPARTMENT_LABEL[fwd.department])
        state = (escape(fwd.answer) if fwd.answer else
                 t.gettext("waiting, due {due}").format(
                     due=escape(deadline_text(t, context, fwd.due_at))))
        lines.append(f"↪ {escape(dept)}: {escape(fwd.question)} → {state}")
    if view.events:
        lines.append("")
        lines.append("<b>" + escape(t.gettext("Timeline")) + "</b>")
        for event in view.events[-10:]:
            lines.append("• " + event_line(t, event, view.kind))
    return "\n".join(lines)


# Who a missed deadline goes up to (domain.cases.LADDER).
LADDER_LABEL = {"assignee": N_("the assignee"), "service_lead": ROLE[Role.SERVICE_LEAD],
                "executive": ROLE[Role.EXECUTIVE]}

# Who acted, when the event names no person.
BY_LABEL = {"staff": N_("staff"), "customer": N_("customer"), "system": N_("system")}


def event_line(t: Translator, event: casework.Event, kind: CaseKind) -> str:
    """One timeline entry: when, what (in the words of the case's kind), who (a name or a
    translated label), and its text."""
    what = t.gettext(casework.event_label(kind, event.kind))
    who = event.actor or t.gettext(BY_LABEL[event.by])
    text = escape(event.text[:200])
    if event.when is not None:
        text = escape(t.datetime(event.when))
    if event.detail == "review":
        text = escape(t.gettext("after the review of a low satisfaction score"))
    elif event.detail == "action_done":
        text = t.gettext("Corrective action done: {text}").format(text=text)
    if event.escalation is not None:
        esc = event.escalation
        step = casework.STEP_ACK if esc.stage == "ack" else casework.STEP_SOLVE
        # NOTE: {step} is "acknowledged" or "solved"; {who} is who the case went up to.
        text = escape(t.gettext("not {step} in time; level {level}: {who}").format(
            step=t.gettext(step), level=esc.level, who=t.gettext(LADDER_LABEL[esc.to])))
        if esc.late:  # the bot was down when it fell due
            text = t.gettext("{text} (sent late)").format(text=text)
    if event.department is not None:
        # NOTE: a forward's department, then the question asked or the answer given.
        text = t.gettext("{department}: {text}").format(
            department=escape(t.gettext(DEPARTMENT_LABEL[event.department])), text=text)
    # NOTE: {who} is a person's name or "system"/"customer"/"staff"; use the brackets of
    # your language (full-width in Chinese).
    line = t.gettext("{when} {what} ({who})").format(
        when=escape(t.datetime(event.at)), what=escape(what), who=escape(who))
    return line + (f" — {text}" if text else "")


def _b(t: Translator, msgid: str, act: str, view: CaseView, arg: int | None = None
       ) -> InlineKeyboardButton:
    return InlineKeyboardButton(t.gettext(msgid), callback_data=cb.encode(
        cb.CaseButton(act, view.case_id, view.version, arg)))


def card_buttons(t: Translator, view: CaseView, actor_roles: frozenset[Role]
                 ) -> InlineKeyboardMarkup | None:
    if not actor_roles & casework.DESK:
        return None
    status = view.status
    rows: list[list[InlineKeyboardButton]] = []
    if status == CaseStatus.OPEN:
        rows.append([_b(t, N_("Acknowledge"), "ack", view)])
    if status in (CaseStatus.ACKNOWLEDGED, CaseStatus.REOPENED):
        rows.append([_b(t, N_("Propose a solution") if view.kind == CaseKind.COMPLAINT
                        else N_("Answer"), "prop", view)])
    if status == CaseStatus.ACKNOWLEDGED:
        rows.append([_b(t, N_("Agree a new deadline"), "dl", view)])
    if status in (CaseStatus.ACKNOWLEDGED, CaseStatus.SOLUTION_PROPOSED):
        rows.append([_b(t, N_("Progress update"), "prg", view)])
    if status in (CaseStatus.RESOLVED, CaseStatus.REOPENED):
        rows.append([_b(t, N_("Close"), "cls", view)])
    if status != CaseStatus.CLOSED:
        row = [_b(t, N_("Note"), "note", view)]
        if status in (CaseStatus.ACKNOWLEDGED, CaseStatus.SOLUTION_PROPOSED,
                      CaseStatus.REOPENED):
            row.append(_b(t, N_("Forward"), "fwd", view))
        rows.append(row)
        row = [_b(t, N_("Take"), "take", view)]
        if Role.SERVICE_LEAD in actor_roles:
            row.append(_b(t, N_("Assign"), "asg", view))
        rows.append(row)
    if view.attachments:
        rows.append([_b(t, N_("Show files"), "fil", view)])
    return InlineKeyboardMarkup(rows) if rows else None


async def show_card(update: Update, context: BotContext, view: CaseView) -> None:
    chat = update.effective_chat
    assert chat is not None
    t = context.t
    parts = split_text(card_text(t, context, view))
    markup = card_buttons(t, view, context.me.roles)
    for index, part in enumerate(parts):
        await context.bot.send_message(chat.id, part, parse_mode=ParseMode.HTML,
                                       reply_markup=markup if index == len(parts) - 1 else None)


# -- commands -------------------------------------------------------------------------------

async def cmd_queue(update: Update, context: BotContext) -> None:
    """Open cases, urgent first, then nearest deadline first, a page at a time."""
    await _send_queue(update, context, 1)


async def _send_queue(update: Update, context: BotContext, page: int) -> None:
    chat = update.effective_chat
    assert chat is not None
    t = context.t
    result = await casework.queue(context.uow(), context.me, page=page)
    if not result.items:
        await context.bot.send_message(chat.id, t.gettext("No open cases. Well done."))
        return
    lines = ["<b>" + escape(t.gettext("Open cases: {count} (page {page} of {pages})").format(
        count=result.total, page=result.page, pages=result.pages)) + "</b>"]
    rows = []
    for view in result.items:
        mark = "🔴 " if view.urgent else ""
        line = (f"{mark}<b>{escape(view.number)}</b> · {escape(view.company)} · "
                f"{escape(t.gettext(status_label(view.kind, view.status)))}")
        if view.clock_running:
            line += f" · {escape(time_left(t, context, view.deadline))}"
        lines.append(line)
        rows.append([InlineKeyboardButton(f"{view.number} · {view.company}"[:60],
                                          callback_data=cb.encode(cb.CaseButton(
                                              "view", view.case_id, 0)))])
    nav = []
    if result.page > 1:
        nav.append(InlineKeyboardButton("‹ " + t.gettext("Previous"),
                                        callback_data=cb.encode(cb.QueuePage(result.page - 1))))
    if result.page < result.pages:
        nav.append(InlineKeyboardButton(t.gettext("Next") + " ›",
                                        callback_data=cb.encode(cb.QueuePage(result.page + 1))))
    if nav:
        rows.append(nav)
    await context.bot.send_message(chat.id, "\n".join(lines), parse_mode=ParseMode.HTML,
                                   reply_markup=InlineKeyboardMarkup(rows))


async def cmd_case(update: Update, context: BotContext) -> None:
    """/case NUMBER: one case with its timeline (staff: everything; customers: their own)."""
    args = context.args or []
    if not args:
        raise DomainError(N_("Send the case number after the command, e.g. /case {example}."),
                          example="CMP-000001")
    view = await casework.view_case(context.uow(), context.me, number=args[0])
    await show_card(update, context, view)


async def cmd_report(update: Update, context: BotContext) -> None:
    """/report complaints [period]: counts, on-time shares, satisfaction, causes, actions."""
    args = context.args or []
    if not args or args[0].lower() not in ("complaints", "complaint", "cases"):
        raise DomainError(N_("Usage: /report complaints [period], e.g. /report complaints "
                             "2026-11 (also 30d, 2026-Q4 or 2026)."))
    start, end = casework.period_of(" ".join(args[1:]), context.now(), context.runtime.calendar)
    report = await casework.report(context.uow(), context.me, start=start, end=end)
    chat = update.effective_chat
    assert chat is not None
    t = context.t
    for part in split_text(report_text(t, report, context.runtime.calendar.tz)):
        await context.bot.send_message(chat.id, part, parse_mode=ParseMode.HTML)
    if report.total:
        await send_chart(update, context, lambda: charts.complaints_chart(t, report),
                         t.gettext("Cases by category and status"))


def _share(t: Translator, value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def report_text(t: Translator, report: casework.Report, tz: tzinfo) -> str:
    first = report.start.astimezone(tz).date()
    last = (report.end - timedelta(seconds=1)).astimezone(tz).date()  # the end is exclusive
    lines = ["<b>" + escape(t.gettext("Complaints and inquiries, {start} to {end}").format(
        start=t.date(first), end=t.date(last))) + "</b>",
        t.gettext("Cases opened: {count}").format(count=report.total)]
    if report.total:
        lines.append("<b>" + escape(t.gettext("By status")) + "</b>")
        for status in CaseStatus:
            if report.by_status.get(status):
                lines.append(f"• {escape(t.gettext(STATUS_LABEL[status]))}: "
                             f"{report.by_status[status]}")
        lines.append("<b>" + escape(t.gettext("By category")) + "</b>")
        for category, count in sorted(report.by_category.items(), key=lambda kv: -kv[1]):
            name = (t.gettext(CATEGORY_LABEL[category]) if category
                    else t.gettext(KIND_LABEL[CaseKind.INQUIRY]))
            lines.append(f"• {escape(name)}: {count}")
    lines.append(t.gettext("Acknowledged on time: {share}").format(
        share=_share(t, report.acknowledged_on_time)))
    lines.append(t.gettext("Solved on time: {share}").format(
        share=_share(t, report.solved_on_time)))
    lines.append(t.ngettext("Average satisfaction: {score} ({count} answer)",
                            "Average satisfaction: {score} ({count} answers)",
                            report.answers).format(
        score="–" if report.satisfaction is None else f"{report.satisfaction:.1f}",
        count=report.answers))
    if report.root_causes:
        lines.append("<b>" + escape(t.gettext("Top root causes")) + "</b>")
        for cause, count in report.root_causes:
            lines.append(f"• {escape(t.gettext(ROOT_CAUSE_LABEL[cause]))}: {count}")
    lines.append("<b>" + escape(t.gettext("Open corrective actions: {count}").format(
        count=len(report.open_actions))) + "</b>")
    for number, text, owner, due in report.open_actions[:15]:
        lines.append(f"• {escape(number)} · {escape(owner)} · {escape(t.datetime(due))}: "
                     f"{escape(text[:120])}")
    return "\n".join(lines)


# -- buttons --------------------------------------------------------------------------------

async def cb_queue_page(update: Update, context: BotContext, data: cb.QueuePage) -> None:
    query = update.callback_query
    assert query is not None
    await _send_queue(update, context, data.page)
    await query.answer()


async def cb_case(update: Update, context: BotContext, data: cb.CaseButton) -> None:
    """A service-desk button on a case card."""
    query = update.callback_query
    assert query is not None
    actor, now, desk, uow = context.me, context.now(), desk_of(context), context.uow
    t = context.t
    try:
        if data.act == "view":
            view = await casework.view_case(uow(), actor, case_id=data.case_id)
        elif data.act == "ack":
            view = await casework.acknowledge(uow(), actor, data.case_id, data.version,
                                              now=now, desk=desk)
        elif data.act == "take":
            view = await casework.assign(uow(), actor, data.case_id, data.version,
                                         assignee_id=None, now=now, desk=desk)
        elif data.act == "to" and data.arg is not None:
            view = await casework.assign(uow(), actor, data.case_id, data.version,
                                         assignee_id=data.arg, now=now, desk=desk)
        elif data.act == "asg":
            await _ask_assignee(update, context, data)
            await query.answer()
            return
        elif data.act == "fil":
            await _send_files(update, context, data.case_id)
            await query.answer()
            return
        elif data.act in TEXT_STEPS or data.act == "cls":
            await CASE_ACTION.begin(update, context, data)
            await query.answer()
            return
        else:
            await cb_stale(update, context)
            return
    except CaseMoved as exc:
        await query.answer(error_text(t, exc)[:200], show_alert=True)
        fresh = await casework.view_case(uow(), actor, case_id=data.case_id)
        await show_card(update, context, fresh)
        return
    await query.answer(t.gettext("Done.") if data.act != "view" else None)
    await show_card(update, context, view)


async def _ask_assignee(update: Update, context: BotContext, data: cb.CaseButton) -> None:
    chat = update.effective_chat
    assert chat is not None
    if Role.SERVICE_LEAD not in context.me.roles:
        raise AccessDenied(N_("Only the service lead can assign cases to others."))
    people = await casework.desk_staff(context.uow())
    rows = [[InlineKeyboardButton(name[:40], callback_data=cb.encode(cb.CaseButton(
        "to", data.case_id, data.version, staff_id)))] for staff_id, name in people]
    await context.bot.send_message(chat.id, context.t.gettext("Assign to whom?"),
                                   reply_markup=InlineKeyboardMarkup(rows))


async def _send_files(update: Update, context: BotContext, case_id: int) -> None:
    view = await casework.view_case(context.uow(), context.me, case_id=case_id)
    await send_files(update, context, view.attachments, view.number)


async def cb_customer(update: Update, context: BotContext, data: cb.CustomerCase) -> None:
    """The customer accepts or rejects a solution, or agrees a new deadline."""
    query = update.callback_query
    assert query is not None
    t = context.t
    accept = data.act in ("acc", "dly")
    try:
        if data.act in ("acc", "rej"):
            view = await casework.decide_solution(context.uow(), context.me, data.case_id,
                                                  data.version, accept=accept,
                                                  now=context.now(), desk=desk_of(context))
        else:
            view = await casework.decide_deadline(context.uow(), context.me, data.case_id,
                                                  data.version, accept=accept,
                                                  now=context.now(), desk=desk_of(context))
    except CaseMoved:
        await query.answer(t.gettext("This question is already answered or has moved on. "
                                     "/cases shows where your case stands."), show_alert=True)
        return
    await query.answer()
    await _drop_buttons(update)
    if data.act == "acc":
        text = (t.gettext("Thank you. We are glad we could help.")
                if view.kind == CaseKind.INQUIRY
                else t.gettext("Thank you. We are glad it is solved."))
    elif data.act == "rej":
        text = t.gettext("Understood. {number} goes back to customer service, who will come "
                         "back to you.").format(number=view.number)
    elif data.act == "dly":
        text = t.gettext("Thank you. The new deadline for {number} is {due}.").format(
            number=view.number, due=deadline_text(t, context, view.resolve_due_at))
    else:
        text = t.gettext("Understood. The deadline for {number} stays {due}.").format(
            number=view.number, due=deadline_text(t, context, view.resolve_due_at))
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, text)


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    with contextlib.suppress(BadRequest):  # already without buttons, or too old to edit
        await query.edit_message_reply_markup(reply_markup=None)


async def cb_survey(update: Update, context: BotContext, data: cb.SurveyScore) -> None:
    """A satisfaction score; then an optional comment."""
    query = update.callback_query
    assert query is not None
    t = context.t
    try:
        await casework.answer_survey(context.uow(), context.me, data.case_id, str(data.score),
                                     now=context.now(), desk=desk_of(context))
    except CaseMoved as exc:
        await query.answer(error_text(t, exc)[:200], show_alert=True)
        return
    await query.answer()
    await _drop_buttons(update)
    await SURVEY_COMMENT.begin(update, context, data.case_id)


async def cb_ref(update: Update, context: BotContext, data: cb.Ref) -> None:
    """A department's Reply, or Done on a corrective action or a task."""
    query = update.callback_query
    assert query is not None
    t = context.t
    if data.kind == "fw":
        await CASE_ACTION.begin_reply(update, context, data.ident)
        await query.answer()
        return
    try:
        if data.kind == "ca":
            number = await casework.finish_action(context.uow(), context.me, data.ident,
                                                  now=context.now())
            text = t.gettext("Corrective action for {number} marked done.").format(
                number=number)
        else:
            await casework.finish_task(context.uow(), context.me, data.ident,
                                       now=context.now())
            text = t.gettext("Task marked done.")
    except CaseMoved as exc:
        await query.answer(error_text(t, exc)[:200], show_alert=True)
        return
    await query.answer()
    await _drop_buttons(update)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, text)


# -- dialogs that take words ----------------------------------------------------------------

TEXT_STEPS = {
    "note": N_("Send the note for {number} (staff only will see it)."),
    "fwd": N_("Which department should give input on {number}?"),
    "prop": N_("Send the solution for {number}; the customer will be asked to accept it."),
    "prop_inq": N_("Send the answer to {number}; the customer will be asked whether it "
                   "helps."),
    "dl": N_("Send the new deadline for {number} as a date (YYYY-MM-DD); the customer will be "
             "asked to agree."),
    "prg": N_("Send the progress update for {number}; the customer will receive it."),
    "fwq": N_("Send the question for {department} about {number}."),
    "cause": N_("Closing {number}: what was the root cause?"),
    "causet": N_("Describe the root cause of {number} in a few words."),
    "act": N_("What corrective action will stop it from happening again?"),
    "owner": N_("Who owns the corrective action?"),
    "adue": N_("By when must the corrective action be done? Send a date (YYYY-MM-DD)."),
    "reply": N_("Send your reply on {number}."),
}


class CaseActionDialog(StepDialog):
    """Staff input for a case: one text, or the few steps of closing a complaint."""

    name = "csact"

    async def begin(self, update: Update, context: BotContext, data: cb.CaseButton) -> None:
        view = await casework.view_case(context.uow(), context.me, case_id=data.case_id)
        if not context.me.roles & casework.DESK:
            raise AccessDenied(N_("This is for customer service staff."))
        if view.version != data.version:
            raise CaseMoved(N_("{number} has moved on since that button was sent (it is with "
                               "{name} now); nothing was changed."), number=view.number,
                            name=view.assignee or "-")
        step = data.act
        if step == "cls":
            closing_inquiry = (view.kind == CaseKind.INQUIRY
                               or view.status == CaseStatus.REOPENED)
            if closing_inquiry:
                result = await casework.close(
                    context.uow(), context.me, view.case_id, view.version, root_cause=None,
                    root_text="", action_text="", action_owner_id=None, action_due=None,
                    now=context.now(), desk=desk_of(context))
                await show_card(update, context, result)
                return
            step = "cause"
        await self._go(update, context, step, {"case": view.case_id, "v": view.version,
                                               "number": view.number,
                                               "inquiry": view.kind == CaseKind.INQUIRY})

    async def begin_reply(self, update: Update, context: BotContext, forward_id: int) -> None:
        number = await casework.forward_number(context.uow(), context.me, forward_id)
        await self._go(update, context, "reply", {"fwd": forward_id, "number": number})

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        chat = update.effective_chat
        assert chat is not None
        t = context.t
        data = state.data
        params = {"number": data.get("number", ""),
                  "department": t.gettext(DEPARTMENT_LABEL[Department(data["dept"])])
                  if data.get("dept") else ""}
        step = "prop_inq" if state.step == "prop" and data.get("inquiry") else state.step
        text = t.gettext(TEXT_STEPS[step]).format(**params)
        rows: list[list[InlineKeyboardButton]] = []

        def choice(label: str, value: str) -> InlineKeyboardButton:
            return InlineKeyboardButton(label[:40], callback_data=cb.encode(
                cb.DialogChoice(self.name, state.version, value)))

        if state.step == "fwd":
            rows += [[choice(t.gettext(DEPARTMENT_LABEL[d]), d.value)] for d in Department]
        elif state.step == "cause":
            causes = [choice(t.gettext(ROOT_CAUSE_LABEL[c]), c.value) for c in RootCause]
            rows += [causes[i:i + 2] for i in range(0, len(causes), 2)]
        elif state.step == "owner":
            rows += [[choice(name, str(staff_id))]
                     for staff_id, name in await casework.action_owners(context.uow())]
        rows.append([choice(t.gettext("Cancel"), CANCEL)])
        await context.bot.send_message(chat.id, text + "\n" + t.gettext("/cancel stops."),
                                       reply_markup=InlineKeyboardMarkup(rows))

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        chat = update.effective_chat
        assert chat is not None
        if choice == CANCEL:
            await dialogs.end_dialog(context.uow(), context.me)
            await context.bot.send_message(chat.id, t.gettext("Cancelled. Nothing was "
                                                                 "changed."))
            return
        data = dict(state.data)
        step = state.step
        message = update.effective_message if update.callback_query is None else None
        text = (message.text or "") if message is not None else ""
        wants_button = step in ("fwd", "cause", "owner")
        if wants_button and choice is None:
            raise DomainError(N_("Please choose one of the buttons."))
        if not wants_button and (message is None or not message.text):
            raise DomainError(N_("Please write it as text."))
        actor, now, desk, uow = context.me, context.now(), desk_of(context), context.uow
        case_id, version = data.get("case", 0), data.get("v", 0)
        try:
            if step == "note":
                view = await casework.add_note(uow(), actor, case_id, version, text, now=now)
            elif step == "prop":
                view = await casework.propose(uow(), actor, case_id, version, text, now=now,
                                              desk=desk)
            elif step == "prg":
                view = await casework.send_progress(uow(), actor, case_id, version, text,
                                                    now=now, desk=desk)
            elif step == "dl":
                view = await casework.propose_deadline(uow(), actor, case_id, version,
                                                       parse_day(text), now=now, desk=desk)
            elif step == "fwd":
                if choice not in {d.value for d in Department}:
                    raise DomainError(N_("Please choose one of the buttons."))
                data["dept"] = choice
                return await self._go(update, context, "fwq", data)
            elif step == "fwq":
                view = await casework.forward(uow(), actor, case_id, version,
                                              department=Department(data["dept"]),
                                              question=text, now=now, desk=desk)
            elif step == "reply":
                number = await casework.reply_forward(uow(), actor, data["fwd"], text,
                                                      now=now, desk=desk)
                await dialogs.end_dialog(uow(), actor)
                await context.bot.send_message(chat.id, t.gettext(
                    "Thank you, your reply on {number} was passed on.").format(number=number))
                return
            elif step == "cause":
                if choice not in {c.value for c in RootCause}:
                    raise DomainError(N_("Please choose one of the buttons."))
                data["cause"] = choice
                return await self._go(update, context, "causet", data)
            elif step == "causet":
                data["causet"] = casework.clean_text(text)
                return await self._go(update, context, "act", data)
            elif step == "act":
                data["act"] = casework.clean_text(text)
                return await self._go(update, context, "owner", data)
            elif step == "owner":
                owners = {str(i) for i, _ in await casework.action_owners(uow())}
                if choice not in owners:
                    raise DomainError(N_("Please choose one of the buttons."))
                data["owner"] = int(choice)
                return await self._go(update, context, "adue", data)
            else:  # adue: the last step of closing
                due = parse_day(text)
                if due < now.astimezone(context.runtime.calendar.tz).date():
                    raise DomainError(N_("That date is in the past."))
                view = await casework.close(
                    uow(), actor, case_id, version, root_cause=RootCause(data["cause"]),
                    root_text=data["causet"], action_text=data["act"],
                    action_owner_id=data["owner"], action_due=due, now=now, desk=desk)
        except CaseMoved as exc:
            await dialogs.end_dialog(uow(), actor)
            await context.bot.send_message(chat.id, error_text(t, exc))
            return
        await dialogs.end_dialog(uow(), actor)
        await context.bot.send_message(chat.id, t.gettext("Done."))
        await show_card(update, context, view)



class SurveyCommentDialog:
    """After a score: an optional comment, one message."""

    name = "svc"

    async def begin(self, update: Update, context: BotContext, case_id: int) -> None:
        state = await dialogs.save_step(context.uow(), context.me, name=self.name,
                                        step="comment", data={"case": case_id},
                                        now=context.now(),
                                        lifetime=context.runtime.dialog_timeout)
        await self.prompt(update, context, state)

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        chat = update.effective_chat
        assert chat is not None
        t = context.t
        button = InlineKeyboardButton(t.gettext("No comment"), callback_data=cb.encode(
            cb.DialogChoice(self.name, state.version, NO_COMMENT)))
        await context.bot.send_message(
            chat.id, t.gettext("Thank you for your score. Would you like to add a comment? "
                               "Write it now, or press No comment."),
            reply_markup=InlineKeyboardMarkup([[button]]))

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        chat = update.effective_chat
        assert chat is not None
        t = context.t
        message = update.effective_message if update.callback_query is None else None
        if choice == NO_COMMENT:
            await dialogs.end_dialog(context.uow(), context.me)
        elif message is not None and message.text:
            await casework.survey_comment(context.uow(), context.me, state.data["case"],
                                          message.text, now=context.now())
            await dialogs.end_dialog(context.uow(), context.me)
        else:
            raise DomainError(N_("Please write your comment as text, or press No comment."))
        await context.bot.send_message(chat.id, t.gettext("Thank you for your feedback."))


CASE_ACTION = CaseActionDialog()
SURVEY_COMMENT = SurveyCommentDialog()
register_dialog(CASE_ACTION)
register_dialog(SURVEY_COMMENT)

__all__ = ["Category", "cb_case", "cb_customer", "cb_queue_page", "cb_ref", "cb_survey",
           "cmd_case", "cmd_queue", "cmd_report"]
