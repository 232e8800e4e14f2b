"""China's region table (province → city → county → township): the packaged ``data/regions.csv``
(2023 NBS division codes, 2020 census population, coordinates; see ``data/SOURCES.md``), loaded
once per process. :mod:`patentatlas.reference.regions` resolves applicants to these regions.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import NamedTuple

from patentatlas.i18n import Bilingual, bilingual

LEVELS = ("province", "city", "county", "township")


class Region(NamedTuple):
    """One row of the region table."""

    code: str
    name: str
    level: str
    parent_code: str | None
    population_2020: int | None
    lng: float | None
    lat: float | None


# --------------------------------------------------------------------------- the table


def _optional_int(text: str) -> int | None:
    return int(text) if text else None


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


@functools.cache
def _table() -> dict[str, Region]:
    """Load regions.csv once: code → Region."""
    path = files("patentatlas.reference") / "data" / "regions.csv"
    with path.open("r", encoding="utf-8") as handle:
        rows = csv.reader(handle)  # a plain reader: every process reads 44,700 rows (DictReader took twice as long)
        at = {name: i for i, name in enumerate(next(rows))}
        code, name, level, parent = at["code"], at["name"], at["level"], at["parent_code"]
        population, lng, lat = at["population_2020"], at["lng"], at["lat"]
        return {
            row[code]: Region(row[code], row[name], row[level], row[parent] or None, _optional_int(row[population]),
                              _optional_float(row[lng]), _optional_float(row[lat]))
            for row in rows
        }


def iter_regions() -> Iterator[dict[str, str | int | float | None]]:
    """Yield every region row as a dict (the ``regions`` table's columns), parents first.

    >>> first = next(iter_regions())
    >>> first["code"], first["name"], first["level"]
    ('110000', '北京市', 'province')
    """
    for region in _table().values():
        yield region._asdict()


def region_name(code: str) -> str | None:
    """The name of a region code, or None if unknown.

    >>> region_name("330113")
    '临平区'
    """
    region = _table().get(code)
    return region.name if region else None


def region_level(code: str) -> str | None:
    """The level of a region code (province, city, county, township), or None if unknown.

    >>> region_level("330110005")
    'township'
    """
    region = _table().get(code)
    return region.level if region else None


def parent_code(code: str) -> str | None:
    """The code of a region's parent, or None for provinces and unknown codes.

    >>> parent_code("330110")
    '330100'
    """
    region = _table().get(code)
    return region.parent_code if region else None


def _chain(code: str) -> dict[str, str]:
    """Level → code for a region and all its ancestors."""
    table = _table()
    return chain_of(code, lambda c: (region.level, region.parent_code) if (region := table.get(c)) else None)


def chain_of(code: str, level_and_parent: Callable[[str], tuple[str, str | None] | None]) -> dict[str, str]:
    """Level → code for a region and all its ancestors, each code's (level, parent) looked up by
    ``level_and_parent`` (None for a code it does not know): the table's, or a kept index's."""
    found: dict[str, str] = {}
    current: str | None = code
    while current is not None and (known := level_and_parent(current)) is not None:
        found[known[0]] = current
        current = known[1]
    return found


# --------------------------------------------------------------------------- re-districting crosswalk


class CrosswalkRow(NamedTuple):
    """One old unit → one new unit it went (wholly or partly) into (``data/region_crosswalk.csv``)."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    part: str  # whole | main (the rest of the old unit) | part (only the townships listed)
    townships: tuple[str, ...]
    effective: str
    source: Bilingual  # the official notice, in Chinese and English


@functools.cache
def crosswalk() -> dict[str, tuple[CrosswalkRow, ...]]:
    """Old code → where its territory went, main part first (Hangzhou 2021: 下城区 → 拱墅区; 江干区 →
    上城区, its 下沙/白杨街道 → 钱塘区; 余杭区's east → 临平区; five 萧山区 subdistricts → 钱塘区).

    >>> [row.new_code for row in crosswalk()["330104"]]
    ['330102', '330114']
    """
    path = files("patentatlas.reference") / "data" / "region_crosswalk.csv"
    found: dict[str, list[CrosswalkRow]] = {}
    with path.open("r", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            towns = tuple(t for t in row["townships"].split(";") if t)
            found.setdefault(row["old_code"], []).append(CrosswalkRow(
                row["old_code"], row["old_name"], row["new_code"], row["new_name"], row["part"], towns,
                row["effective"], bilingual(row["source_zh"], row["source_en"])))
    return {code: tuple(sorted(rows, key=lambda r: r.part == "part")) for code, rows in found.items()}


def current_code(code: str) -> str | None:
    """The current code an old (abolished) code's main territory now has; None for a current or unknown code.

    >>> current_code("330103"), current_code("330104"), current_code("330108")
    ('330105', '330102', None)
    """
    rows = crosswalk().get(code)
    if not rows or code in _table():
        return None
    return rows[0].new_code
