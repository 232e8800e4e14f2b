"""Working days of the Chinese official calendar: a deadline on a weekend or a public holiday
moves to the next working day (make-up working days included).

The ``chinese-calendar`` package knows the official calendar for the years its data covers;
beyond them only weekends move a date, and the result is marked provisional.

>>> next_working_day(dt.date(2026, 10, 3))
(datetime.date(2026, 10, 8), False)
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> tuple[bool, bool]:
    """(is it a working day, is that provisional because the official calendar lacks the year)."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        return day.weekday() < 5, True


def next_working_day(day: dt.date) -> tuple[dt.date, bool]:
    """``day`` itself if it is a working day, else the next one; and whether that is provisional."""
    provisional = False
    while True:
        working, guessed = is_working_day(day)
        provisional = provisional or guessed
        if working:
            return day, provisional
        day += dt.timedelta(days=1)
