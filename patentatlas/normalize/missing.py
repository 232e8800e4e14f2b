"""Placeholders for "no value": what exports write in a cell that has nothing to say.

A county platform writes ``0`` in 授权公告日 for an application not yet granted; others write
``-``, ``--``, ``/``, ``无``, ``N/A``, ``0000-00-00`` or ``1900-01-01``. A placeholder is a
missing value, never a bad one: the row loads with the field empty. A real impossible date
(``2023-02-30``) is still an error. In a count column ``0`` is a count, so :func:`is_placeholder`
takes ``zero_is_value``.

>>> is_placeholder("N/A"), is_placeholder("0"), is_placeholder("0", zero_is_value=True)
(True, True, False)
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache

# compared after NFKC (full-width forms become ASCII) and lower-casing
PLACEHOLDERS = frozenset({
    "", "-", "--", "---", "/", "//", "\\", "—", "——", "–", "_", "?", "？", ".", "。", "*",
    "无", "暂无", "空", "缺", "未知", "不详", "没有", "无数据",
    "n/a", "na", "n.a.", "nan", "none", "null", "nil", "#n/a", "#null!", "#value!", "undefined",
})
ZERO_PLACEHOLDERS = frozenset({"0", "0.0", "00", "000"})
# dates that stand for "no date": zero dates and the epochs of spreadsheets and databases
DATE_PLACEHOLDERS = frozenset({
    "0000-00-00", "00000000", "0000/00/00", "0000.00.00", "0000-00-00 00:00:00",
    "1900-01-01", "19000101", "1900/01/01", "1900.01.01", "1900-1-1", "1900/1/1", "1900-01-01 00:00:00",
    "1899-12-30", "1899-12-31", "18991230", "18991231",
})
LONGEST = 10  # no placeholder is longer (9 characters, a space either side)
EPOCH_DATES = frozenset({dt.date(1899, 12, 30), dt.date(1899, 12, 31), dt.date(1900, 1, 1)})


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def is_placeholder(value: object, *, zero_is_value: bool = False) -> bool:
    """Whether a cell says "no value" (None, empty, or one of :data:`PLACEHOLDERS`)."""
    if value.__class__ is str and len(value) > LONGEST:  # the common case: a real value, said at once
        return False
    if value is None:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0 and not zero_is_value
    key = _key(str(value))
    return key in PLACEHOLDERS or (not zero_is_value and key in ZERO_PLACEHOLDERS)


def is_date_placeholder(value: object) -> bool:
    """Whether a date cell says "no date": a placeholder, a zero date or a spreadsheet epoch.

    >>> is_date_placeholder("0000-00-00"), is_date_placeholder("1900-01-01"), is_date_placeholder("2023-02-30")
    (True, True, False)
    """
    if isinstance(value, dt.datetime):
        return value.date() in EPOCH_DATES
    if isinstance(value, dt.date):
        return value in EPOCH_DATES
    return is_placeholder(value) or _key(str(value)) in DATE_PLACEHOLDERS
