"""Placement on the demo store before and after the directory, and at scale: synthetic stores built
by resampling the real SZSE list and the real applicants of the sample exports.

Used by ``benchmarks/region_accuracy.py --placement``.
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.domain.directory import import_directory
from patentatlas.domain.placement import place_patents
from patentatlas.importers.parties import party_id
from patentatlas.imports import import_file
from patentatlas.normalize.names import normalize_name, party_kind
from patentatlas.store import open_store, transaction
from patentatlas.store.reference import ensure_reference

SZSE = Path("enterprise_directory") / "szse_a_share_list_2025-10-22.csv"
_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团公司", "公司")
_SHARES_SQL = """SELECT coalesce(pl.method, 'none') AS method, count(*) AS patents,
  count(p.first_applicant_county_code) AS county, count_if(length(p.first_applicant_region_code) = 9) AS township
FROM patents p LEFT JOIN placements pl USING (application_number)
WHERE p.country = 'CN' AND p.first_applicant_country = 'CN' GROUP BY 1 ORDER BY 2 DESC"""


def placement_shares(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """CN patents with a first applicant in China: how many are placed to a county and a township, by method."""
    rows = conn.execute(_SHARES_SQL).fetchall()
    total = sum(r[1] for r in rows)
    return {"patents": total, "county": sum(r[2] for r in rows), "township": sum(r[3] for r in rows),
            "by_method": [dict(zip(("method", "patents", "county", "township"), r, strict=True)) for r in rows]}


def print_shares(title: str, shares: dict[str, Any]) -> None:
    total = shares["patents"] or 1
    print(f"\n{title}: {shares['patents']:,} CN patents with a first applicant in China")
    print(f"  placed to a county   {shares['county']:>6,}  {100 * shares['county'] / total:5.1f} %")
    print(f"  placed to a township {shares['township']:>6,}  {100 * shares['township'] / total:5.1f} %")
    print(f"  {'method':<14}{'patents':>8}{'county':>8}{'share':>8}{'township':>9}{'share':>8}")
    for r in shares["by_method"]:
        print(f"  {r['method']:<14}{r['patents']:>8,}{r['county']:>8,}{100 * r['county'] / total:>7.1f}%"
              f"{r['township']:>9,}{100 * r['township'] / total:>7.1f}%")


def demo_before_after(shared: Path) -> None:
    """The demo's four exports, then the SZSE directory sample: the shares before and after."""
    with tempfile.TemporaryDirectory() as folder:
        conn = open_store(Path(folder) / "demo.duckdb")
        ensure_reference(conn)
        for path in sorted((shared / "cn_patents").glob("*.csv")):
            import_file(conn, path)
        print_shares("before the directory", placement_shares(conn))
        started = time.perf_counter()
        report = import_directory(conn, shared / SZSE)
        print(f"\nSZSE directory: {report.read:,} rows read, {report.loaded:,} loaded, {report.patents_placed:,} "
              f"patents placed again ({report.patents_moved:,} moved) in {time.perf_counter() - started:.1f} s")
        print_shares("after the directory", placement_shares(conn))
        conn.close()


def _szse_rows(shared: Path) -> list[tuple[str, str]]:
    with (shared / SZSE).open(encoding="utf-8", newline="") as handle:
        return [(r["公司全称"], r["注册地址"]) for r in csv.DictReader(handle)]


def _numbered(name: str, serial: int) -> str:
    """A new enterprise from a real name: a serial before its legal form (杭州…技术00042股份有限公司)."""
    form = next((f for f in _FORMS if name.endswith(f)), "")
    return f"{name[: len(name) - len(form)]}{serial:05d}{form}"


def write_directory(shared: Path, path: Path, rows: int, seed: int = 7) -> list[tuple[str, str]]:
    """A directory of ``rows`` enterprises resampled from the SZSE list (real addresses, numbered names)."""
    rng = random.Random(seed)
    source = _szse_rows(shared)
    made = [(_numbered(name, i), address) for i, (name, address) in
            enumerate((rng.choice(source) for _ in range(rows)), start=1)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["企业名称", "注册地址"])
        out.writerows(made)
    return made


