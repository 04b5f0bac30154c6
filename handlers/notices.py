"""Render outbox messages (msgid + typed parameters) in the recipient's language."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.context import Translator


def _param(t: Translator, value: Any, html: bool, bot_username: str) -> str:
    if isinstance(value, dict):
        if "money" in value:
            amount, currency = value["money"]
            text = t.money(Decimal(amount), currency)
        elif "date" in value:
            text = t.date(date.fromisoformat(value["date"]))
        elif "deadline" in value:  # a deadline as people say it: a day, a time or None
            day, at = value["deadline"]
            text = t.deadline(date.fromisoformat(day),
                              time.fromisoformat(at) if at is not None else None)
        elif "datetime" in value:
            text = t.datetime(datetime.fromisoformat(value["datetime"]))
        elif "message" in value:  # a translated phrase with parameters of its own
            inner = {k: _param(t, v, False, bot_username)
                     for k, v in (value.get("params") or {}).items()}
            text = t.gettext(value["message"]).format(**inner)
        elif "label" in value:
            text = t.gettext(value["label"])
        elif "labels" in value:  # several translated labels, in a list
            text = t.gettext(", ").join(t.gettext(m) for m in value["labels"])
        elif "start" in value:  # a t.me deep link that starts this bot with a token
            text = f"https://t.me/{bot_username or 'your_bot'}?start={value['start']}"
        else:
            text = str(value)
    else:
        text = str(value)
    return escape(text) if html else text


def _label(t: Translator, button: dict[str, str]) -> str:
    label = t.gettext(button["msgid"])
    if button.get("suffix"):
        label = f"{label} · {button['suffix']}"
    return label[:64]


def render_notice(
    t: Translator, payload: dict[str, Any], bot_username: str = ""
) -> tuple[str, str | None, InlineKeyboardMarkup | None]:
    """Return text, parse mode and keyboard for an outbox payload."""
    html = payload.get("parse_mode") == "HTML"
    params = {k: _param(t, v, html, bot_username)
              for k, v in (payload.get("params") or {}).items()}
    if payload.get("plural"):
        count = int((payload.get("params") or {})["count"])
        text = t.ngettext(payload["msgid"], payload["plural"], count).format(**params)
    else:
        text = t.gettext(payload["msgid"]).format(**params)
    for line in payload.get("lines") or []:
        values = {k: _param(t, v, html, bot_username)
                  for k, v in (line.get("params") or {}).items()}
        text += "\n• " + t.gettext(line["msgid"]).format(**values)
    keyboard = None
    if payload.get("buttons"):
        keyboard = InlineKeyboardMarkup([
            [InlineKeyboardButton(_label(t, b), callback_data=b["data"]) for b in row]
            for row in payload["buttons"]
        ])
    return text, payload.get("parse_mode"), keyboard
