"""Receivables in chat (AR-1, AR-2, RISK-1, RISK-2): /receivables, /statement, /confirm,
/credit, and finance's and the executive's decisions with buttons."""

from __future__ import annotations

import contextlib
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from domain.admission import parse_term
from domain.errors import N_, DomainError
from domain.receivables import BUCKET_LABEL, Bucket, parse_money
from handlers import callbacks as cb
from handlers import charts
from handlers.context import BotContext, Translator
from handlers.render import reply_html, send_chart
from services import receivables
from services.receivables import Ledger


def ledger_of(context: BotContext) -> Ledger:
    runtime = context.runtime
    return Ledger(runtime.calendar, runtime.ladder_policy, runtime.default_locale)




def overview_text(t: Translator, view: receivables.Overview) -> str:
    lines = ["<b>" + escape(t.gettext("Open receivables on {date}").format(
        date=t.date(view.today))) + "</b>"]
    if not view.totals:
        lines.append(escape(t.gettext("Nothing is open.")))
    for currency, buckets in sorted(view.totals.items()):
        lines.append("")
        lines.append(f"<b>{escape(t.money(view.total(currency), currency))}</b>")
        for b in Bucket:
            if buckets[b]:
                lines.append(f"• {escape(t.gettext(BUCKET_LABEL[b]))}: "
                             f"{escape(t.money(buckets[b], currency))}")
    if view.worst:
        lines.append("")
        lines.append("<b>" + escape(t.gettext("Most overdue")) + "</b>")
        for code, name, currency, amount, days in view.worst:
            lines.append(escape(t.ngettext(
                "• {company} ({code}): {amount}, up to {days} day overdue",
                "• {company} ({code}): {amount}, up to {days} days overdue", days).format(
                    company=name, code=code, amount=t.money(amount, currency), days=days)))
        lines.append(escape(t.gettext("/statement CODE shows one customer's invoices.")))
    return "\n".join(lines)


async def cmd_receivables(update: Update, context: BotContext) -> None:
    """Totals by aging bucket, the worst accounts, and a chart."""
    view = await receivables.overview(context.uow(), context.me, now=context.now(),
                                      ledger=ledger_of(context))
    t = context.t
    rows = [[InlineKeyboardButton(f"{code} · {name}"[:60], callback_data=cb.encode(
        cb.Ref("st", customer_id)))]
        for (code, name, *_), customer_id in zip(view.worst, view.worst_ids, strict=True)]
    await reply_html(update, context, overview_text(t, view),
                InlineKeyboardMarkup(rows) if rows else None)
    if view.totals:
        await send_chart(update, context, lambda: charts.aging_chart(t, view),
                         t.gettext("Receivables by age"))


async def cmd_statement(update: Update, context: BotContext) -> None:
    """A customer's own invoices; staff name the customer: /statement CODE."""
    code = context.args[0] if context.args else None
    if code is None and context.me.customer_id is None:
        raise DomainError(N_("Send the customer code after the command, e.g. /statement "
                             "{example}."), example="ACME")
    await _statement(update, context, code=code)


async def cb_statement(update: Update, context: BotContext, customer_id: int) -> None:
    """Drill into one of the worst accounts from /receivables."""
    query = update.callback_query
    assert query is not None
    await _statement(update, context, customer_id=customer_id)
    await query.answer()


async def _statement(update: Update, context: BotContext, *, code: str | None = None,
                     customer_id: int | None = None) -> None:
    name, lines = await receivables.statement(context.uow(), context.me, now=context.now(),
                                              ledger=ledger_of(context), code=code,
                                              customer_id=customer_id)
    t = context.t
    out = ["<b>" + escape(t.gettext("Statement of {company}").format(company=name)) + "</b>"]
    if not lines:
        out.append(escape(t.gettext("No invoices.")))
    for line in lines:
        if line.settled:
            state = t.gettext("paid")
        elif line.overdue_days:
            state = t.ngettext("{days} day overdue", "{days} days overdue",
                               line.overdue_days).format(days=line.overdue_days)
        else:
            state = t.gettext("due {date}").format(date=t.date(line.due))
        out.append(f"• {escape(line.invoice)} · {escape(t.date(line.issued))} · "
                   f"{escape(t.money(line.amount, line.currency))}"
                   + ("" if line.settled else " · " + escape(t.gettext("open {amount}").format(
                       amount=t.money(line.open, line.currency))))
                   + f" · {escape(state)}")
    for currency, (open_, overdue) in sorted(receivables.currencies(lines).items()):
        out.append("")
        out.append(escape(t.gettext("{currency}: open {open}, of which overdue {overdue}").format(
            currency=currency, open=t.money(open_, currency),
            overdue=t.money(overdue, currency))))
    await reply_html(update, context, "\n".join(out))


async def cmd_confirm(update: Update, context: BotContext) -> None:
    """/confirm ORDER: confirm a pending order, with the credit check (RISK-2)."""
    if not context.args:
        raise DomainError(N_("Send the order number after the command, e.g. /confirm "
                             "{example}."), example="PO-1001")
    result = await receivables.confirm_order(context.uow(), context.me, context.args[0],
                                             now=context.now(), ledger=ledger_of(context))
    t = context.t
    if result == "confirmed":
        text = t.gettext("Order {order} is confirmed.").format(order=context.args[0])
    else:
        text = t.gettext("Order {order} is over the credit limit or the customer is "
                         "suspended: finance has been asked to approve it.").format(
            order=context.args[0])
    await reply_html(update, context, escape(text))


async def cmd_credit(update: Update, context: BotContext) -> None:
    """/credit CODE LIMIT TERM_DAYS REASON: finance changes a credit line (RISK-1)."""
    args = context.args or []
    if len(args) < 4 or not args[2].isdigit():
        raise DomainError(N_("Usage: /credit CODE LIMIT TERM_DAYS REASON, e.g. /credit ACME "
                             "500000 30 annual review"))
    await receivables.set_credit(context.uow(), context.me, args[0],
                                 limit=parse_money(args[1]), term_days=parse_term(args[2]),
                                 reason=" ".join(args[3:]), now=context.now())
    await reply_html(update, context, escape(context.t.gettext(
        "Credit of {code} changed; the reason is kept.").format(code=args[0].upper())))


async def cb_credit(update: Update, context: BotContext, data: cb.CreditDecision) -> None:
    query = update.callback_query
    assert query is not None
    status = await receivables.decide_request(context.uow(), context.me, data.request_id,
                                              approve=data.approve, now=context.now(),
                                              ledger=ledger_of(context))
    t = context.t
    text = {"executive": t.gettext("Approved; the executive decides next."),
            "approved": t.gettext("Approved."),
            "rejected": t.gettext("Rejected.")}[status]
    await query.answer(text)
    if query.message is not None:
        with contextlib.suppress(BadRequest):  # too old to edit: it keeps its buttons
            await query.edit_message_reply_markup(reply_markup=None)
    await reply_html(update, context, escape(text))
