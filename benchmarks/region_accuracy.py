"""Print how well resolve_region places the ThunderSoft applicants, and how fast it is.

Run from the repository root::

    .venv/bin/python benchmarks/region_accuracy.py [--shared ../shared/data]

For the 511 rows of ``cn_patents/patentics_thundersoft_cn_511.csv`` it resolves (a) from the
address (地市) and (b) from the applicant name (申请人) alone, and compares both with the
hand-labelled truth in ``tests/fixtures/thundersoft_region_truth.csv`` at province, city and
county level. It also compares the address's province with the file's own 省市 column and
times 1,000,000 cached calls over the distinct inputs.

With ``--placement`` it also prints, on the demo's four exports, the share of CN patents placed
to a county and to a township by method (directory, registration, address, name) before and
after loading the SZSE directory sample, and the time placing ``--patents`` (1,000,000)
synthetic patents against a ``--directory`` (100,000) row directory takes (target ≤ 60 s)::

    .venv/bin/python benchmarks/region_accuracy.py --placement
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without `pip install -e .`

from patentatlas.reference.regions import (  # noqa: E402
    RegionMatch,
    region_name,
    resolve_region,
)

TRUTH = REPO / "tests" / "fixtures" / "thundersoft_region_truth.csv"
DEFAULT_SHARED = REPO.parent / "shared" / "data"
SAMPLE = Path("cn_patents") / "patentics_thundersoft_cn_511.csv"
LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class Row:
    """One patent's applicant, address and the file's own province."""

    applicant: str
    address: str
    province_name: str


def read_rows(path: Path) -> list[Row]:
    """The applicant, 地市 and 省市 of every row of the Patentics export."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [Row(r["申请人"], r["地市"], r["省市"]) for r in csv.DictReader(handle)]


def read_truth(path: Path = TRUTH) -> dict[str, dict[str, str]]:
    """Address → {province, city, county: code or ""} from the hand-labelled fixture."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            r["address"]: {level: r[f"{level}_code"] for level in LEVELS}
            for r in csv.DictReader(handle)
        }


def predicted(match: RegionMatch, level: str) -> str:
    """The code a match gives for a level, "" when it gives none."""
    return getattr(match, f"{level}_code") or ""


Miss = tuple[str, str, str, str]  # (input, level, truth, got)


def accuracy(
    rows: Iterable[Row],
    truth: dict[str, dict[str, str]],
    resolve: Callable[[Row], RegionMatch],
    shown: Callable[[Row], str],
) -> tuple[dict[str, tuple[int, int]], list[Miss]]:
    """Per level (correct, total) over rows whose truth has that level, and the mismatches.

    A row whose truth leaves the county empty (development zones) is not counted at county
    level; a resolver that names a county there anyway is listed as a mismatch.
    """
    counts = {level: [0, 0] for level in LEVELS}
    misses: list[Miss] = []
    for row in rows:
        match = resolve(row)
        for level in LEVELS:
            want, got = truth[row.address][level], predicted(match, level)
            if want:
                counts[level][1] += 1
                counts[level][0] += want == got
            if want != got:
                misses.append((shown(row), level, want, got))
    return {level: (c[0], c[1]) for level, c in counts.items()}, misses


def distinct_applicants(folder: Path) -> list[str]:
    """Every distinct 申请人 of the sample exports in ``cn_patents`` (about 4,700)."""
    names: dict[str, None] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            names.update(dict.fromkeys(row["申请人"] for row in csv.DictReader(handle)))
    return list(names)


def time_calls(names: list[str], calls: int = 1_000_000) -> tuple[float, float]:
    """Seconds to resolve each name once (cold cache, index built), then ``calls`` cached calls."""
    resolve_region("")  # load the table and build the indexes outside the timing
    resolve_region.cache_clear()
    started = time.perf_counter()
    for name in names:
        resolve_region(name)
    cold = time.perf_counter() - started
    count = len(names)
    started = time.perf_counter()
    for i in range(calls):
        resolve_region(names[i % count])
    return cold, time.perf_counter() - started


def print_table(title: str, figures: dict[str, tuple[int, int]]) -> None:
    """One line per level: correct / total and the percentage."""
    print(f"\n{title}")
    for level, (correct, total) in figures.items():
        share = 100 * correct / total if total else 0.0
        print(f"  {level:<8} {correct:>4} / {total:<4} {share:6.1f} %")


def print_misses(misses: list[Miss], limit: int = 30) -> None:
    """The distinct mismatches with their row counts, at most ``limit``."""
    seen: dict[Miss, int] = {}
    for miss in misses:
        seen[miss] = seen.get(miss, 0) + 1
    print("  mismatches (rows × level: truth → got | input):" if seen else "  no mismatches")
    for (shown, level, want, got), n in list(seen.items())[:limit]:
        print(f"  {n:>3} × {level:<8} {want or '-':<6} → {got or '-':<6} | {shown}")
    if len(seen) > limit:
        print(f"  … {len(seen) - limit} more distinct mismatches")


def province_agreement(rows: list[Row]) -> tuple[int, int]:
    """How many rows' address province (resolved) has the name the file's 省市 column gives."""
    agree = sum(
        region_name(resolve_region(row.applicant, row.address).province_code or "")
        == row.province_name
        for row in rows
    )
    return agree, len(rows)


def main() -> None:
    """Print the accuracy tables, the mismatches, the 省市 agreement and the timing."""
    parser = argparse.ArgumentParser(description="resolve_region accuracy on ThunderSoft")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--placement", action="store_true", help="placement shares and the placement benchmark")
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--directory", type=int, default=100_000)
    args = parser.parse_args()
    if args.placement:
        from benchmarks.placement_scale import demo_before_after, placement_at_scale

        demo_before_after(args.shared)
        seconds = placement_at_scale(args.shared, args.patents, args.directory)
        print(f"target ≤ 60 s: {'met' if seconds <= 60 else 'MISSED'}")
        return
    rows, truth = read_rows(args.shared / SAMPLE), read_truth()
    started = time.perf_counter()
    resolve_region("")
    print(f"loading regions.csv and building the indexes: {time.perf_counter() - started:.3f} s")
    for title, resolve, shown in (
        (
            "(a) from the address (地市)",
            lambda r: resolve_region(r.applicant, r.address),
            lambda r: r.address,
        ),
        (
            "(b) from the applicant name only",
            lambda r: resolve_region(r.applicant),
            lambda r: r.applicant,
        ),
    ):
        figures, misses = accuracy(rows, truth, resolve, shown)
        print_table(f"{title}: {len(rows)} rows", figures)
        print_misses(misses)
    agree, total = province_agreement(rows)
    print(f"\nprovince from address vs the file's 省市 column: {agree} / {total}")
    names = distinct_applicants(args.shared / SAMPLE.parent)
    cold, cached = time_calls(names)
    print(
        f"{len(names)} distinct applicant names (all cn_patents files): "
        f"first resolution {cold:.3f} s ({1e6 * cold / len(names):.0f} µs each); "
        f"1,000,000 cached calls {cached:.3f} s"
    )


if __name__ == "__main__":
    main()
