"""Relationship care in chat (SVC-4, CARE-1..CARE-4): /visits, logging a visit in a few taps,
/birthday, /template, /news and the one-tap news opt-out."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.care import DEFAULT_GREETING, VISIT_KIND_LABEL, VisitKind
from domain.enums import Role
from domain.errors import N_, AccessDenied, DomainError
from handlers import callbacks as cb
from handlers.context import BotContext
from handlers.dialogs import NOTHING_CHANGED, NOTHING_SENT, StepDialog, register_dialog
from handlers.render import dialog_button, reply_html
from services import care, dialogs
from services.dialogs import DialogState

CANCEL, SKIP, SEND, ALL = "cancel", "skip", "send", "all"


def care_of(context: BotContext) -> care.Care:
    runtime = context.runtime
    return care.Care(runtime.calendar, runtime.calendar.region, runtime.care_policy,
                     runtime.default_locale, runtime.ladder_policy.business_start)




async def cmd_visits(update: Update, context: BotContext) -> None:
    """The visit plan for the coming six weeks, overdue first, with a button per customer."""
    t = context.t
    plan = await care.visit_plan(context.uow(), context.me, now=context.now(),
                                 care=care_of(context))
    if not plan:
        await reply_html(update, context, escape(t.gettext("No visits are due in the next six "
                                                      "weeks.")))
        return
    today = context.now().astimezone(context.runtime.calendar.tz).date()
    lines = ["<b>" + escape(t.gettext("Visits for the coming weeks")) + "</b>"]
    for visit in plan:
        mark = "⚠️ " if visit.due < today else ""
        last = t.date(visit.last) if visit.last else "–"
        lines.append(f"{mark}{escape(t.date(visit.due))} · <b>{escape(visit.code)}</b> "
                     f"{escape(visit.name)} ({visit.grade}) · "
                     + escape(t.gettext("last visit {date}").format(date=last)))
    rows = [[InlineKeyboardButton(f"{t.gettext('Log a visit')} · {v.code}"[:60],
                                  callback_data=cb.encode(cb.Ref("vs", v.customer_id)))]
            for v in plan[:10]]
    await reply_html(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


class VisitDialog(StepDialog):
    """Kind (buttons), outcome, then feedback, next actions and an opportunity (each may be
    skipped)."""

    name = "visit"
    steps = ("kind", "outcome", "feedback", "next", "opportunity")

    async def begin(self, update: Update, context: BotContext, code: str) -> None:
        if not context.me.is_staff:
            raise AccessDenied(N_("Visits are logged by the customer's sales rep."))
        await self._go(update, context, "kind", {"code": code.strip().upper()})

    async def begin_for(self, update: Update, context: BotContext, customer_id: int) -> None:
        code = await care.visit_customer_code(context.uow(), context.me, customer_id)
        await self.begin(update, context, code)

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        code = state.data.get("code", "")
        rows: list[list[InlineKeyboardButton]] = []
        if state.step == "kind":
            text = t.gettext("Visit to {code}: how did it take place?").format(code=code)
            rows += [[dialog_button(self.name, state, t.gettext(VISIT_KIND_LABEL[k]), k.value)]
                     for k in VisitKind]
        else:
            text = {"outcome": t.gettext("The outcome, in a few words?"),
                    "feedback": t.gettext("The customer's feedback?"),
                    "next": t.gettext("Next actions?"),
                    "opportunity": t.gettext("Any opportunity (new product, more volume)?")}[
                state.step]
            if state.step != "outcome":
                rows.append([dialog_button(self.name, state, t.gettext("Skip"), SKIP)])
        await self._ask(update, context, state, text, rows)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_CHANGED):
            return
        data = dict(state.data)
        message = update.effective_message if update.callback_query is None else None
        text = (message.text or "").strip() if message is not None else ""
        if state.step == "kind":
            if choice not in {k.value for k in VisitKind}:
                raise DomainError(N_("Please choose one of the buttons."))
            data["kind"] = choice
        elif choice == SKIP and state.step != "outcome":
            data[state.step] = ""
        elif not text:
            raise DomainError(N_("Please write it as text."))
        else:
            data[state.step] = text
        index = self.steps.index(state.step)
        if index + 1 < len(self.steps):
            return await self._go(update, context, self.steps[index + 1], data)
        nxt = await care.log_visit(
            context.uow(), context.me, data["code"], kind=VisitKind(data["kind"]),
            outcome=data["outcome"], feedback=data.get("feedback", ""),
            next_actions=data.get("next", ""), opportunity=data.get("opportunity", ""),
            now=context.now(), care=care_of(context))
        await dialogs.end_dialog(context.uow(), context.me)
        await reply_html(update, context, escape(t.gettext(
            "Visit logged. The next visit to {code} is due {date}.").format(
            code=data["code"], date=t.date(nxt))))


async def cmd_visit(update: Update, context: BotContext) -> None:
    """/visit CODE: log a visit."""
    if not context.args:
        raise DomainError(N_("Send the customer code after the command, e.g. /visit "
                             "{example}."), example="ACME")
    await VISIT.begin(update, context, context.args[0])


async def cb_visit(update: Update, context: BotContext, customer_id: int) -> None:
    query = update.callback_query
    assert query is not None
    await VISIT.begin_for(update, context, customer_id)
    await query.answer()


async def cmd_birthday(update: Update, context: BotContext) -> None:
    """/birthday MM-DD: a contact gives their birthday for birthday wishes."""
    if not context.args:
        raise DomainError(N_("Please send your birthday as month and day, e.g. {example}."),
                          example="03-28")
    value = await care.set_birthday(context.uow(), context.me, context.args[0],
                                    now=context.now())
    await reply_html(update, context, escape(context.t.gettext(
        "Thank you, we noted your birthday ({date}).").format(date=value)))


async def cmd_template(update: Update, context: BotContext) -> None:
    """/template lists the greetings; /template KEY LOCALE TEXT changes one."""
    args = context.args or []
    t = context.t
    if len(args) < 3:
        keys = ", ".join(DEFAULT_GREETING)
        await reply_html(update, context, escape(t.gettext(
            "Usage: /template KEY LANGUAGE TEXT, with KEY one of {keys} and LANGUAGE one of "
            "zh_Hant, zh_Hans, en. Use {{name}} for the contact's name.").format(keys=keys)))
        return
    await care.set_template(context.uow(), context.me, args[0], args[1], " ".join(args[2:]),
                            now=context.now())
    await reply_html(update, context, escape(t.gettext("Greeting {key} ({locale}) saved.").format(
        key=args[0], locale=args[1])))


class NewsDialog(StepDialog):
    """Audience, then the text in each language (each may be skipped), then send."""

    name = "news"
    steps = ("audience", "zh_Hant", "zh_Hans", "en", "confirm")

    async def start(self, update: Update, context: BotContext) -> None:
        if not context.me.roles & {Role.SALES_HEAD, Role.MARKET, Role.ADMIN}:
            raise AccessDenied(N_("News is sent by the sales head, market or the admin."))
        await self._go(update, context, "audience", {})

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        rows: list[list[InlineKeyboardButton]] = []
        if state.step == "audience":
            text = t.gettext("Who should receive the news? Choose, or type customer codes "
                             "(e.g. {example}).").format(example="ACME GLOBEX")
            rows.append([dialog_button(self.name, state, t.gettext("All customers"), ALL)])
            rows.append([dialog_button(self.name, state,
                                       t.gettext("Grade {grade}").format(grade=g), g)
                         for g in ("A", "B", "C")])
        elif state.step == "confirm":
            count = sum(1 for k in ("zh_Hant", "zh_Hans", "en") if state.data.get(k))
            text = t.gettext("Send the news in {count} language(s) now? Contacts get it in "
                             "their language, or in the first one written.").format(
                count=count)
            rows.append([dialog_button(self.name, state, t.gettext("Send"), SEND)])
        else:
            text = {"zh_Hant": t.gettext("The news in Traditional Chinese?"),
                    "zh_Hans": t.gettext("The news in Simplified Chinese?"),
                    "en": t.gettext("The news in English?")}[state.step]
            rows.append([dialog_button(self.name, state, t.gettext("Skip"), SKIP)])
        await self._ask(update, context, state, text, rows)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_SENT):
            return
        data = dict(state.data)
        message = update.effective_message if update.callback_query is None else None
        text = (message.text or "").strip() if message is not None else ""
        if state.step == "audience":
            data.update(_audience(choice, text))
        elif state.step == "confirm":
            if choice != SEND:
                raise DomainError(N_("Please press Send, or Cancel."))
            queued = await care.send_news(
                context.uow, context.me,
                texts={k: data.get(k, "") for k in ("zh_Hant", "zh_Hans", "en")},
                grades=data.get("grades"), codes=data.get("codes"), now=context.now(),
                care=care_of(context))
            await dialogs.end_dialog(context.uow(), context.me)
            await reply_html(update, context, escape(t.ngettext(
                "The news is on its way to {count} contact.",
                "The news is on its way to {count} contacts.", queued).format(count=queued)))
            return
        elif choice == SKIP:
            data[state.step] = ""
        elif not text:
            raise DomainError(N_("Please write it as text."))
        else:
            data[state.step] = text
        index = self.steps.index(state.step)
        nxt = self.steps[index + 1]
        if nxt == "confirm" and not any(data.get(k) for k in ("zh_Hant", "zh_Hans", "en")):
            raise DomainError(N_("Please write the news in at least one language."))
        await self._go(update, context, nxt, data)


class EventDialog(StepDialog):
    """Title, date and time, place, audience, then announce (CARE-3)."""

    name = "event"
    steps = ("title", "when", "place", "audience")

    async def start(self, update: Update, context: BotContext) -> None:
        if not context.me.roles & {Role.SALES_HEAD, Role.MARKET, Role.ADMIN}:
            raise AccessDenied(N_("Events are announced by the sales head, market or the "
                                 "admin."))
        await self._go(update, context, "title", {})

    async def prompt(self, update: Update, context: BotContext, state: DialogState) -> None:
        t = context.t
        rows: list[list[InlineKeyboardButton]] = []
        if state.step == "audience":
            text = t.gettext("Who is invited? Choose, or type customer codes (e.g. {example})."
                             ).format(example="ACME GLOBEX")
            rows.append([dialog_button(self.name, state, t.gettext("All customers"), ALL)])
            rows.append([dialog_button(self.name, state,
                                       t.gettext("Grade {grade}").format(grade=g), g)
                         for g in ("A", "B", "C")])
        else:
            text = {"title": t.gettext("The event's title (training, seminar...)?"),
                    "when": t.gettext("When? Send the date and time, e.g. {example}.").format(
                        example="2026-12-18 14:00"),
                    "place": t.gettext("Where?")}[state.step]
        await self._ask(update, context, state, text, rows)

    async def on_input(self, update: Update, context: BotContext, state: DialogState,
                       choice: str | None) -> None:
        t = context.t
        if await self._cancelled(update, context, choice, NOTHING_SENT):
            return
        data = dict(state.data)
        message = update.effective_message if update.callback_query is None else None
        text = (message.text or "").strip() if message is not None else ""
        if state.step == "audience":
            audience = _audience(choice, text)
            event_id, queued = await care.announce_event(
                context.uow, context.me, title=data["title"],
                starts_at=datetime.fromisoformat(data["when"]), place=data["place"],
                grades=audience["grades"], codes=audience["codes"], now=context.now(),
                care=care_of(context))
            await dialogs.end_dialog(context.uow(), context.me)
            await reply_html(update, context, escape(t.ngettext(
                "Event {number} announced to {count} contact. /events shows the replies.",
                "Event {number} announced to {count} contacts. /events shows the replies.",
                queued).format(number=event_id, count=queued)))
            return
        if not text:
            raise DomainError(N_("Please write it as text."))
        if state.step == "when":
            try:
                local = datetime.strptime(text, "%Y-%m-%d %H:%M")
            except ValueError:
                raise DomainError(N_("Please send the date and time like {example}."),
                                  example="2026-12-18 14:00") from None
            starts = local.replace(tzinfo=context.runtime.calendar.tz).astimezone(UTC)
            if starts <= context.now():
                raise DomainError(N_("The event must be in the future."))
            data["when"] = starts.isoformat()
        else:
            data[state.step] = text
        await self._go(update, context, self.steps[self.steps.index(state.step) + 1], data)


def _audience(choice: str | None, text: str) -> dict[str, Any]:
    """All customers, a grade (buttons), or customer codes typed as text."""
    if choice in (ALL, "A", "B", "C"):
        return {"grades": None if choice == ALL else [choice], "codes": None}
    codes = [c for c in text.replace(",", " ").split() if c]
    if choice is None and codes:
        return {"grades": None, "codes": codes}
    raise DomainError(N_("Please choose one of the buttons, or type customer codes."))


async def cmd_events(update: Update, context: BotContext) -> None:
    """Recent and upcoming events with who answered; a tap records who came."""
    t = context.t
    found = await care.events(context.uow(), context.me, now=context.now())
    if not found:
        await reply_html(update, context, escape(t.gettext("No events.")))
        return
    for event in found:
        coming = sum(1 for r in event.replies if r[3])
        lines = [f"<b>{escape(event.title)}</b> · {escape(t.datetime(event.starts_at))} · "
                 f"{escape(event.place)}",
                 escape(t.gettext("{yes} coming, {no} not coming").format(
                     yes=coming, no=len(event.replies) - coming))]
        rows = []
        for reply_id, contact, company, yes, came in event.replies:
            if not yes:
                continue
            mark = "✅ " if came else ""
            rows.append([InlineKeyboardButton(f"{mark}{contact} · {company}"[:60],
                                              callback_data=cb.encode(
                                                  cb.EventButton("a", reply_id)))])
        await reply_html(update, context, "\n".join(lines),
                    InlineKeyboardMarkup(rows) if rows else None)


async def cb_event(update: Update, context: BotContext, data: cb.EventButton) -> None:
    query = update.callback_query
    assert query is not None
    t = context.t
    if data.act == "a":
        came = await care.mark_attended(context.uow(), context.me, data.ident,
                                        now=context.now())
        await query.answer(t.gettext("Marked as attended.") if came
                           else t.gettext("Marked as not attended."))
        return
    title = await care.rsvp(context.uow(), context.me, data.ident, coming=data.act == "y",
                            now=context.now())
    await query.answer(t.gettext("Thank you, we noted your answer for {title}.").format(
        title=title)[:200], show_alert=True)


async def cb_opt_out(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    await care.opt_out(context.uow(), context.me, now=context.now())
    await query.answer(context.t.gettext("Done: you will receive no more news from us."),
                       show_alert=True)


VISIT = VisitDialog()
NEWS = NewsDialog()
EVENT = EventDialog()
for _dialog in (VISIT, NEWS, EVENT):
    register_dialog(_dialog)
