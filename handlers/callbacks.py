"""Callback-data codec: short prefixed strings, at most 64 bytes, never trusted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.enums import Locale

MAX_BYTES = 64  # Telegram's limit on callback_data, in UTF-8 bytes
# Every number in callback data is an id, a version, a page or an index kept in a 32-bit
# INTEGER column: PostgreSQL refuses a larger one with an error, not with "not found".
MAX_NUMBER = 2**31 - 1


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


@dataclass(frozen=True)
class CaseButton:
    """A service-desk button on a case card; `version` ties it to the card's state (R7)."""

    act: str
    case_id: int
    version: int
    arg: int | None = None


@dataclass(frozen=True)
class CustomerCase:
    """A customer's answer on their case: acc/rej a solution, dly/dln a new deadline."""

    act: str
    case_id: int
    version: int


@dataclass(frozen=True)
class SurveyScore:
    case_id: int
    score: int


@dataclass(frozen=True)
class Ref:
    """A button naming one record: fw (a forwarded question), ca (a corrective action),
    tk (a task), cu (a customer-file update), st (a customer's statement), vs (log a visit
    to a customer)."""

    kind: str
    ident: int


@dataclass(frozen=True)
class QueuePage:
    page: int


@dataclass(frozen=True)
class ProspectButton:
    """A prospect button: new (ask to become a customer), v(iew), c(hannel) with the source's
    index, p(roposal), a(pplication)."""

    act: str
    ident: int
    arg: int | None = None


@dataclass(frozen=True)
class EventButton:
    """y/n: a contact's RSVP to an event; a: staff mark a reply as attended (CARE-3)."""

    act: str
    ident: int


@dataclass(frozen=True)
class NewsOptOut:
    """A contact's one tap to receive no more news (SVC-4)."""


@dataclass(frozen=True)
class CreditDecision:
    """Finance's or the executive's verdict on a suspension or an order over the limit."""

    approve: bool
    request_id: int


@dataclass(frozen=True)
class AppButton:
    """An admission button on a review step: v(iew), ok, no, q(uestion), f(iles), a(nswer)."""

    act: str
    step_id: int


Callback = (OrdersPage | OpenOrder | ChooseLanguage | DialogChoice | CaseButton | CustomerCase
            | SurveyScore | Ref | QueuePage | AppButton | ProspectButton | CreditDecision
            | NewsOptOut | EventButton)
_DIALOG = re.compile(r"dlg:([a-z]{1,8}):([1-9][0-9]{0,5}):([A-Za-z0-9_-]{1,24})")
_CASE = re.compile(r"cs:([a-z]{1,4}):([1-9][0-9]{0,11}):([0-9]{1,9})(?::([1-9][0-9]{0,11}))?")
_CUSTOMER = re.compile(r"cc:(acc|rej|dly|dln):([1-9][0-9]{0,11}):([1-9][0-9]{0,8})")
_SURVEY = re.compile(r"sv:([1-9][0-9]{0,11}):([1-5])")
_REF = re.compile(r"(fw|ca|tk|cu|st|vs):([1-9][0-9]{0,11})")
_PROSPECT = re.compile(r"pr:(new|v|c|p|a):([0-9]{1,12})(?::([0-9]{1,2}))?")
_QUEUE = re.compile(r"q:([1-9][0-9]{0,5})")
_EVENT = re.compile(r"ev:(y|n|a):([1-9][0-9]{0,11})")
_CREDIT = re.compile(r"cr:(ok|no):([1-9][0-9]{0,11})")
_APP = re.compile(r"ap:(v|ok|no|q|f|a):([1-9][0-9]{0,11})")

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
    elif isinstance(data, CaseButton):
        text = f"cs:{data.act}:{data.case_id}:{data.version}"
        if data.arg is not None:
            text += f":{data.arg}"
    elif isinstance(data, CustomerCase):
        text = f"cc:{data.act}:{data.case_id}:{data.version}"
    elif isinstance(data, SurveyScore):
        text = f"sv:{data.case_id}:{data.score}"
    elif isinstance(data, Ref):
        text = f"{data.kind}:{data.ident}"
    elif isinstance(data, QueuePage):
        text = f"q:{data.page}"
    elif isinstance(data, AppButton):
        text = f"ap:{data.act}:{data.step_id}"
    elif isinstance(data, EventButton):
        text = f"ev:{data.act}:{data.ident}"
    elif isinstance(data, NewsOptOut):
        text = "nw:off"
    elif isinstance(data, CreditDecision):
        text = f"cr:{'ok' if data.approve else 'no'}:{data.request_id}"
    elif isinstance(data, ProspectButton):
        text = f"pr:{data.act}:{data.ident}" + (f":{data.arg}" if data.arg is not None else "")
    else:
        text = f"lang:{data.locale}"
    if len(text.encode()) > MAX_BYTES:
        raise ValueError("callback data over 64 bytes")
    if not _in_range(data):
        raise ValueError(f"a number in {text!r} is out of range")
    return text


def decode(text: str | None) -> Callback | None:
    """Parse callback data; None for anything we did not issue in this exact shape, or with
    a number no row can have."""
    data = _decode(text)
    return data if data is not None and _in_range(data) else None


def _in_range(data: Callback) -> bool:
    return all(0 <= v <= MAX_NUMBER for v in vars(data).values() if isinstance(v, int))


def _decode(text: str | None) -> Callback | None:
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
    if m := _CASE.fullmatch(text):
        return CaseButton(m.group(1), int(m.group(2)), int(m.group(3)),
                          int(m.group(4)) if m.group(4) else None)
    if m := _CUSTOMER.fullmatch(text):
        return CustomerCase(m.group(1), int(m.group(2)), int(m.group(3)))
    if m := _SURVEY.fullmatch(text):
        return SurveyScore(int(m.group(1)), int(m.group(2)))
    if m := _REF.fullmatch(text):
        return Ref(m.group(1), int(m.group(2)))
    if m := _QUEUE.fullmatch(text):
        return QueuePage(int(m.group(1)))
    if m := _APP.fullmatch(text):
        return AppButton(m.group(1), int(m.group(2)))
    if m := _EVENT.fullmatch(text):
        return EventButton(m.group(1), int(m.group(2)))
    if text == "nw:off":
        return NewsOptOut()
    if m := _CREDIT.fullmatch(text):
        return CreditDecision(m.group(1) == "ok", int(m.group(2)))
    if m := _PROSPECT.fullmatch(text):
        return ProspectButton(m.group(1), int(m.group(2)),
                              int(m.group(3)) if m.group(3) else None)
    return None
