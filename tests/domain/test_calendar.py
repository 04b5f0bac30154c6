"""Table tests for the working-day calendar (policy "Working days", R14).

Expected dates come from the official schedules, not from running the code:

* CN 2025: State Council General Office notice 国办发明电〔2024〕12号 — New Year Jan 1 only;
  Spring Festival Jan 28–Feb 4 off, Jan 26 (Sun) and Feb 8 (Sat) worked; National Day and
  Mid-Autumn Oct 1–8 off, Sep 28 (Sun) and Oct 11 (Sat) worked.
* CN 2026: notice 国办发明电〔2025〕7号 — New Year Jan 1–3 off, Jan 4 (Sun) worked; Spring
  Festival Feb 15–23 off, Feb 14 (Sat) and Feb 28 (Sat) worked; National Day Oct 1–7 off,
  Sep 20 (Sun) and Oct 10 (Sat) worked.
* TW: DGPA (行政院人事行政總處) office calendars — 2025 Lunar New Year Jan 25–Feb 2 off with
  Feb 8 (Sat) worked in exchange for Jan 27; 2026 Lunar New Year Feb 14–22 off, no make-up day.
* HK: gov.hk general holidays — 2025 Lunar New Year Jan 29–31, Christmas Dec 25 and the first
  weekday after Christmas Dec 26; 2026 Lunar New Year Feb 17–19, Good Friday Apr 3 (and Sat
  Apr 4), the day following Ching Ming Apr 6, the day following Easter Monday Apr 7. Offices
  work Monday to Friday.
* US (for DST only): 2025 DST starts Sun Mar 9 in America/New_York; no federal holiday that week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest

from domain.calendar import WorkingCalendar

ZONES = {
    "CN": "Asia/Shanghai",
    "TW": "Asia/Taipei",
    "HK": "Asia/Hong_Kong",
    "US": "America/New_York",
}


@cache
def calendar(region: str) -> WorkingCalendar:
    return WorkingCalendar(region, ZONES[region])


def at(region: str, text: str) -> datetime:
    """Return the aware local datetime for 'YYYY-MM-DD HH:MM' in the region's zone."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONES[region]))


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("region", "start", "days", "expected"),
    [
        # Friday evening skips the weekend, keeping the time of day.
        ("CN", "2026-11-27 20:00", 1, "2026-11-30 20:00"),
        ("CN", "2026-11-27 20:00", 5, "2026-12-04 20:00"),
        # CN Spring Festival 2026: Sat Feb 14 is a make-up working day, Feb 15-23 are off.
        ("CN", "2026-02-13 18:00", 1, "2026-02-14 18:00"),
        ("CN", "2026-02-13 18:00", 2, "2026-02-24 18:00"),
        ("CN", "2026-02-14 09:30", 1, "2026-02-24 09:30"),
        ("CN", "2026-02-27 10:00", 1, "2026-02-28 10:00"),
        # CN Spring Festival 2025: Jan 28-Feb 4 off, Sun Jan 26 and Sat Feb 8 worked.
        ("CN", "2025-01-24 17:00", 1, "2025-01-26 17:00"),
        ("CN", "2025-01-27 10:00", 1, "2025-02-05 10:00"),
        ("CN", "2025-02-07 17:00", 1, "2025-02-08 17:00"),
        # CN National Day 2025: Oct 1-8 off, Sun Sep 28 and Sat Oct 11 worked.
        ("CN", "2025-09-26 17:00", 1, "2025-09-28 17:00"),
        ("CN", "2025-09-30 17:00", 1, "2025-10-09 17:00"),
        ("CN", "2025-09-30 17:00", 3, "2025-10-11 17:00"),
        # CN National Day 2026: Oct 1-7 off, Sat Oct 10 worked.
        ("CN", "2026-09-30 17:00", 1, "2026-10-08 17:00"),
        ("CN", "2026-09-30 17:00", 3, "2026-10-10 17:00"),
        # Across New Year: 2026 has Jan 1-3 off and Sun Jan 4 worked; 2025 only Jan 1.
        ("CN", "2025-12-31 15:00", 1, "2026-01-04 15:00"),
        ("CN", "2024-12-31 15:00", 1, "2025-01-02 15:00"),
        # Start on a weekend or holiday: the clock starts at 00:00 of the next working day.
        ("CN", "2026-11-28 10:00", 1, "2026-12-01 00:00"),
        ("CN", "2026-11-29 23:59", 2, "2026-12-02 00:00"),
        ("CN", "2026-02-17 10:00", 1, "2026-02-25 00:00"),
        # n == 0: unchanged on a working day, else the start of the next working day.
        ("CN", "2026-11-27 20:00", 0, "2026-11-27 20:00"),
        ("CN", "2026-11-28 10:00", 0, "2026-11-30 00:00"),
        ("CN", "2026-02-17 10:00", 0, "2026-02-24 00:00"),
        # Negative n ("remind 3 working days before due").
        ("CN", "2026-12-04 09:00", -3, "2026-12-01 09:00"),
        ("CN", "2026-11-30 09:00", -1, "2026-11-27 09:00"),
        ("CN", "2026-02-24 09:00", -1, "2026-02-14 09:00"),
        ("CN", "2026-02-24 09:00", -2, "2026-02-13 09:00"),
        ("CN", "2026-01-05 10:00", -1, "2026-01-04 10:00"),
        ("CN", "2026-01-05 10:00", -2, "2025-12-31 10:00"),
        # Negative n from a non-working day: 00:00 of the |n|-th previous working day.
        ("CN", "2026-11-28 10:00", -1, "2026-11-27 00:00"),
        ("CN", "2026-11-29 10:00", -2, "2026-11-26 00:00"),
        # TW Lunar New Year 2026 (Feb 14-22, no make-up day) and 2025 (Sat Feb 8 worked).
        ("TW", "2026-02-13 17:00", 1, "2026-02-23 17:00"),
        ("TW", "2025-01-24 17:00", 1, "2025-02-03 17:00"),
        ("TW", "2025-02-07 17:00", 1, "2025-02-08 17:00"),
        # HK: Christmas 2025, Lunar New Year 2025 and 2026, Easter 2026, Saturdays off.
        ("HK", "2025-12-24 10:00", 1, "2025-12-29 10:00"),
        ("HK", "2025-01-28 15:00", 1, "2025-02-03 15:00"),
        ("HK", "2026-02-16 09:00", 1, "2026-02-20 09:00"),
        ("HK", "2026-04-02 10:00", 1, "2026-04-08 10:00"),
        ("HK", "2026-01-02 10:00", 1, "2026-01-05 10:00"),
        # DST: Fri 09:00 EST + 1 = Mon 09:00 EDT, 71 h later rather than 72 h.
        ("US", "2025-03-07 09:00", 1, "2025-03-10 09:00"),
    ],
)
def test_add_working_days(region: str, start: str, days: int, expected: str) -> None:
    result = calendar(region).add_working_days(at(region, start), days)

    assert result == at(region, expected)
    assert result.tzinfo is UTC


