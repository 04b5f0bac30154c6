"""One entry for every button press: decode once, dispatch by kind, stale otherwise."""

from __future__ import annotations

from telegram import Update

from handlers import admission, care, casedesk, common, customer_file, orders, receivables
from handlers import callbacks as cb
from handlers.context import BotContext


async def cb_route(update: Update, context: BotContext) -> None:
    """Decode a button press and hand it to its handler; anything else is stale or forged."""
    query = update.callback_query
    assert query is not None
    data = cb.decode(query.data)
    if isinstance(data, cb.OrdersPage):
        await orders.cb_orders_page(update, context, data)
    elif isinstance(data, cb.OpenOrder):
        await orders.cb_open_order(update, context, data)
    elif isinstance(data, cb.ChooseLanguage):
        await common.cb_language(update, context, data)
    elif isinstance(data, cb.CaseButton):
        await casedesk.cb_case(update, context, data)
    elif isinstance(data, cb.CustomerCase):
        await casedesk.cb_customer(update, context, data)
    elif isinstance(data, cb.SurveyScore):
        await casedesk.cb_survey(update, context, data)
    elif isinstance(data, cb.Ref) and data.kind == "vs":
        await care.cb_visit(update, context, data.ident)
    elif isinstance(data, cb.EventButton):
        await care.cb_event(update, context, data)
    elif isinstance(data, cb.NewsOptOut):
        await care.cb_opt_out(update, context)
    elif isinstance(data, cb.Ref) and data.kind == "st":
        await receivables.cb_statement(update, context, data.ident)
    elif isinstance(data, cb.Ref) and data.kind == "cu":
        await customer_file.cb_file_updated(update, context, data.ident)
    elif isinstance(data, cb.Ref):
        await casedesk.cb_ref(update, context, data)
    elif isinstance(data, cb.CreditDecision):
        await receivables.cb_credit(update, context, data)
    elif isinstance(data, cb.ProspectButton):
        await customer_file.cb_prospect(update, context, data)
    elif isinstance(data, cb.AppButton):
        await admission.cb_app(update, context, data)
    elif isinstance(data, cb.QueuePage):
        await casedesk.cb_queue_page(update, context, data)
    elif isinstance(data, cb.DialogChoice):
        # The dialog it belonged to is over (submitted, cancelled or timed out).
        await query.answer(context.t.gettext("This is already finished."), show_alert=True)
    else:
        await common.cb_stale(update, context)
