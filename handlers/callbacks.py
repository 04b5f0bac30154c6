"""Callback-data codec: short prefixed strings, at most 64 bytes, never trusted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.enums import Locale

MAX_BYTES = 64  # Telegram's limit on callback_data, in UTF-8 bytes


@dataclass(frozen=True)
class OrdersPage:
    page: int


@dataclass(frozen=True)
class OpenOrder:
    order_id: int


@dataclass(frozen=True)
class ChooseLanguage:
    locale: str


@dataclass(frozen=True)
class DialogChoice:
    """An answer button of a dialog step; `version` ties it to the step that showed it."""

    name: str
    version: int
    value: str


Callback = OrdersPage | OpenOrder | ChooseLanguage | DialogChoice
_DIALOG = re.compile(r"dlg:([a-z]{1,8}):([1-9][0-9]{0,5}):([A-Za-z0-9_-]{1,24})")

_PATTERNS: list[tuple[re.Pattern[str], type[OrdersPage] | type[OpenOrder]]] = [
    (re.compile(r"ord:p:([1-9][0-9]{0,6})"), OrdersPage),
    (re.compile(r"ord:o:([1-9][0-9]{0,11})"), OpenOrder),
]
_LOCALES = {loc.value for loc in Locale}


def encode(data: Callback) -> str:
    """Encode a callback; raises ValueError if it would exceed Telegram's limit."""
    if isinstance(data, OrdersPage):
        text = f"ord:p:{data.page}"
    elif isinstance(data, OpenOrder):
        text = f"ord:o:{data.order_id}"
    elif isinstance(data, DialogChoice):
        text = f"dlg:{data.name}:{data.version}:{data.value}"
        if not _DIALOG.fullmatch(text):
            raise ValueError(f"bad dialog choice {text!r}")
    else:
        text = f"lang:{data.locale}"
    if len(text.encode()) > MAX_BYTES:
        raise ValueError("callback data over 64 bytes")
    return text


def decode(text: str | None) -> Callback | None:
    """Parse callback data; None for anything we did not issue in this exact shape."""
    if not text or len(text.encode()) > MAX_BYTES:
        return None
    for pattern, kind in _PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return kind(int(m.group(1)))
    if text.startswith("lang:") and text[5:] in _LOCALES:
        return ChooseLanguage(text[5:])
    m = _DIALOG.fullmatch(text)
    if m:
        return DialogChoice(m.group(1), int(m.group(2)), m.group(3))
    return None
