"""When a case deadline's reminder goes out (issue 13): at the configured share of the
*business* time left, always within business hours of a working day.

The expected times are worked out by hand from the CN schedules listed in test_calendar.py
(2026 National Day Oct 1-7 off, Oct 10 worked; Spring Festival Feb 15-23 off, Feb 14 worked;
Mid-Autumn Sep 25 2026 off) with business hours 9:00-18:00.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import WorkingCalendar
from domain.cases import (
    CaseKind,
    TimeLeft,
    as_said,
    case_deadlines,
    warning_at,
    working_left,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = WorkingCalendar("CN", "Asia/Shanghai")
HOURS = (9, 18)


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


def local(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%a %Y-%m-%d %H:%M")


def deadline(kind: CaseKind, filed: datetime) -> datetime:
    return case_deadlines(kind, filed, CN, ack_days=1, answer_days=2,
                          solution_days=5).resolve_due


@pytest.mark.parametrize(("filed", "kind", "share", "due", "warn"), [
    # Filed the day before National Day (reported: reminded on Mon 5 Oct, in the holiday).
    # Business time: Sep 30 7:57, Oct 8, 9, 10 and 12 9 h each, Oct 13 1:03 = 45 h; half of it
    # left is Oct 13 1:03 + Oct 12 + Oct 10 + 3:27 of Oct 9, i.e. Fri 9 Oct 14:33.
    ("2026-09-30 10:03", CaseKind.COMPLAINT, 0.5, "Tue 2026-10-13 10:03",
     "Fri 2026-10-09 14:33"),
    ("2026-09-30 10:03", CaseKind.COMPLAINT, 0.25, "Tue 2026-10-13 10:03",
     "Sat 2026-10-10 16:48"),  # the make-up Saturday is a working day
    ("2026-09-30 10:03", CaseKind.INQUIRY, 0.5, "Fri 2026-10-09 10:03",
     "Thu 2026-10-08 10:03"),
    # The eve of the Spring Festival week, five minutes before closing.
    ("2026-02-13 17:55", CaseKind.INQUIRY, 0.5, "Tue 2026-02-24 17:55",
     "Sat 2026-02-14 17:55"),
    ("2026-02-13 17:55", CaseKind.COMPLAINT, 0.5, "Fri 2026-02-27 17:55",
     "Wed 2026-02-25 13:25"),
    # Friday evening, after hours: business time starts on Monday at 9:00.
    ("2026-12-04 19:30", CaseKind.INQUIRY, 0.5, "Tue 2026-12-08 19:30",
     "Tue 2026-12-08 09:00"),
    ("2026-12-04 19:30", CaseKind.COMPLAINT, 0.25, "Fri 2026-12-11 19:30",
     "Thu 2026-12-10 15:45"),
    # Filed on Mid-Autumn Festival (a holiday): deadlines start at midnight of the next
    # working day; the reminder is on the last working day before the National Day break.
    ("2026-09-25 17:00", CaseKind.COMPLAINT, 0.5, "Sat 2026-10-10 00:00",
     "Wed 2026-09-30 13:30"),
])
def test_reminder_at_the_share_of_business_time_left(filed: str, kind: CaseKind,
                                                     share: float, due: str, warn: str) -> None:
    opened = at(filed)
    resolve = deadline(kind, opened)
    reminder = warning_at(opened, resolve, CN, share, HOURS)
    assert reminder is not None
    assert (local(resolve), local(reminder)) == (due, warn)


# Filing times around holidays: National Day 2026, May Day 2027, Lunar New Year 2026 and
# 2027, a Friday evening, a Sunday, late at night.
FILED = ["2026-09-30 10:03", "2026-09-30 23:10", "2027-04-30 10:00", "2027-04-30 17:59",
         "2026-02-13 17:55", "2026-02-12 08:00", "2027-02-05 15:00", "2026-12-04 19:30",
         "2026-12-06 11:00", "2026-12-31 16:00"]


@pytest.mark.parametrize("filed", FILED)
@pytest.mark.parametrize("kind", list(CaseKind))
@pytest.mark.parametrize("share", [0.1, 0.25, 0.5, 0.9])
def test_reminders_fall_on_working_days_within_business_hours(filed: str, kind: CaseKind,
                                                              share: float) -> None:
    opened = at(filed)
    resolve = deadline(kind, opened)
    reminder = warning_at(opened, resolve, CN, share, HOURS)
    assert reminder is not None
    when = reminder.astimezone(SHANGHAI)
    assert CN.is_working_day(when.date()), local(reminder)
    assert time(9) <= when.time() < time(18), local(reminder)
    assert opened <= reminder < resolve
    total = CN.business_time_between(opened, resolve, HOURS)
    left = CN.business_time_between(reminder, resolve, HOURS)
    assert abs(left - total * share) < timedelta(seconds=1)


def test_the_may_day_case_is_not_reminded_on_the_holiday() -> None:
    # Reported: filed Fri 30 Apr 2027, reminded on Sun 2 May (May Day week).
    opened = at("2027-04-30 10:00")
    for kind in CaseKind:
        for share in (0.25, 0.5):
            reminder = warning_at(opened, deadline(kind, opened), CN, share, HOURS)
            assert reminder is not None
            assert CN.is_working_day(reminder.astimezone(SHANGHAI).date()), local(reminder)


def test_other_business_hours_are_honoured() -> None:
    opened = at("2026-12-07 08:00")  # Monday
    due = at("2026-12-08 08:00")
    # 8:00-20:00 on Monday is the only business time: 12 h, half of it left at 14:00.
    reminder = warning_at(opened, due, CN, 0.5, (8, 20))
    assert reminder is not None and local(reminder) == "Mon 2026-12-07 14:00"


def test_no_reminder_without_business_time() -> None:
    # From Monday 18:30 to Tuesday 08:30 no business hour passes.
    assert warning_at(at("2026-12-07 18:30"), at("2026-12-08 08:30"), CN, 0.5, HOURS) is None


@pytest.mark.parametrize(("now", "due", "expected"), [
    # 40 minutes late: the sign must survive although there is less than an hour.
    ("2026-12-07 10:40", "2026-12-07 10:00", TimeLeft(True, 0, 0, 40)),
    ("2026-12-07 09:20", "2026-12-07 10:00", TimeLeft(False, 0, 0, 40)),
    ("2026-12-08 12:00", "2026-12-07 10:00", TimeLeft(True, 1, 2, 0)),
    # Past a Friday deadline on Saturday: overdue, though no working time has passed yet.
    ("2026-12-05 11:00", "2026-12-05 00:00", TimeLeft(True, 0, 0, 0)),
    ("2026-12-04 10:00", "2026-12-07 10:00", TimeLeft(False, 1, 0, 0)),
])
def test_working_left_keeps_the_sign(now: str, due: str, expected: TimeLeft) -> None:
    assert working_left(at(now), at(due), CN) == expected


@pytest.mark.parametrize(("due", "day", "clock"), [
    ("2026-12-08 00:00", "2026-12-07", None),  # Tue 00:00 is the end of Monday's work
    ("2026-12-07 00:00", "2026-12-04", None),  # Mon 00:00: the weekend is skipped
    ("2026-10-08 00:00", "2026-09-30", None),  # after National Day: Wed 30 Sep
    ("2026-12-07 18:00", "2026-12-07", None),  # at closing time
    ("2026-12-07 10:03", "2026-12-07", time(10, 3)),
    ("2026-10-10 17:55", "2026-10-10", time(17, 55)),  # a make-up Saturday
])
def test_deadlines_are_said_as_people_say_them(due: str, day: str, clock: time | None) -> None:
    said = as_said(at(due), CN)
    assert (said.day.isoformat(), said.at) == (day, clock)


@pytest.mark.parametrize(("when", "sent"), [
    ("2026-12-07 10:00", "Mon 2026-12-07 10:00"),  # in business hours: as it is
    ("2026-12-08 00:00", "Tue 2026-12-08 09:00"),  # at night: when the office opens
    ("2026-12-07 18:00", "Mon 2026-12-07 18:00"),  # at closing time: still at work
    ("2026-12-07 18:01", "Tue 2026-12-08 09:00"),  # after closing: the next morning
    ("2026-10-01 00:00", "Thu 2026-10-08 09:00"),  # in National Day: after it
    ("2026-10-10 07:30", "Sat 2026-10-10 09:00"),  # a make-up Saturday works
])
def test_messages_due_outside_business_hours_wait_for_the_office(when: str, sent: str) -> None:
    assert local(CN.within_business_hours(at(when), HOURS)) == sent
