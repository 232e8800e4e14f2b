"""Dates in every form the exports use: ``2022/07/15``, ``20220107``, ``2020-04-16``,
``20220426.0`` (a number that went through Excel), ``2021.09.03``, Lens's ``05/10/17``.

>>> parse_date("2022/07/15", "申请日")
datetime.date(2022, 7, 15)
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from patentatlas.errors import FieldError
from patentatlas.i18n import Message, message
from patentatlas.normalize.missing import is_date_placeholder

_TIME = r"(?:[ T](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?"  # a real time of day, if any
_YMD = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?" + _TIME + "$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\.0+)?$")
_DMY_SHORT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")


def parse_date(raw: object, field: str, *, day_first_short: bool = False) -> dt.date | None:
    """Parse one date; None for an empty cell or a placeholder (``0``, ``-``, ``0000-00-00``,
    ``1900-01-01`` …, see :mod:`patentatlas.normalize.missing`); FieldError for an impossible one.

    ``day_first_short`` reads ``05/10/17`` as 5 October 2017 (Lens.org exports).
    """
    if raw is None or is_date_placeholder(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return _parse_text(str(raw).strip(), field, day_first_short)


@lru_cache(maxsize=65536)
def _parse_text(text: str, field: str, day_first_short: bool) -> dt.date | None:
    if is_date_placeholder(text):
        return None
    match = _COMPACT.match(text) or _YMD.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        short = _DMY_SHORT.match(text) if day_first_short else None
        if not short:
            raise FieldError(field, message("err_not_a_date", value=text))
        day, month, year2 = (int(g) for g in short.groups())
        # a two-digit year is the latest one not in the future: 17 → 2017, 45 → 1945
        year = 2000 + year2 if 2000 + year2 <= dt.date.today().year else 1900 + year2
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise FieldError(field, message("err_not_a_real_date", value=text)) from None
    if not 1900 <= value.year <= 2100:
        raise FieldError(field, message("err_date_out_of_range", value=text))
    return value


def date_order_problem(filing: dt.date | None, published: dt.date | None, granted: dt.date | None,
                       today: dt.date | None = None) -> Message | None:
    """Why a record's dates cannot all be true (a message), or None: the one check every importer applies.

    >>> date_order_problem(dt.date(2020, 5, 1), dt.date(2020, 4, 1), None)
    'filing date 2020-05-01 is after the publication date 2020-04-01'
    """
    if filing is None:
        return message("err_filing_date_missing")
    if filing > (today or dt.date.today()):
        return message("err_filing_date_future", date=str(filing))
    for msgid, later in (("err_filing_after_publication", published), ("err_filing_after_grant", granted)):
        if later is not None and later < filing:
            return message(msgid, filing=str(filing), later=str(later))
    return None