def test_add_working_days_keeps_wall_clock_across_dst() -> None:
    result = calendar("US").add_working_days(at("US", "2025-03-07 09:00"), 1)

    assert result == datetime(2025, 3, 10, 13, 0, tzinfo=UTC)


def test_add_working_days_converts_start_to_the_company_zone() -> None:
    # Fri 23:30 UTC is already Sat 07:30 in Shanghai, a weekend day.
    start = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)

    result = calendar("CN").add_working_days(start, 1)

    assert result == at("CN", "2026-12-01 00:00")


@pytest.mark.parametrize(
    ("start", "days"),
    [
        ("2026-11-27 20:00", 1),
        ("2026-11-28 10:00", 1),
        ("2026-11-28 10:00", 0),
        ("2026-02-13 18:00", 3),
        ("2026-02-17 10:00", 2),
        ("2026-12-04 09:00", -3),
        ("2026-11-29 10:00", -2),
        ("2026-03-02 11:15", -4),
    ],
)
def test_deadline_is_exactly_n_working_days_of_working_time(start: str, days: int) -> None:
    cn = calendar("CN")
    begin = at("CN", start)

    deadline = cn.add_working_days(begin, days)

    assert cn.working_time_between(begin, deadline) == timedelta(days=days)
    assert cn.is_working_day(deadline.astimezone(cn.tz).date())


@pytest.mark.parametrize(
    ("region", "day", "working"),
    [
        ("CN", date(2026, 2, 13), True),
        ("CN", date(2026, 2, 14), True),  # make-up Saturday
        ("CN", date(2026, 2, 15), False),
        ("CN", date(2026, 2, 20), False),
        ("CN", date(2026, 2, 23), False),
        ("CN", date(2026, 2, 24), True),
        ("CN", date(2026, 2, 21), False),  # ordinary Saturday inside the holiday
        ("CN", date(2026, 2, 28), True),  # make-up Saturday
        ("CN", date(2026, 1, 4), True),  # make-up Sunday
        ("CN", date(2026, 3, 7), False),  # ordinary Saturday
        ("CN", date(2025, 10, 8), False),
        ("CN", date(2025, 10, 11), True),
        ("TW", date(2026, 2, 20), False),
        ("TW", date(2025, 2, 8), True),
        ("TW", date(2025, 1, 27), False),
        ("HK", date(2026, 1, 3), False),  # Saturday: offices are closed
        ("HK", date(2026, 12, 28), True),
        ("HK", date(2025, 12, 26), False),
        ("HK", date(2026, 4, 3), False),  # Good Friday (general, not yet statutory)
    ],
)
def test_is_working_day(region: str, day: date, working: bool) -> None:
    assert calendar(region).is_working_day(day) is working


@pytest.mark.parametrize(
    ("region", "day", "expected"),
    [
        ("CN", date(2026, 2, 13), date(2026, 2, 14)),
        ("CN", date(2026, 2, 14), date(2026, 2, 24)),
        ("CN", date(2025, 12, 31), date(2026, 1, 4)),
        ("CN", date(2026, 11, 27), date(2026, 11, 30)),
        ("HK", date(2025, 12, 24), date(2025, 12, 29)),
        ("TW", date(2026, 2, 13), date(2026, 2, 23)),
    ],
)
def test_next_working_day(region: str, day: date, expected: date) -> None:
    assert calendar(region).next_working_day(day) == expected


