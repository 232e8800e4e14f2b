"""Legal status families (REFERENCE §2): every source vocabulary maps onto
``pending`` / ``in_force`` / ``lapsed``; the source's own words are kept beside.

The vocabulary is data (``reference/data/status_vocabulary.csv``) so a new export's wording is
one line, not a code change. Unknown wording gives ``None`` (not judged), never a guess.

>>> status_family("未缴年费")
'lapsed'
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

FAMILIES = ("pending", "in_force", "lapsed")


@cache
def vocabulary() -> dict[str, str]:
    """Source wording → family, from the packaged table."""
    path = resources.files("patentatlas.reference") / "data" / "status_vocabulary.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["text"]: row["family"] for row in csv.DictReader(fh)}


def status_family(text: str | None) -> str | None:
    """The family of one status text, or None when the wording is not in the vocabulary."""
    if not text:
        return None
    return vocabulary().get(text.strip())
