"""Agreement of our SEI codes with incoPat's own label (新兴产业分类) on the real incoPat files.

    .venv/bin/python benchmarks/sei_agreement.py

For each file, over its CN patents that carry an incoPat SEI label: how many we could not judge
(no IPC code; or H01L/H10 codes, which the concordance lacks, and no industry from the others),
and over the rest the share where our set of codes equals incoPat's and the share where they
overlap (one code in common). For comparison, the same shares for a plain lookup (each IPC code
looked up exactly, no fallback to its main group, subclass or class), and how often our NIC codes
(derived through the SEI ↔ NIC tags) overlap incoPat's 国民经济分类.

Then the same on the Toyota file as incoPat's default template has it, with only IPC主分类 (the
IPC and CPC columns dropped): industries from the main IPC alone (``sei_basis = 'main_ipc'``), and
the plain lookup of the main IPC for comparison.
"""

from __future__ import annotations

import csv
import re
import sys
import tempfile
from collections import defaultdict
from importlib.resources import files
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patentatlas.domain.industries import source_agreement  # noqa: E402
from patentatlas.imports import import_file  # noqa: E402
from patentatlas.reference.sei import nic_for_sei  # noqa: E402
from patentatlas.store import open_store  # noqa: E402
from patentatlas.store.reference import ensure_reference  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cn_patents"
FILES = {"Toyota": DATA / "incopat_toyota_autodrive_5048.csv", "chatbot": DATA / "incopat_chatbot_2798.csv"}
_LABEL = re.compile(r"^\s*(\d+(?:\.\d+)*)")


def exact_concordance() -> dict[str, set[str]]:
    """IPC code → SEI codes, exactly as the packaged concordance lists them."""
    table: dict[str, set[str]] = defaultdict(set)
    path = files("patentatlas.reference") / "data" / "sei_ipc_2021.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table[row["ipc"]].add(row["sei_code"])
    return table


def other_figures(conn: object, exact: dict[str, set[str]]) -> dict[str, float]:
    """Plain-lookup equal/overlap shares and our NIC overlap, over the judged labelled CN patents."""
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT CASE WHEN len(ipc_codes) > 0 THEN ipc_codes ELSE [ipc_main] END, source_sei_labels, sei_codes, "
        "source_nic_codes FROM patents WHERE country = 'CN' AND len(source_sei_labels) > 0 AND sei_judged "
        "AND sei_basis IN ('ipc', 'main_ipc')").fetchall()
    equal = overlap = nic_overlap = nic_labelled = 0
    for ipc, labels, sei, source_nic in rows:
        theirs = {m.group(1) for label in labels if (m := _LABEL.match(label))}
        plain = set().union(*(exact.get(code, set()) for code in ipc))
        nic = nic_for_sei(tuple(sei))
        equal += plain == theirs
        overlap += bool(plain & theirs)
        if source_nic:
            nic_labelled += 1
            nic_overlap += bool(set(nic) & set(source_nic))
    n = len(rows) or 1
    return {"plain_equal": equal / n, "plain_overlap": overlap / n,
            "nic_overlap": nic_overlap / (nic_labelled or 1), "nic_labelled": nic_labelled}


def main_ipc_only(path: Path, folder: Path) -> Path:
    """The export without its IPC and CPC columns: incoPat's default template."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        kept = [h for h in reader.fieldnames or [] if h not in ("IPC", "CPC")]
        rows = list(reader)
    target = folder / f"main_ipc_only_{path.name}"
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, kept, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return target


def main() -> None:
    exact = exact_concordance()
    folder = Path(tempfile.mkdtemp())
    files_to_run = {**FILES, "Toyota, main IPC only": main_ipc_only(FILES["Toyota"], folder)}
    for name, path in files_to_run.items():
        conn = open_store(":memory:")
        ensure_reference(conn)
        import_file(conn, path)
        ours = source_agreement(conn)
        other = other_figures(conn, exact)
        conn.close()
        print(f"{name} ({path.name})")
        print(f"  CN patents with an incoPat SEI label  {ours['labelled']:,}")
        print(f"  not judged (no IPC; H01L/H10, no SEI) {ours['not_judged']:,}")
        print(f"  judged                                {ours['judged']:,}")
        print(f"  same set of codes                     {ours['equal_share']:.1%} ({ours['equal']:,})")
        print(f"  at least one code in common           {ours['overlap_share']:.1%} ({ours['overlap']:,})")
        print(f"  plain lookup: same set / overlap      {other['plain_equal']:.1%} / {other['plain_overlap']:.1%}")
        print(f"  NIC codes overlap incoPat's 国民经济分类 {other['nic_overlap']:.1%} "
              f"(of {other['nic_labelled']:,} with a NIC label)")


if __name__ == "__main__":
    main()
