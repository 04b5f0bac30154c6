"""Working-day calendar that every deadline counts in (policy "Working days", R14).

A working day is a local calendar day of the company's time zone that is neither a weekend day
nor a public holiday of the region, except that officially worked weekend days (調休 make-up
days in CN and TW) are working days. Holiday data comes from the ``holidays`` package and is
computed once per calendar year per instance.

Deadline arithmetic (``add_working_days``) is done on local calendar days with ``zoneinfo``, so
"+1 working day" keeps the wall-clock time even across a DST change; elapsed working time
(``working_time_between``) is real duration, so a working day with a DST change counts 23 h or
25 h.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = ["WorkingCalendar"]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_SAT, _SUN = 5, 6

# The holidays package models Hong Kong with a Sunday-only weekend (the statutory rest day),
# but offices there, like our customers' counterparts, work Monday to Friday.
_COMPANY_WEEKEND: Mapping[str, frozenset[int]] = {"HK": frozenset({_SAT, _SUN})}

# Hong Kong's "public" category in holidays is the statutory (Employment Ordinance) list; offices
# and banks close on the longer list of general holidays (Cap. 149), which holidays calls
# "optional". Every other region uses the package's default public category.
_CATEGORIES: Mapping[str, tuple[str, ...]] = {"HK": ("optional",)}

# A sanity bound so a misconfigured calendar (e.g. extra_holidays covering whole years) fails
# loudly instead of looping a sweep forever.
_MAX_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class _Year:
    first_ordinal: int
    working: bytes  # one flag per day of the year, 1 = working day
    names: Mapping[date, str]


class WorkingCalendar:
    """Working days of one region in one time zone, with company-specific overrides."""

    __slots__ = (
        "_categories",
        "_extra_holidays",
        "_extra_workdays",
        "_language",
        "_region",
        "_tz",
        "_weekend",
        "_years",
    )

    def __init__(
        self,
        region: str,
        timezone: str,
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        language: str | None = None,
    ) -> None:
        """Build a calendar for an ISO 3166-1 alpha-2 region and an IANA time zone name.

        ``extra_holidays`` are company closure days; ``extra_workdays`` are days the company
        works although the region rests (they win over weekends and public holidays).
        ``language`` selects holiday names; by default the region's own language, pinned so
        names never depend on the process locale.
        """
        code = region.strip().upper()
        if code not in holidays.list_supported_countries(include_aliases=False):
            raise ValueError(
                f"Unknown region {region!r}: expected an ISO 3166-1 alpha-2 country code "
                "known to the holidays package, e.g. 'CN', 'TW' or 'HK'"
            )
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"Unknown time zone {timezone!r}: expected an IANA name such as 'Asia/Shanghai'"
            ) from exc
        extra_off = frozenset(_plain_date(d) for d in extra_holidays)
        extra_on = frozenset(_plain_date(d) for d in extra_workdays)
        if both := extra_off & extra_on:
            raise ValueError(
                "Dates listed both as extra holidays and extra workdays: "
                + ", ".join(d.isoformat() for d in sorted(both))
            )
        self._region = code
        self._tz = tz
        self._extra_holidays = extra_off
        self._extra_workdays = extra_on
        # Pin the language: left unset, holidays picks it from the process locale.
        self._language = language or holidays.country_holidays(code, years=()).default_language
        self._weekend = _COMPANY_WEEKEND.get(code)
        self._categories = _CATEGORIES.get(code)
        self._years: dict[int, _Year] = {}

    def __repr__(self) -> str:
        return f"WorkingCalendar(region={self._region!r}, timezone={self._tz.key!r})"

    @property
    def region(self) -> str:
        """Return the region code (upper case)."""
        return self._region

    @property
    def tz(self) -> ZoneInfo:
        """Return the company time zone."""
        return self._tz

    # -- days -----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Return whether the local calendar day is a working day."""
        return self._is_working(_plain_date(day))

    def holiday_name(self, day: date) -> str | None:
        """Return the region's public holiday name for the day, or None."""
        day = _plain_date(day)
        return self._year(day.year).names.get(day)

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after ``day``."""
        return self._shift(_plain_date(day), 1)

    # -- instants -------------------------------------------------------------------------

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the aware UTC deadline ``days`` working days after (or before) ``start``.

        On a working day the deadline keeps the local time of day and moves ``days`` working
        days. On a non-working day no working time has started yet, so the clock is taken as
        00:00 of the next working day going forward (Saturday 10:00 + 1 = Tuesday 00:00) and as
        00:00 of the |days|-th previous working day going backward (Saturday 10:00 - 1 = Friday
        00:00); ``days == 0`` gives ``start`` itself on a working day, else 00:00 of the next
        working day. The result always lies on a working day, and ``working_time_between``
        from ``start`` to it is ``days`` whole working days (23/25 h on a DST-change day).
        """
        local = self._local(start, "start")
        day = local.date()
        if self._is_working(day):
            if days == 0:
                return local.astimezone(UTC)
            target, clock = self._shift(day, days), local.time().replace(fold=0)
        else:
            target, clock = self._shift(day, days + 1 if days >= 0 else days), _MIDNIGHT
        # Build the wall-clock time on the target day; fold=0 picks the first of a repeated hour
        # and moves a time in a spring-forward gap forward.
        return datetime.combine(target, clock, tzinfo=self._tz).astimezone(UTC)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Return how much of [start, end) falls on working days; negative if end < start."""
        start_utc = self._local(start, "start").astimezone(UTC)
        end_utc = self._local(end, "end").astimezone(UTC)
        if end_utc < start_utc:
            return -self.working_time_between(end_utc, start_utc)
        # Compare in UTC only: aware datetimes sharing a ZoneInfo compare and subtract as naive
        # wall-clock values, which is wrong across DST changes.
        day = start_utc.astimezone(self._tz).date()
        last = end_utc.astimezone(self._tz).date()
        total = timedelta(0)
        while day <= last:
            if self._is_working(day):
                day_start = self._day_start_utc(day)
                day_end = self._day_start_utc(day + _ONE_DAY)
                low, high = max(start_utc, day_start), min(end_utc, day_end)
                if high > low:
                    total += high - low
            day += _ONE_DAY
        return total

    def business_time_between(self, start: datetime, end: datetime,
                              hours: tuple[int, int]) -> timedelta:
        """Return how much of [start, end) falls in business ``hours`` of working days."""
        start_utc = self._local(start, "start").astimezone(UTC)
        end_utc = self._local(end, "end").astimezone(UTC)
        if end_utc < start_utc:
            return -self.business_time_between(end_utc, start_utc, hours)
        day = start_utc.astimezone(self._tz).date()
        last = end_utc.astimezone(self._tz).date()
        total = timedelta(0)
        while day <= last:
            if self._is_working(day):
                opens, closes = self._business_span(day, hours)
                low, high = max(start_utc, opens), min(end_utc, closes)
                if high > low:
                    total += high - low
            day += _ONE_DAY
        return total

    def within_business_hours(self, at: datetime, hours: tuple[int, int]) -> datetime:
        """Return ``at`` if it lies in business ``hours`` of a working day (closing included),
        else the next opening: when a message due at night or on a holiday should go out."""
        at_utc = self._local(at, "at").astimezone(UTC)
        day = at_utc.astimezone(self._tz).date()
        for _ in range(_MAX_SEARCH_DAYS):
            if self._is_working(day):
                opens, closes = self._business_span(day, hours)
                if at_utc <= closes:  # closing time itself still reaches people at work
                    return max(at_utc, opens)
            day += _ONE_DAY
        raise ValueError(f"No working day within {_MAX_SEARCH_DAYS} days of {day}")

    def business_time_before(self, end: datetime, amount: timedelta,
                             hours: tuple[int, int]) -> datetime:
        """Return the aware UTC instant with ``amount`` of business time left until ``end``.

        The instant lies within business ``hours`` of a working day (a span's opening time
        counts as inside), so a reminder placed there never falls on a holiday or at night.
        """
        end_utc = self._local(end, "end").astimezone(UTC)
        if amount <= timedelta(0):
            raise ValueError("amount must be positive")
        left = amount
        day = end_utc.astimezone(self._tz).date()
        gap = 0
        while True:
            if self._is_working(day):
                gap = 0
                opens, closes = self._business_span(day, hours)
                high = min(end_utc, closes)
                if high > opens:
                    if high - opens >= left:
                        return high - left
                    left -= high - opens
            else:
                gap += 1
                if gap > _MAX_SEARCH_DAYS:
                    raise ValueError(f"No working day within {_MAX_SEARCH_DAYS} days of {day}")
            day -= _ONE_DAY

    # -- internals ------------------------------------------------------------------------

    def _local(self, value: datetime, name: str) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
        return value.astimezone(self._tz)

    def _day_start_utc(self, day: date) -> datetime:
        return datetime.combine(day, _MIDNIGHT, tzinfo=self._tz).astimezone(UTC)

    def _business_span(self, day: date, hours: tuple[int, int]) -> tuple[datetime, datetime]:
        """Opening and closing of ``day`` in UTC; a closing hour of 24 is the next midnight."""
        opening, closing = hours
        if not 0 <= opening < closing <= 24:
            raise ValueError(f"business hours must be 0 <= opening < closing <= 24: {hours}")
        start = datetime.combine(day, _MIDNIGHT, tzinfo=self._tz)
        opens = start.replace(hour=opening) if opening else start
        closes = (datetime.combine(day + _ONE_DAY, _MIDNIGHT, tzinfo=self._tz) if closing == 24
                  else start.replace(hour=closing))
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def _is_working(self, day: date) -> bool:
        year = self._years.get(day.year) or self._load(day.year)
        return year.working[day.toordinal() - year.first_ordinal] == 1

    def _shift(self, day: date, count: int) -> date:
        """Return the |count|-th working day after (count > 0) or before (count < 0) ``day``."""
        step = _ONE_DAY if count > 0 else -_ONE_DAY
        remaining = abs(count)
        gap = 0
        while remaining:
            day += step
            if self._is_working(day):
                remaining -= 1
                gap = 0
            else:
                gap += 1
                if gap > _MAX_SEARCH_DAYS:
                    raise ValueError(f"No working day within {_MAX_SEARCH_DAYS} days of {day}")
        return day

    def _year(self, year: int) -> _Year:
        return self._years.get(year) or self._load(year)

    def _load(self, year: int) -> _Year:
        # Neighbouring years are populated too: a year's official schedule can declare make-up
        # working days in the previous year (e.g. CN 2002 moved work to 2001-12-29/30).
        data = holidays.country_holidays(
            self._region,
            years=(year - 1, year, year + 1),
            language=self._language,
            categories=self._categories,
        )
        first = date(year, 1, 1)
        flags = bytearray()
        day = first
        while day.year == year:
            flags.append(1 if self._rule(data, day) else 0)
            day += _ONE_DAY
        names = {d: name for d, name in data.items() if d.year == year}
        loaded = _Year(first.toordinal(), bytes(flags), names)
        # Idempotent, so a concurrent duplicate load is harmless.
        self._years[year] = loaded
        return loaded

    def _rule(self, data: holidays.HolidayBase, day: date) -> bool:
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        if self._weekend is None:
            # The package's own rule: weekend days work only if listed as make-up days.
            return data.is_working_day(day)
        if day.weekday() in self._weekend:
            return day in data.weekend_workdays
        return day not in data


def _plain_date(value: date) -> date:
    # A datetime is a date subclass; taking its date part would silently use whatever zone it
    # carries instead of the company's, so callers must convert first.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value
