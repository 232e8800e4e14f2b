"""Patent types and publication kinds (REFERENCE §1).

>>> publication_kind("CN111856303B")
'B'
>>> patent_type_from_text("发明授权")
'invention'
"""

from __future__ import annotations

_TYPE_WORDS = (
    ("外观", "design"),
    ("实用新型", "utility_model"),
    ("发明", "invention"),
    ("DESIGN", "design"),
    ("UTILITY MODEL", "utility_model"),
    ("PATENT", "invention"),
)
# publication kinds that mean the right was granted (C/Y/D before 2010, B/U/S after)
GRANT_KINDS = {"B", "C", "U", "Y", "S", "D"}
# how authoritative a publication is for the bibliographic fields: grant beats application
KIND_RANK = {"A": 1, "B": 2, "C": 2, "U": 2, "Y": 2, "S": 2, "D": 2}


def patent_type_from_text(text: str | None) -> str | None:
    """invention / utility_model / design from a source's type words, or None."""
    if not text:
        return None
    upper = text.upper()
    return next((kind for word, kind in _TYPE_WORDS if word in upper), None)


def publication_kind(publication_number: str | None) -> str | None:
    """The kind letter of a publication number: CN111856303B → B, CN105807763B8 → B8 → B."""
    if not publication_number or len(publication_number) < 4:
        return None
    number = publication_number.rstrip().upper()
    last = number[-1]
    if "A" <= last <= "Z":
        return last
    if last.isdigit() and "A" <= number[-2] <= "Z":
        return number[-2]
    return None


def kind_rank(kind: str | None) -> int:
    """Rank of a publication kind for merging rows of one application (grant wins)."""
    return KIND_RANK.get(kind or "", 0)
