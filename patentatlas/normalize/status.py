"""Legal status families (REFERENCE §2): every source vocabulary maps onto
``pending`` / ``in_force`` / ``lapsed``; the source's own words are kept beside.

The vocabulary is data (``reference/data/status_vocabulary.csv``, each line with its source) so
a new export's wording is one line, not a code change. CNIPA-style values come as
family-subtype pairs (``有权-审定授权``, ``无权-未缴年费终止``, ``审中-实质审查``): the pair is
read by its family word, or by its subtype when the family word is unknown. A word the
vocabulary marks ``unknown`` (Patentics ``其他``) is recognised but says nothing; anything else
unknown is *unmapped*: not judged, and reported by the import, never a guess.

>>> status_family("未缴年费"), status_family("有权-审定授权"), status_family("无权-视为撤回")
('lapsed', 'in_force', 'lapsed')
>>> status_reading("某种新状态")
StatusReading(family=None, recognised=False)
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from typing import NamedTuple

from patentatlas.normalize.missing import is_placeholder

UNKNOWN = "unknown"  # a recognised word that names no family
_PAIR = re.compile(r"\s*[-－—–]\s*")
_LIST = re.compile(r"\s*[;；|,，]\s*")


class StatusReading(NamedTuple):
    family: str | None  # pending / in_force / lapsed, or None
    recognised: bool  # False: the wording is in no vocabulary (reported as unmapped)


@cache
def vocabulary() -> dict[str, str]:
    """Source wording (NFKC, lower case) → family or ``unknown``, from the packaged table."""
    path = resources.files("patentatlas.reference") / "data" / "status_vocabulary.csv"
    with path.open(encoding="utf-8") as fh:
        return {_key(row["text"]): row["family"] for row in csv.DictReader(fh)}


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def _word(text: str) -> str | None:
    return vocabulary().get(_key(text))


@lru_cache(maxsize=4096)
def status_reading(text: str | None) -> StatusReading:
    """What one status cell says: its family, and whether the wording was recognised at all.
    An empty cell or a placeholder is recognised and says nothing."""
    if text is None or is_placeholder(text):
        return StatusReading(None, True)
    found = _word(text)
    if found is None and _PAIR.search(text):
        family_word, subtype = _PAIR.split(text.strip(), maxsplit=1)
        found = _word(family_word) if _word(family_word) not in (None, UNKNOWN) else _word(subtype)
    if found is None and _LIST.search(text):  # several words: one family only if they agree
        families = {_word(part) for part in _LIST.split(text.strip()) if part}
        found = families.pop() if len(families) == 1 else None
    if found is None:
        return StatusReading(None, False)
    return StatusReading(None if found == UNKNOWN else found, True)


def status_family(text: str | None) -> str | None:
    """The family of one status text, or None when it names none or is not in the vocabulary."""
    return status_reading(text).family