def _real_applicants(shared: Path) -> list[tuple[str, str | None]]:
    """(first applicant, address) of the real CN patents of the sample exports."""
    with tempfile.TemporaryDirectory() as folder:
        conn = open_store(Path(folder) / "pool.duckdb")
        ensure_reference(conn)
        for path in sorted((shared / "cn_patents").glob("*.csv")):
            import_file(conn, path)
        rows = conn.execute("SELECT applicant_names[1], first_applicant_address FROM patents "
                            "WHERE country = 'CN' AND applicant_names[1] IS NOT NULL").fetchall()
        conn.close()
    return [(r[0], r[1]) for r in rows]


def synthesize(conn: duckdb.DuckDBPyConnection, shared: Path, folder: Path, patents: int, directory: int,
               seed: int = 7) -> float:
    """A store of ``patents`` CN patents whose first applicants are drawn half from a ``directory``-row
    directory and half from the real applicants; returns the directory import's seconds."""
    listed = write_directory(shared, folder / "directory.csv", directory, seed)
    started = time.perf_counter()
    import_directory(conn, folder / "directory.csv")
    seconds = time.perf_counter() - started
    rng = random.Random(seed)
    real = _real_applicants(shared)
    pool = [rng.choice(listed) if i % 2 else rng.choice(real) for i in range(patents)]
    names = sorted({name for name, _ in pool})
    normalized = {n: normalize_name(n) for n in names}
    parties = pa.table({"party_id": pa.array([party_id(normalized[n]) for n in names], pa.int64()),
                        "name": names, "normalized_name": [normalized[n] for n in names],
                        "kind": [party_kind(n) for n in names]})
    numbers = [f"CN{2000000000000 + i:013d}" for i in range(patents)]
    rows = pa.table({"application_number": numbers, "country": ["CN"] * patents,
                     "applicant_names": [[n] for n, _ in pool], "first_applicant_address": [a for _, a in pool],
                     "party_id": pa.array([party_id(normalized[n]) for n, _ in pool], pa.int64())})
    with transaction(conn):
        conn.register("synthetic_parties", parties)
        conn.execute("INSERT INTO parties BY NAME SELECT * FROM synthetic_parties ON CONFLICT DO NOTHING")
        conn.register("synthetic_rows", rows)
        conn.execute("INSERT INTO patents BY NAME SELECT application_number, country, applicant_names, "
                     "first_applicant_address FROM synthetic_rows")
        conn.execute("INSERT INTO patent_parties SELECT application_number, party_id, 'applicant', 1 "
                     "FROM synthetic_rows")
    return seconds


def placement_at_scale(shared: Path, patents: int, directory: int) -> float:
    """Print and return the seconds placing ``patents`` patents against a ``directory``-row directory takes."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        conn = open_store(folder / "scale.duckdb")
        ensure_reference(conn)
        directory_seconds = synthesize(conn, shared, folder, patents, directory)
        print(f"\nsynthetic store: {patents:,} patents, a {directory:,}-row directory "
              f"(imported in {directory_seconds:.1f} s)")
        cpu = time.process_time()
        with transaction(conn):
            summary = place_patents(conn)
        cpu = time.process_time() - cpu  # DuckDB's threads included: the figure other processes do not blur
        shares = placement_shares(conn)
        print(f"placing {summary['placed']:,} patents against {directory:,} directory rows: {summary['seconds']:.1f} s "
              f"wall, {cpu:.1f} s CPU ({summary['moved']:,} moved); {shares['county']:,} placed to a county, "
              f"{shares['township']:,} to a township; load average {os.getloadavg()[0]:.1f}")
        conn.close()
        return float(summary["seconds"])
