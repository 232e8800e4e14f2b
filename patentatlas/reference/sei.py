"""Strategic emerging industries (战略性新兴产业, SEI) of a patent, from its IPC codes.

The 2021 concordance (``data/sei_ipc_2021.csv``, see ``data/SOURCES.md``) maps IPC codes at
every level — subgroup ``G06F16/583``, main group ``G06F16/00``, subclass ``G06F``, class
``C08`` — to second-level SEI codes (``1.4``). For each of a patent's IPC codes the most
specific entry that exists wins; a patent belongs to the union over all its codes.

The concordance lacks H01L and H10 (semiconductor devices): a patent it cannot speak for — no
IPC code at all, or no industry found while some of its codes are H01L/H10 — is *not judged*,
never "not SEI".

>>> sei_for_ipc(("G01R31/389", "G01R31/392"))
(('6.5',), True)
>>> sei_for_ipc(("H01L21/02",))
((), False)
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path

UNCOVERED_PREFIXES = ("H01L", "H10")  # absent from the concordance (see SOURCES.md)


@dataclass(frozen=True)
class SeiIndustry:
    """One node of the SEI tree: level ``1`` (``6`` 新能源产业) or ``2`` (``6.5`` 智能电网产业)."""

    code: str
    name: str
    parent_code: str | None
    level: str


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (files("patentatlas.reference") / "data" / name).open(encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


@cache
def sei_industries() -> tuple[SeiIndustry, ...]:
    """The SEI tree in code order, each first-level industry followed by its children.

    >>> sei_industries()[0]
    SeiIndustry(code='1', name='新一代信息技术产业', parent_code=None, level='1')
    """
    return tuple(SeiIndustry(r["code"], r["name"], r["parent_code"] or None, r["level"])
                 for r in _rows("sei_industries.csv"))


@cache
def _concordance() -> dict[str, tuple[str, ...]]:
    from patentatlas.reference.cache import DATA, cached

    return cached("sei-concordance", _read_concordance, DATA / "sei_ipc_2021.csv", Path(__file__))


def _read_concordance() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = defaultdict(list)
    with (files("patentatlas.reference") / "data" / "sei_ipc_2021.csv").open(encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)  # header: ipc,sei_code
        for ipc, sei in rows:  # 34,000 rows, read by every importing process: plain reader
            found[ipc].append(sei)
    return {code: tuple(sorted(set(seis))) for code, seis in found.items()}


@cache
def _nic_by_sei() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = defaultdict(list)
    for row in _rows("sei_nic.csv"):
        found[row["sei_code"]].append(row["nic_code"])
    return {code: tuple(nics) for code, nics in found.items()}


def lookup_keys(code: str) -> tuple[str, ...]:
    """The concordance entries that could cover ``code``, most specific first.

    >>> lookup_keys("G06F16/583")
    ('G06F16/583', 'G06F16/00', 'G06F', 'G06')
    """
    keys = [code]
    head, slash, _ = code.partition("/")
    if slash:
        keys.append(f"{head}/00")
    keys += [code[:4], code[:3]]
    return tuple(dict.fromkeys(k for k in keys if len(k) >= 3))


def sei_for_code(code: str) -> tuple[str, ...]:
    """The SEI codes of one IPC code: those of its most specific concordance entry (or none)."""
    concordance = _concordance()
    for key in lookup_keys(code):
        if key in concordance:
            return concordance[key]
    return ()


@lru_cache(maxsize=1 << 16)
def sei_for_ipc(codes: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """A patent's SEI codes (sorted, union over its IPC codes) and whether it could be judged."""
    found = sorted({sei for code in codes for sei in sei_for_code(code)}, key=_sei_key)
    if found:
        return tuple(found), True
    judged = bool(codes) and not any(code.startswith(UNCOVERED_PREFIXES) for code in codes)
    return (), judged


SEI_BASES = ("ipc", "main_ipc", "source_label")  # all IPC codes / the main IPC alone / the export's own label
_LABEL_CODE = re.compile(r"^\s*(\d+(?:\.\d+)*)")


def label_codes(labels: tuple[str, ...] | list[str]) -> set[str]:
    """The SEI codes a source's labels start with: ``"6.5 (智能电网产业)"`` → ``{"6.5"}``.

    >>> sorted(label_codes(("1.1 (下一代信息网络产业)", "1.5 (人工智能)")))
    ['1.1', '1.5']
    """
    return {m.group(1) for label in labels if (m := _LABEL_CODE.match(label))}


@lru_cache(maxsize=1 << 16)
def industries_of(ipc_codes: tuple[str, ...], ipc_main: str | None = None,
                  source_labels: tuple[str, ...] = ()) -> tuple[tuple[str, ...], bool, str | None]:
    """``(sei_codes, sei_judged, sei_basis)`` from the best classification a record carries: all its
    IPC codes; else its main IPC alone (incoPat's default template has only ``IPC主分类``); else,
    with no IPC at all, the export's own SEI label (``6.5 (智能电网产业)``) where the code is one
    of the 2021 tree's. ``sei_basis`` is None when nothing could be judged from.

    >>> industries_of((), "G01R31/389")
    (('6.5',), True, 'main_ipc')
    >>> industries_of((), None, ("5.2 (新能源汽车装置、配件制造)",))
    (('5.2',), True, 'source_label')
    """
    if ipc_codes:
        return (*sei_for_ipc(ipc_codes), "ipc")
    if ipc_main:
        return (*sei_for_ipc((ipc_main,)), "main_ipc")
    known = {industry.code for industry in sei_industries()}
    codes = sorted(label_codes(source_labels) & known, key=_sei_key)
    if codes:
        return tuple(codes), True, "source_label"
    return (), False, None


@lru_cache(maxsize=1 << 12)
def nic_for_sei(codes: tuple[str, ...]) -> tuple[str, ...]:
    """The national-economy industries (GB/T 4754-2017, ``C3670``) tagged with these SEI codes.

    >>> nic_for_sei(("6.5",))[:2]
    ('C3821', 'C3823')
    """
    table = _nic_by_sei()
    return tuple(sorted({nic for code in codes for nic in table.get(code, ())}))


@lru_cache(maxsize=1 << 16)
def industries_for_ipc(codes: tuple[str, ...]) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    """``(sei_codes, sei_judged, nic_codes)`` of a patent with these IPC codes (cached per tuple)."""
    sei, judged = sei_for_ipc(codes)
    return sei, judged, nic_for_sei(sei)


def _sei_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))
