"""China's region table (province → city → county → township): the packaged ``data/regions.csv``
(2023 NBS division codes, 2020 census population, coordinates; see ``data/SOURCES.md``), loaded
once per process. :mod:`patentatlas.reference.regions` resolves applicants to these regions.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from importlib.resources import files
from typing import NamedTuple

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
        return {
            row["code"]: Region(
                row["code"],
                row["name"],
                row["level"],
                row["parent_code"] or None,
                _optional_int(row["population_2020"]),
                _optional_float(row["lng"]),
                _optional_float(row["lat"]),
            )
            for row in csv.DictReader(handle)
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
    found: dict[str, str] = {}
    current: str | None = code
    while current is not None and current in table:
        found[table[current].level] = current
        current = table[current].parent_code
    return found
