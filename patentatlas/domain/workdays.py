"""Working days of the Chinese official calendar: a deadline on a weekend or a public holiday
moves to the next working day (make-up working days included).

The official calendar is a function from a date to "is it a working day" that raises
``NotImplementedError`` for a year it does not know; by default it is the ``chinese-calendar``
package's, which knows the years its data covers (a new holiday year arrives with a new release
of the package). Beyond them only weekends move a date, and the result is marked provisional.
Tests and offices with their own calendar replace it with :func:`use_official_calendar`.

>>> next_working_day(dt.date(2026, 10, 3))
(datetime.date(2026, 10, 8), False)
>>> next_working_day(dt.date(2200, 1, 4))  # a Saturday in a year no calendar release covers
(datetime.date(2200, 1, 6), True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

import chinese_calendar

OfficialCalendar = Callable[[dt.date], bool]
"""Is ``day`` a working day? Raises ``NotImplementedError`` for a year the calendar lacks."""


def package_calendar(day: dt.date) -> bool:
    """The ``chinese-calendar`` package's answer (its data's years only)."""
    return bool(chinese_calendar.is_workday(day))


_official: OfficialCalendar = package_calendar


def use_official_calendar(calendar: OfficialCalendar | None) -> OfficialCalendar:
    """Make ``calendar`` the official calendar (``None``: the package's again); returns the one
    it replaces, so a caller can put it back.

    >>> previous = use_official_calendar(calendar_through(2025))
    >>> next_working_day(dt.date(2026, 10, 3))  # the 2026 holidays are unknown now
    (datetime.date(2026, 10, 5), True)
    >>> _ = use_official_calendar(previous)
    """
    global _official
    previous = _official
    _official = calendar or package_calendar
    is_working_day.cache_clear()
    return previous


def calendar_through(last_year: int, calendar: OfficialCalendar = package_calendar) -> OfficialCalendar:
    """``calendar`` cut after ``last_year``: the calendar as a release whose data ends there knows it."""

    def official(day: dt.date) -> bool:
        if day.year > last_year:
            raise NotImplementedError(f"no holiday data for {day.year} (this calendar ends with {last_year})")
        return calendar(day)

    return official


@lru_cache(maxsize=1 << 15)  # 89 years of days: a store's whole span of due dates, never thrashing
def is_working_day(day: dt.date) -> tuple[bool, bool]:
    """(is it a working day, is that provisional because the official calendar lacks the year)."""
    try:
        return _official(day), False
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
