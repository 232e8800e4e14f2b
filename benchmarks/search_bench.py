"""Search speed over a large store: index build rate and size, median and p99 query time.

    .venv/bin/python benchmarks/search_bench.py [--records 1000000] [--layout incopat] [--workdir DIR] [--reuse]

Writes resampled real records (benchmarks/resample.py; the incoPat layout carries Chinese and
English titles and abstracts), imports them (not timed here: import_bench.py does that), builds
the index from the store (timed), then runs a mix of queries — single Chinese and English words,
two-word AND, OR, NOT, phrases, fields, IPC prefixes, numbers, date ranges, filters, sorting by
date and by value — three times each: without facets (the API's and the CLI's), with the default
facets, and as the search page asks (every facet, the first applicant too, for its charts); the
median and p99 of each kind of query, and of all. ``--reuse`` queries the store and index already in
``--workdir`` (built by an earlier run) without building them again.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.import_bench import LAYOUTS  # noqa: E402
from benchmarks.resample import write_resampled  # noqa: E402
from patentatlas.imports import import_file  # noqa: E402
from patentatlas.search import SearchOptions, open_index, rebuild_index, search  # noqa: E402
from patentatlas.search.engine import FACETS  # noqa: E402
from patentatlas.store import open_store  # noqa: E402
from patentatlas.store.reference import ensure_reference  # noqa: E402

WORDS_ZH = ["车辆", "自动驾驶", "控制装置", "电池", "传感器", "驾驶员", "摄像头", "图像处理", "燃料电池", "充电",
            "发动机", "变速器", "雷达", "行人", "导航", "停车", "语音", "显示", "通信", "制动"]
WORDS_EN = ["vehicle", "battery", "sensor", "driver", "camera", "engine", "charging", "parking", "brake", "display"]


def queries(conn, rng: random.Random) -> list[tuple[str, str, SearchOptions]]:
    """A fixed mix of query shapes over words the data holds: (kind, query, options)."""
    numbers = [r[0] for r in conn.execute("SELECT application_number FROM patents USING SAMPLE 20 ROWS").fetchall()]
    out: list[tuple[str, str, SearchOptions]] = []
    for _ in range(20):
        a, b = rng.sample(WORDS_ZH, 2)
        e, f = rng.sample(WORDS_EN, 2)
        year = rng.randint(2012, 2020)
        out += [
            ("zh word", a, SearchOptions()),
            ("en word", e, SearchOptions()),
            ("zh AND", f"{a} {b}", SearchOptions()),
            ("zh OR", f"{a} OR {b}", SearchOptions()),
            ("zh NOT", f"{a} NOT {b}", SearchOptions()),
            ("zh phrase", f'"{a}{b}"', SearchOptions()),
            ("fields", f"title:{a} abstract:{b}", SearchOptions()),
            ("en AND", f"{e} {f}", SearchOptions()),
            ("ipc + word", f"ipc:B60W {a}", SearchOptions()),
            ("date range", f"{a} filed:{year}..{year + 2}", SearchOptions()),
            ("filters", a, SearchOptions(patent_type="invention", status="in_force")),
            ("sort date", a, SearchOptions(sort="date")),
            ("sort value", a, SearchOptions(sort="value")),
        ]
    out += [("number", f"an:{n}", SearchOptions()) for n in numbers]
    return out


MODES = {"no facets": None, "facets": SearchOptions().facet_names, "page facets": tuple(FACETS)}


def timed(conn, items: list[tuple[str, str, SearchOptions]], mode: str,
          rounds: int = 3) -> list[dict[str, list[float]]]:
    """Milliseconds per query, by kind, for each round (the first: every result set counted anew; the
    later ones find its total and facets kept, as the next page or another order of a search does)."""
    out: list[dict[str, list[float]]] = []
    for _ in range(rounds):
        times: dict[str, list[float]] = {}
        for kind, q, opts in items:
            names = MODES[mode]
            opts.facets, opts.limit = names is not None, 20
            opts.facet_names = names or ()
            t0 = time.perf_counter()
            search(conn, q, opts)
            times.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
        out.append(times)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="incopat")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None, help="segmenting processes (default: up to 4)")
    parser.add_argument("--reuse", action="store_true", help="use the store and index already in --workdir")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="patentatlas-search-"))
    db = workdir / f"search_{args.layout}_{args.records}.duckdb"
    if not (args.reuse and db.exists()):
        source = workdir / f"resampled_{args.layout}_{args.records}.csv"
        if not source.exists():
            write_resampled(LAYOUTS[args.layout], source, args.records)
        db.unlink(missing_ok=True)
        conn = open_store(db)
        ensure_reference(conn)
        t0 = time.perf_counter()
        import_file(conn, source)
        print(f"imported {args.records:,} records in {time.perf_counter() - t0:.0f} s (not the figure here)")
        conn.close()
    conn = open_store(db, read_only=True)
    patents = conn.execute("SELECT count(*) FROM patents").fetchall()[0][0]
    if args.reuse and Path(str(db) + ".search").exists():
        open_index(conn)
    else:
        figures = rebuild_index(conn, workers=args.workers)
        print(f"index build     {figures['patents']:,} patents in {figures['seconds']:.0f} s = "
              f"{figures['per_second']:,.0f} patents/s")
        print(f"index size      {figures['bytes'] / 1e6:,.0f} MB ({figures['bytes'] / figures['patents']:,.0f} bytes "
              f"per patent; store file {db.stat().st_size / 1e6:,.0f} MB)")
    print(f"index on disk   {_size(Path(str(db) + '.search')) / 1e6:,.0f} MB")
    print(f"load average    {_load()} (1, 5, 15 min) before the queries")
    items = queries(conn, random.Random(14))
    timed(conn, queries(conn, random.Random(41))[:26], "no facets", rounds=1)  # warm the OS's and tantivy's caches
    first: dict[str, dict[str, list[float]]] = {}
    for mode in MODES:
        rounds = timed(conn, items, mode)
        first[mode] = rounds[0]
        cold = [t for ts in rounds[0].values() for t in ts]
        every = [t for r in rounds for ts in r.values() for t in ts]
        print(f"queries, {mode}, over {patents:,} patents: first round ({len(cold)} queries) median "
              f"{statistics.median(cold):.1f} ms, p99 {percentile(cold, 99):.1f} ms, max {max(cold):.1f} ms; "
              f"all {len(rounds)} rounds median {statistics.median(every):.1f} ms, p99 {percentile(every, 99):.1f} ms")
    print_kinds(first)
    print(f"load average    {_load()} after the queries")


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def print_kinds(first: dict[str, dict[str, list[float]]]) -> None:
    """Each kind's median / p99 in the first round (every result set counted anew), by mode."""
    print(f"{'first round':<12}" + "".join(f"{mode + ' median / p99':>28}" for mode in first))
    for kind in next(iter(first.values())):
        cells = [f"{statistics.median(ts[kind]):9.1f} / {percentile(ts[kind], 99):6.1f} ms" for ts in first.values()]
        print(f"{kind:<12}" + "".join(f"{c:>28}" for c in cells))


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


if __name__ == "__main__":
    main()
