"""The office's enterprise directory: importing it, placing each entry in its county and township,
and placing again the stored patents a change touches.

Every row read is accounted for, as in a patent import: ``read = loaded + updated + unchanged +
quarantined``. An entry is keyed by its credit code, or by its normalised name where the file
has none (the SZSE list); importing a newer file updates the entries it changes.

>>> import_directory(conn, Path("szse_a_share_list_2025-10-22.csv")).counts()  # doctest: +SKIP
{'file': '…', 'read': 2875, 'loaded': 2875, 'updated': 0, 'unchanged': 0, 'quarantined': 0, …}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.domain.placement import Evidence, choose, from_code, place_names
from patentatlas.domain.uscc import uscc_region_code
from patentatlas.importers.directory import DirectoryEntry, DirectoryRow, open_directory
from patentatlas.importers.records import Rejection
from patentatlas.normalize.names import normalize_name
from patentatlas.reference.region_table import _table, current_code
from patentatlas.reference.regions import _township_codes, resolve_region
from patentatlas.store import scalar, transaction, utc_now
from patentatlas.store.loader import file_checksum

CHUNK_ROWS = 5_000
_STORED = ("entry_key", "name", "normalized_name", "former_names", "uscc", "address", "township", "industry", "tags",
           "contact_person", "contact_phone", "province_code", "city_code", "county_code", "township_code",
           "region_method", "region_confidence")
_TOWN_SUFFIXES = ("", "街道", "镇", "乡")
_TYPES = {"former_names": pa.list_(pa.string()), "tags": pa.list_(pa.string()), "region_confidence": pa.float64()}


@dataclass
class DirectoryReport:
    """What one directory file did: ``read = loaded + updated + unchanged + quarantined``, and the
    stored patents placed again because of it (``patents_moved``: their region changed)."""

    file: str
    format: str
    import_id: int = 0
    read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    patents_placed: int = 0
    patents_moved: int = 0
    columns: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        """The figures as ``directory import --json`` prints them."""
        keys = ("file", "format", "read", "loaded", "updated", "unchanged", "quarantined", "patents_placed",
                "patents_moved", "columns")
        return {k: getattr(self, k) for k in keys}


# --------------------------------------------------------------------------- placing an entry


def _county_from_column(text: str, around: Evidence | None) -> Evidence | None:
    """A 区县 column: a code (an old one through the crosswalk) or a name (within the address's city)."""
    text = text.strip()
    if re.fullmatch(r"\d{6}", text):
        code = text if text in _table() else current_code(text)
        return from_code(code, "county", 0.95) if code else None
    if around is not None and around.city:
        for region in _table().values():
            if region.level == "county" and region.parent_code == around.city and region.name == text:
                return from_code(region.code, "county", 0.95)
    match = resolve_region(text, text)
    return from_code(match.county_code, "county", 0.9) if match.county_code else None


def _township(name: str | None, county: str | None) -> str | None:
    """The township of this name in the county (乡镇 columns often drop 街道/镇)."""
    if not name or not county:
        return None
    codes = _township_codes()
    return next((codes[(county, name + s)] for s in _TOWN_SUFFIXES if (county, name + s) in codes), None)


def place_entry(entry: DirectoryEntry) -> Evidence:
    """Where a directory entry is: its address, its 区县 column, its credit code's division, its name;
    the township from its 乡镇 column, else from its address.

    >>> place_entry(DirectoryEntry("杭州海康威视数字技术股份有限公司", address="浙江省杭州市滨江区阡陌路555号")).county
    '330108'
    """
    address = None
    if entry.address:
        match = resolve_region(entry.name, entry.address)
        if match.method == "address":
            address = Evidence("address", match.confidence, match.country, match.province_code, match.city_code,
                               match.county_code, match.township_code, source=entry.address)
    county = _county_from_column(entry.county, address) if entry.county else None
    credit = from_code(uscc_region_code(entry.uscc), "credit_code", 0.9) if entry.uscc else None
    credit = credit if credit is not None and credit.province else None
    match = resolve_region(entry.name)
    by_name = from_code(match.region_code, "name", match.confidence) if match.country == "CN" else None
    chosen = choose([address, county, credit, by_name])
    town = _township(entry.township, chosen.county)
    if town:
        chosen = Evidence(chosen.method, chosen.confidence, chosen.country, chosen.province, chosen.city,
                          chosen.county, town, township_method="township")
    return chosen


def entry_row(entry: DirectoryEntry) -> dict[str, Any]:
    """The directory table's row for an entry (placed)."""
    normalized = normalize_name(entry.name)
    placed = place_entry(entry)
    return {
        "entry_key": entry.uscc or f"name:{normalized}", "name": entry.name, "normalized_name": normalized,
        "former_names": entry.former_names, "uscc": entry.uscc, "address": entry.address, "township": entry.township,
        "industry": entry.industry, "tags": entry.tags, "contact_person": entry.contact_person,
        "contact_phone": entry.contact_phone, "province_code": placed.province, "city_code": placed.city,
        "county_code": placed.county, "township_code": placed.township,
        "region_method": placed.method if placed.method != "none" else None,
        "region_confidence": placed.confidence,
    }


# --------------------------------------------------------------------------- importing


def import_directory(conn: duckdb.DuckDBPyConnection, path: Path, chunk_rows: int = CHUNK_ROWS) -> DirectoryReport:
    """Import a directory file (CSV or XLSX) in one transaction, then place again the stored patents
    whose applicants the new or changed entries name (by their names, former names and old names)."""
    source = open_directory(path)
    report = DirectoryReport(str(path), source.format, columns=source.columns)
    with transaction(conn):
        report.import_id = int(scalar(conn, "SELECT coalesce(max(import_id), 0) + 1 FROM directory_imports"))
        conn.execute("INSERT INTO directory_imports (import_id, file, format, checksum, started_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     [report.import_id, report.file, report.format, file_checksum(path), utc_now()])
        touched: set[str] = set()
        for chunk in _chunks(source.rows, chunk_rows):
            touched |= _load_chunk(conn, chunk, report)
        placed = place_names(conn, touched)
        report.patents_placed, report.patents_moved = placed["placed"], placed["moved"]
        conn.execute("UPDATE directory_imports SET finished_at = ?, rows_read = ?, loaded = ?, updated = ?, "
                     "unchanged = ?, quarantined = ?, patents_placed = ?, patents_moved = ? WHERE import_id = ?",
                     [utc_now(), report.read, report.loaded, report.updated, report.unchanged, report.quarantined,
                      report.patents_placed, report.patents_moved, report.import_id])
    return report


def _chunks(rows: Iterator[DirectoryRow], size: int) -> Iterator[list[DirectoryRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _stored(conn: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(f"SELECT {', '.join(_STORED)} FROM directory WHERE entry_key IN (SELECT unnest(?))",
                        [keys]).fetchall()
    return {r[0]: dict(zip(_STORED, r, strict=True)) for r in rows}


def _names(row: dict[str, Any]) -> set[str]:
    return {row["name"], *row["former_names"]}


def _load_chunk(conn: duckdb.DuckDBPyConnection, chunk: list[DirectoryRow], report: DirectoryReport) -> set[str]:
    """Merge one chunk of rows into the directory; returns the names whose entries changed."""
    report.read += len(chunk)
    rejected = [r for r in chunk if isinstance(r.outcome, Rejection)]
    report.quarantined += len(rejected)
    _quarantine(conn, rejected, report)
    rows = [entry_row(r.outcome) for r in chunk if isinstance(r.outcome, DirectoryEntry)]
    # an entry keyed by its name before its credit code was known is the same entry
    by_name = {f"name:{r['normalized_name']}": r["entry_key"] for r in rows if r["uscc"]}
    current = _stored(conn, [r["entry_key"] for r in rows] + list(by_name))
    for old_key, new_key in by_name.items():
        if old_key in current and new_key not in current:
            current[new_key] = {**current.pop(old_key), "replaces": old_key}
    touched: set[str] = set()
    changed: dict[str, dict[str, Any]] = {}
    for row in rows:
        old = current.get(row["entry_key"])
        if old is None:
            report.loaded += 1
        elif all(old[k] == row[k] for k in _STORED):
            report.unchanged += 1
            continue
        else:
            report.updated += 1
            touched |= _names(old)
            if old.get("replaces"):
                row["replaces"] = old["replaces"]
        touched |= _names(row)
        current[row["entry_key"]] = changed[row["entry_key"]] = row
    _write(conn, list(changed.values()), [k for k in current if k not in changed], report.import_id)
    return touched


def _write(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], seen: list[str], import_id: int) -> None:
    if seen:
        conn.execute("UPDATE directory SET last_import_id = ? WHERE entry_key IN (SELECT unnest(?))", [import_id, seen])
    gone = [r["replaces"] for r in rows if r.get("replaces")]
    if gone:
        conn.execute("DELETE FROM directory WHERE entry_key IN (SELECT unnest(?))", [gone])
    if not rows:
        return
    now = utc_now()
    staged = pa.table({
        **{k: pa.array([r[k] for r in rows], _TYPES.get(k, pa.string())) for k in _STORED},
        "first_import_id": pa.array([import_id] * len(rows), pa.int32()),
        "last_import_id": pa.array([import_id] * len(rows), pa.int32()),
        "updated_at": pa.array([now] * len(rows), pa.timestamp("us"))})
    updates = ", ".join(f"{k} = excluded.{k}" for k in _STORED[1:])
    conn.register("directory_rows", staged)
    try:
        conn.execute(f"INSERT INTO directory BY NAME SELECT * FROM directory_rows ON CONFLICT (entry_key) DO UPDATE "
                     f"SET {updates}, last_import_id = excluded.last_import_id, updated_at = excluded.updated_at")
    finally:
        conn.unregister("directory_rows")


def _quarantine(conn: duckdb.DuckDBPyConnection, rows: list[DirectoryRow], report: DirectoryReport) -> None:
    if rows:
        conn.executemany(
            "INSERT INTO directory_quarantine VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[report.import_id, report.file, r.sheet, r.row, r.outcome.field, r.outcome.reason,  # type: ignore[union-attr]
              json.dumps(r.raw, ensure_ascii=False, default=str)] for r in rows])


def directory_quarantine(conn: duckdb.DuckDBPyConnection, limit: int = 100) -> list[dict[str, Any]]:
    """Rejected directory rows with file, sheet, row, field and reason, newest import first."""
    rows = conn.execute("SELECT import_id, file, sheet, row_number, field, reason, raw FROM directory_quarantine "
                        "ORDER BY import_id DESC, file, row_number LIMIT ?", [limit]).fetchall()
    keys = ("import_id", "file", "sheet", "row", "field", "reason", "raw")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def directory_summary(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """How many entries the directory holds and how many are placed to a county and a township."""
    total, county, township = conn.execute(
        "SELECT count(*), count(county_code), count(township_code) FROM directory").fetchall()[0]
    by_method = dict(conn.execute("SELECT coalesce(region_method, 'none'), count(*) FROM directory GROUP BY 1 "
                                  "ORDER BY 2 DESC, 1").fetchall())
    return {"entries": total, "placed_to_county": county, "placed_to_township": township, "by_method": by_method}


NO_CONTACT: dict[str, Any] = {"contact_person": None, "contact_phone": None, "township_code": None,
                              "township_name": None, "tags": [], "in_directory": False}


def enterprise_contacts(conn: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Enterprise key (``uscc:…`` or ``dir:…``, see domain.placement) → its directory contact, township and tags."""
    codes = [k.removeprefix("uscc:") for k in keys if k.startswith("uscc:")]
    names = [f"name:{k.removeprefix('dir:')}" for k in keys if k.startswith("dir:")]
    if not codes and not names:
        return {}
    rows = conn.execute(
        "SELECT CASE WHEN d.uscc IS NOT NULL THEN 'uscc:' || d.uscc ELSE 'dir:' || d.normalized_name END, "
        "d.contact_person, d.contact_phone, d.township_code, r.name, d.tags FROM directory d "
        "LEFT JOIN regions r ON r.code = d.township_code "
        "WHERE d.uscc IN (SELECT unnest($codes)) OR d.entry_key IN (SELECT unnest($names))",
        {"codes": codes, "names": names}).fetchall()
    keys_out = ("contact_person", "contact_phone", "township_code", "township_name", "tags")
    return {r[0]: {**dict(zip(keys_out, r[1:], strict=True)), "in_directory": True} for r in rows}
