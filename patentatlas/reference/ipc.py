"""The IPC scheme shipped with the package: codes with Chinese (2026.01) and English titles.

The table is ``data/ipc.csv.gz`` (see ``data/SOURCES.md``): the union of CNIPA's Chinese
edition of IPC 2026.01 and WIPO's English titles of about IPC 2020.01, so a code may have
only one of the two titles (H01L has no Chinese title, H10 no English one).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from importlib.resources import files


def iter_ipc() -> Iterator[tuple[str, str, str, str]]:
    """Yield (code, level, title_zh, title_en) for every IPC code, in scheme order.

    Levels are section, class, subclass, main_group and subgroup; a missing title is "".

    >>> next(iter_ipc())
    ('A', 'section', '人类生活必需', 'HUMAN NECESSITIES')
    """
    path = files("patentatlas.reference") / "data" / "ipc.csv.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as text:
        rows = csv.reader(text)
        next(rows)  # header
        for row in rows:
            yield row[0], row[1], row[2], row[3]
