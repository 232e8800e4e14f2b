"""Times shown to people are Beijing time (Asia/Shanghai, UTC+8); the store keeps UTC (naive).

One helper for templates (the Jinja filter ``bj``), downloads and mail alike:

>>> beijing(dt.datetime(2026, 12, 3, 8, 36, 12, 744577))
'2026-12-03 16:36'
>>> beijing("2026-12-03T08:51:39.744577", seconds=True)
'2026-12-03 16:51:39'
>>> beijing(dt.date(2026, 12, 3)), beijing("2026-12-03"), beijing(None)
('2026-12-03', '2026-12-03', '')
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def to_beijing(value: dt.datetime) -> dt.datetime:
    """A stored time (naive = UTC, or aware) as an aware Beijing time."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(BEIJING)


def beijing(value: Any, seconds: bool = False) -> str:
    """A time as Beijing wall-clock text without microseconds (a date stays a date; None is empty)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if len(value) <= 10:  # a date ("2026-12-03") is a day, not midnight UTC
            return value
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return to_beijing(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def beijing_today() -> dt.date:
    """Today's date in Beijing (the day a user there writes on a form, whatever the server's zone)."""
    return dt.datetime.now(BEIJING).date()
