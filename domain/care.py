"""Relationship care (SVC-4, CARE-1..CARE-4): visit plans by grade, festivals, birthdays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import holidays
from lunardate import LunarDate

from domain.calendar import WorkingCalendar
from domain.errors import N_, DomainError


class VisitKind(StrEnum):
    PHONE = "phone"
    QUESTIONNAIRE = "questionnaire"
    ON_SITE = "on_site"


VISIT_KIND_LABEL = {
    VisitKind.PHONE: N_("Phone call"),
    VisitKind.QUESTIONNAIRE: N_("Questionnaire"),
    VisitKind.ON_SITE: N_("On site"),
}


@dataclass(frozen=True)
class CarePolicy:
    """CARE-1: how often each grade is visited (calendar days), and when to remind."""

    every_days: dict[str, int] = field(
        default_factory=lambda: {"A": 30, "B": 90, "C": 60})  # C: every two months, payments
    remind_days: int = 2  # working days before the due day (in the rep's daily digest)
    escalate_days: int = 5  # working days overdue before the sales head sees it
    contact_every_days: dict[str, int] = field(
        default_factory=lambda: {"A": 7, "B": 30, "C": 30})  # SVC-2: a call or a meeting


def contact_due(last: date, grade: str, policy: CarePolicy, every_days: int | None = None
                ) -> date:
    """When a customer should next hear from its rep (SVC-2): the cadence after the last."""
    return last + timedelta(days=every_days or policy.contact_every_days.get(grade, 30))


# The customer-file fields a rep must fill (INFO-1); missing ones show in the digest (INFO-5).
REQUIRED_FILE_FIELDS = ("legal_representative", "registered_address", "phone",
                        "business_scope")


def next_visit(last: date, grade: str, calendar: WorkingCalendar, policy: CarePolicy,
               every_days: int | None = None) -> date:
    """The next visit falls `every` days after the last one, on a working day (CARE-1)."""
    every = every_days or policy.every_days.get(grade, 90)
    day = last + timedelta(days=every)
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


# Festivals greeted (CARE-2), by their calendar rule rather than by holiday names: names differ
# by region (Hong Kong's Mid-Autumn holiday is "the day following", Taiwan's 1 January is
# "Founding Day of the Republic of China") and a greeting belongs on the festival itself.
SOLAR_FESTIVALS = {"new_year": (1, 1)}
LUNAR_FESTIVALS = {"spring_festival": (1, 1), "dragon_boat": (5, 5), "mid_autumn": (8, 15)}
NATIONAL_DAY = {"CN": (10, 1), "HK": (10, 1), "MO": (10, 1), "TW": (10, 10)}
FESTIVALS = (*SOLAR_FESTIVALS, *LUNAR_FESTIVALS, "national_day")
DEFAULT_GREETING = {
    "new_year": N_("Happy New Year from all of us! Thank you for your trust; we look forward "
                   "to working with you this year."),
    "spring_festival": N_("Happy Spring Festival! We wish you and your team health and a "
                          "prosperous year."),
    "dragon_boat": N_("Best wishes for the Dragon Boat Festival from all of us."),
    "mid_autumn": N_("Happy Mid-Autumn Festival! May you enjoy the full moon with your "
                     "family."),
    "national_day": N_("Best wishes for the National Day holiday from all of us."),
    "birthday": N_("Happy birthday, {name}! Best wishes from all of us."),
}


@cache
def festivals(region: str, year: int) -> dict[date, str]:
    """The day of each greeted festival in `region` and `year`: date -> festival key (one
    festival a day; when two fall together the earlier in FESTIVALS is greeted)."""
    days: list[tuple[date, str]] = [(date(year, m, d), key)
                                    for key, (m, d) in SOLAR_FESTIVALS.items()]
    # The Chinese lunar calendar (lunardate covers 1900-2099).
    days += [(LunarDate(year, m, d).to_solar_date(), key)
             for key, (m, d) in LUNAR_FESTIVALS.items()]
    national = NATIONAL_DAY.get(region.upper())
    if national is not None:
        days.append((date(year, *national), "national_day"))
    else:  # elsewhere, the region's own holiday of that name, if it has one
        names = holidays.country_holidays(region, years=year, language="en_US")
        days += [(day, "national_day") for day, name in sorted(names.items())
                 if name == "National Day"][:1]
    out: dict[date, str] = {}
    for day, key in days:
        out.setdefault(day, key)
    return out


def parse_birthday(text: str) -> str:
    """A birthday as MM-DD (the year is not asked for)."""
    text = (text or "").strip().replace("/", "-")
    parts = text.split("-")
    if len(parts) == 3:  # YYYY-MM-DD given: keep month and day
        parts = parts[1:]
    try:
        month, day_ = (int(p) for p in parts)
        date(2024, month, day_)  # a leap year accepts 02-29
    except (ValueError, TypeError):
        raise DomainError(N_("Please send your birthday as month and day, e.g. {example}."),
                          example="03-28") from None
    return f"{month:02d}-{day_:02d}"


def birthday_on(birthday: str, day: date) -> bool:
    """Whether `day` is the birthday (29 February is greeted on 28 February in other years)."""
    if birthday == day.strftime("%m-%d"):
        return True
    leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
    return birthday == "02-29" and not leap and day.strftime("%m-%d") == "02-28"
