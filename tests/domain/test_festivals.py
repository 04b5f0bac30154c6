"""CARE-2: festivals fall on their calendar days in every region, whatever a region calls its
holiday (Hong Kong's Mid-Autumn holiday is the day after; Taiwan calls 1 January Founding Day)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.care import festivals

# Looked up in published calendars, not computed.
LUNAR = {
    2026: {"spring_festival": date(2026, 2, 17), "dragon_boat": date(2026, 6, 19),
           "mid_autumn": date(2026, 9, 25)},
    2027: {"spring_festival": date(2027, 2, 6), "dragon_boat": date(2027, 6, 9),
           "mid_autumn": date(2027, 9, 15)},
    2028: {"spring_festival": date(2028, 1, 26), "dragon_boat": date(2028, 5, 28),
           "mid_autumn": date(2028, 10, 3)},
}
NATIONAL = {"CN": (10, 1), "HK": (10, 1), "TW": (10, 10)}


@pytest.mark.parametrize("region", ["CN", "HK", "TW"])
@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_each_festival_on_its_day(region: str, year: int) -> None:
    want = {**LUNAR[year], "new_year": date(year, 1, 1),
            "national_day": date(year, *NATIONAL[region])}
    got = {key: day for day, key in festivals(region, year).items()}
    assert got == want


def test_two_festivals_on_one_day_greet_once() -> None:
    # 1 October 2020 was both National Day and the Mid-Autumn Festival in China.
    days = festivals("CN", 2020)
    assert days[date(2020, 10, 1)] == "mid_autumn"
    assert "national_day" not in days.values()
