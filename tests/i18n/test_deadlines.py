"""Deadlines read as people say them, in each language (issue 13.6)."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Catalogs

CATALOGS = Catalogs(ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(("locale", "end_of_day", "at_ten"), [
    ("en", "Mon, Dec 7, end of the working day", "Mon, Dec 7, 10:03 AM"),
    ("zh_Hant", "12月7日週一（工作日結束）", "12月7日週一 上午10:03"),
    ("zh_Hans", "12月7日周一（工作日结束）", "12月7日周一 10:03"),
])
def test_a_deadline_names_the_weekday_and_the_end_of_the_working_day(
        locale: str, end_of_day: str, at_ten: str) -> None:
    t = CATALOGS.get(locale)
    assert t.deadline(date(2026, 12, 7), None) == end_of_day
    # Babel puts a narrow no-break space before "AM".
    assert t.deadline(date(2026, 12, 7), time(10, 3)).replace("\u202f", " ") == at_ten
