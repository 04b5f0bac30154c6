"""Relationship care (SVC-4, CARE-1..CARE-4): visit plans by grade, festivals, birthdays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import holidays

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


# Festivals greeted (CARE-2): a stable key, and the English holiday names of its first day.
FESTIVALS = {
    "new_year": ("New Year's Day",),
    "spring_festival": ("Chinese New Year (Spring Festival)", "Chinese New Year",
                        "The first day of Lunar New Year"),
    "dragon_boat": ("Dragon Boat Festival", "Tuen Ng Festival"),
    "mid_autumn": ("Mid-Autumn Festival",),
    "national_day": ("National Day",),
}
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
    """The first day of each greeted festival in `region` and `year`: date -> festival key."""
    data = holidays.country_holidays(region, years=year, language="en_US")
    out: dict[date, str] = {}
    seen: set[str] = set()
    for day, name in sorted(data.items()):
        for key, starts in FESTIVALS.items():
            if key not in seen and name in starts:  # the day itself, not its eve or bridge
                out[day] = key
                seen.add(key)
                break
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
