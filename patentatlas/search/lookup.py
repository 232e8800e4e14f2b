"""The header's search box: an application or publication number, in any written form, opens its
patent; anything else is a search.

>>> patent_for_number(conn, "CN110750616B")  # doctest: +SKIP
'CN201910985485.7'
"""

from __future__ import annotations

import contextlib
import re
import unicodedata

import duckdb
import tantivy

from patentatlas.errors import FieldError
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.search.index import open_index

# ZL202010302257.8, 2020103022578, CN110750616B, CN 110750616 B, US2019123456A1, 200710063161
_NUMBERISH = re.compile(r"^(?:ZL|[A-Z]{2})?\d{6,13}(?:\.?[0-9X])?(?:[A-Z]\d?)?$")


def looks_like_number(text: str) -> bool:
    return bool(_NUMBERISH.match(_compact(text)))


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def number_forms(text: str) -> list[str]:
    """The index terms a written number may be: the canonical application number, the publication
    number with and without its kind code."""
    raw = _compact(text)
    forms = {raw, re.sub(r"[A-Z]\d?$", "", raw)}
    if raw[:1].isdigit():
        forms |= {"CN" + raw, "CN" + re.sub(r"[A-Z]\d?$", "", raw)}
    with contextlib.suppress(FieldError):
        forms.add(normalize_application_number(raw).number)
    if raw.startswith("ZL"):
        forms.add(raw[2:].split(".")[0])
    return sorted(f for f in forms if f)


def patent_for_number(conn: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The application number of the one patent ``text`` names, else None."""
    if not looks_like_number(text):
        return None
    found = open_index(conn)
    query = tantivy.Query.term_set_query(found.schema, "num", number_forms(text))
    searcher = found.index.searcher()
    hits = searcher.search(query, 2).hits
    if len(hits) != 1:
        return None
    return str(searcher.doc(hits[0][1]).get_first("an"))
