"""The i18n runtime: gettext catalogs from locales/ and Babel formatting per locale."""

from __future__ import annotations

import gettext as _gettext
import re
from datetime import date as Date
from datetime import datetime as DateTime
from datetime import time as Time
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_currency, format_decimal

from domain.enums import Locale

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


class Translator:
    """Translate msgids and format dates, numbers and money for one locale."""

    def __init__(self, locale: str, tz: ZoneInfo, translations: _gettext.NullTranslations):
        self.locale = locale
        self.tz = tz
        self._tr = translations
        self._babel = BabelLocale.parse(locale)
        standard = self._babel.currency_formats["standard"].pattern.split(";")[0]
        self._iso_pattern = re.sub(r"\s*¤\s*", lambda m: (
            "¤¤\u00a0" if m.start() == 0 else "\u00a0¤¤"), standard).strip()
        # Babel re-reads its patterns on every call; the same dates and amounts recur a lot
        # (order cards, statements), so each translator remembers what it formatted.
        self.money = lru_cache(maxsize=4096)(self._money)  # type: ignore[method-assign]
        self.date = lru_cache(maxsize=4096)(self._date)  # type: ignore[method-assign]
        self.datetime = lru_cache(maxsize=4096)(self._datetime)  # type: ignore[method-assign]
        self.deadline = lru_cache(maxsize=1024)(self._deadline)  # type: ignore[method-assign]

    def gettext(self, message: str) -> str:
        return self._tr.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._tr.ngettext(singular, plural, n)

    def money(self, amount: Decimal, currency: str) -> str:
        return self._money(amount, currency)

    def _money(self, amount: Decimal, currency: str) -> str:
        # B2B text names the currency by its ISO code ("TWD 179,900.00"): "$" could be any
        # dollar and "¥" either yuan or yen. The locale's own pattern, with the code for ¤.
        text = format_currency(amount, currency, format=self._iso_pattern, locale=self._babel)
        if text.startswith("-" + currency):  # "CNY -12.50", as statements write a credit
            text = f"{currency}\u00a0-{text[len(currency) + 1:].lstrip()}"
        return text

    def number(self, value: Decimal | int) -> str:
        return format_decimal(value, locale=self._babel)

    def date(self, value: Date) -> str:
        return self._date(value)

    def _date(self, value: Date) -> str:
        return format_date(value, format="medium", locale=self._babel)

    def deadline(self, day: Date, at: Time | None) -> str:
        """A deadline as people say it: "Mon, Dec 7, 10:00 AM" or "Mon, Dec 7, end of the
        working day", weekday and date in the reader's locale, the time in the company's."""
        return self._deadline(day, at)

    def _deadline(self, day: Date, at: Time | None) -> str:
        shown = format_skeleton("MMMEd", day, locale=self._babel)
        if at is None:
            # NOTE: a deadline at the close of a working day; {day} is e.g. "Mon, Dec 7".
            return self.gettext("{day}, end of the working day").format(day=shown)
        # NOTE: a deadline at a time of day; {day} "Mon, Dec 7", {time} "10:00 AM".
        return self.gettext("{day}, {time}").format(
            day=shown, time=format_time(at, format="short", locale=self._babel))

    def datetime(self, value: DateTime) -> str:
        """Show an aware UTC time in the company's time zone."""
        return self._datetime(value)

    def _datetime(self, value: DateTime) -> str:
        # Date as "medium", time without seconds: deadlines to the minute read best in chat.
        local = value.astimezone(self.tz)
        pattern = self._babel.datetime_formats["medium"]
        return pattern.format(format_time(local, format="short", locale=self._babel),
                              format_date(local, format="medium", locale=self._babel))


class Catalogs:
    """Load each locale's compiled catalog once and hand out translators."""

    def __init__(self, tz: ZoneInfo, locales_dir: Path = LOCALES_DIR) -> None:
        self.tz = tz
        self.dir = locales_dir
        self._cache: dict[str, Translator] = {}

    def get(self, locale: str) -> Translator:
        tr = self._cache.get(locale)
        if tr is None:
            if locale not in {loc.value for loc in Locale}:
                raise ValueError(f"unsupported locale {locale!r}")
            tr = Translator(locale, self.tz, _load(self.dir, locale))
            self._cache[locale] = tr
        return tr


@cache
def _load(locales_dir: Path, locale: str) -> _gettext.NullTranslations:
    if locale == Locale.EN.value and not (locales_dir / locale).exists():
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=str(locales_dir), languages=[locale])