def test_holiday_name() -> None:
    cn = calendar("CN")
    english = WorkingCalendar("CN", "Asia/Shanghai", language="en_US")

    assert cn.holiday_name(date(2026, 2, 17)) == "春节"
    assert english.holiday_name(date(2026, 2, 17)) == "Chinese New Year (Spring Festival)"
    assert cn.holiday_name(date(2026, 2, 14)) is None  # make-up working day
    assert cn.holiday_name(date(2026, 3, 3)) is None


@pytest.mark.parametrize(
    ("region", "start", "end", "expected"),
    [
        ("CN", "2026-11-30 09:00", "2026-11-30 11:00", 2 * H),
        # "1 working day 3 h" left.
        ("CN", "2026-11-30 09:00", "2026-12-01 12:00", 27 * H),
        # Over a weekend: Fri 20:00-24:00 and Mon 00:00-09:00.
        ("CN", "2026-11-27 20:00", "2026-11-30 09:00", 13 * H),
        ("CN", "2026-11-28 08:00", "2026-11-29 20:00", 0 * H),
        # Over Spring Festival 2026: Fri 6 h, make-up Sat 24 h, Tue 9 h.
        ("CN", "2026-02-13 18:00", "2026-02-24 09:00", 39 * H),
        ("CN", "2026-02-24 09:00", "2026-02-13 18:00", -39 * H),
        # Over HK Christmas 2025: Wed 14 h, Mon 9 h.
        ("HK", "2025-12-24 10:00", "2025-12-29 09:00", 23 * H),
    ],
)
def test_working_time_between(region: str, start: str, end: str, expected: timedelta) -> None:
    assert calendar(region).working_time_between(at(region, start), at(region, end)) == expected


def test_working_time_between_counts_real_duration_on_a_dst_day() -> None:
    # The company works Sunday 2025-03-09, the day New York loses an hour.
    us = WorkingCalendar("US", "America/New_York", extra_workdays=[date(2025, 3, 9)])

    elapsed = us.working_time_between(at("US", "2025-03-08 12:00"), at("US", "2025-03-10 00:00"))

    assert elapsed == 23 * H


def test_extra_holidays_and_workdays_override_the_region() -> None:
    company = WorkingCalendar(
        "CN",
        "Asia/Shanghai",
        extra_holidays=[date(2026, 12, 24)],
        extra_workdays=[date(2026, 11, 28)],
    )

    friday, wednesday = at("CN", "2026-11-27 20:00"), at("CN", "2026-12-23 10:00")

    assert company.add_working_days(friday, 1) == at("CN", "2026-11-28 20:00")  # worked Sat
    assert company.add_working_days(wednesday, 1) == at("CN", "2026-12-25 10:00")  # closed Thu


def test_extra_day_listed_both_ways_is_rejected() -> None:
    with pytest.raises(ValueError, match="2026-12-24"):
        WorkingCalendar(
            "CN",
            "Asia/Shanghai",
            extra_holidays=[date(2026, 12, 24)],
            extra_workdays=[date(2026, 12, 24)],
        )


def test_naive_datetimes_are_rejected() -> None:
    cn = calendar("CN")
    naive = datetime(2026, 11, 27, 20, 0)

    with pytest.raises(ValueError, match="timezone-aware"):
        cn.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cn.working_time_between(naive, at("CN", "2026-11-30 09:00"))
    with pytest.raises(ValueError, match="timezone-aware"):
        cn.working_time_between(at("CN", "2026-11-30 09:00"), naive)


def test_datetime_is_not_accepted_as_a_day() -> None:
    # Its date part would be in whatever zone it carries, not the company's.
    with pytest.raises(TypeError):
        calendar("CN").is_working_day(at("CN", "2026-11-27 20:00"))


@pytest.mark.parametrize("region", ["XX", "", "China", "CHN"])
def test_unknown_region_is_rejected(region: str) -> None:
    with pytest.raises(ValueError, match="Unknown region"):
        WorkingCalendar(region, "Asia/Shanghai")


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown time zone"):
        WorkingCalendar("CN", "Asia/Beijing")


def test_region_and_zone_are_exposed() -> None:
    hk = WorkingCalendar("hk", "Asia/Hong_Kong")

    assert hk.region == "HK"
    assert hk.tz == ZoneInfo("Asia/Hong_Kong")


def test_holiday_data_is_computed_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> holidays.HolidayBase:
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(holidays, "country_holidays", counting)
    cn = WorkingCalendar("CN", "Asia/Shanghai")
    start = at("CN", "2026-11-27 20:00")

    for _ in range(100):
        cn.add_working_days(start, 5)
        cn.working_time_between(start, at("CN", "2026-12-04 20:00"))

    assert [years for years in calls if years] == [(2025, 2026, 2027)]
