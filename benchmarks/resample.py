"""Write large CSV files by resampling real Chinese records with fresh application numbers.

Each output row is a real row of the source export whose application number is replaced by a
fresh one (same filing year and type digit, a new serial, a valid check digit) and whose
publication number is made unique, so every row is a new patent. With ``distinct_applicants``
every row's applicants are new names too (the serial appended to each), as a real file of that
size has more applicants than the few thousand a sample repeats: every applicant is then placed
and written as a party of its own.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

from patentatlas.normalize.appno import check_digit


def _fresh_number(original: str, serial: int) -> str | None:
    digits = original.replace("CN", "").split(".")[0]
    if len(digits) != 12:
        return None
    stem = f"{digits[:5]}{serial % 10_000_000:07d}"
    return f"CN{stem}.{check_digit(stem)}"


def resample_rows(source: Path, count: int, seed: int = 7, distinct_applicants: bool = False) -> Iterator[list[str]]:
    """``count`` rows drawn with replacement from the CN rows of ``source`` (header first)."""
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for r in reader if r]
    app = header.index("申请号")
    pub = next(i for i, h in enumerate(header) if h in ("公开号", "公开（公告）号"))
    applicants = next(i for i, h in enumerate(header) if h in ("申请人", "申请（专利权）人", "标准化申请人"))
    rows = [r for r in rows if r[app].startswith("CN") and _fresh_number(r[app], 0)]
    rng = random.Random(seed)
    yield header
    for serial in range(1, count + 1):
        row = list(rng.choice(rows))
        row[app] = _fresh_number(row[app], serial) or row[app]
        kind = row[pub][-1] if row[pub][-1].isalpha() else "A"
        row[pub] = f"CN{900_000_000 + serial:09d}{kind}"
        if distinct_applicants:
            row[applicants] = ";".join(f"{name}{serial}" for name in row[applicants].split(";"))
        yield row


def write_resampled(source: Path, target: Path, count: int, seed: int = 7, distinct_applicants: bool = False) -> Path:
    """Write ``count`` resampled rows of ``source`` to ``target`` as UTF-8 CSV."""
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for row in resample_rows(source, count, seed, distinct_applicants):
            writer.writerow(row)
    return target
