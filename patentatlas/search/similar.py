"""Similar patents: BM25 over the key terms (jieba TF-IDF) of a patent or a pasted paragraph, each
hit with the terms that made it similar.

>>> similar_patents(conn, number="CN201410722564.6")["hits"][0]["shared_terms"]  # doctest: +SKIP
['内窥镜', '虚拟现实', ...]
"""

from __future__ import annotations

from typing import Any

import duckdb

from patentatlas.domain.patents import get_patent
from patentatlas.errors import UsageError
from patentatlas.search.compile import Compiler
from patentatlas.search.engine import SearchOptions, _hit, _with_filters, paragraph_query
from patentatlas.search.index import open_index, shown
from patentatlas.search.text import en_terms, has_han, keywords, zh_tokens

MAX_TEXT = 20_000


def similar_patents(conn: duckdb.DuckDBPyConnection, *, number: str | None = None, text: str | None = None,
                    limit: int = 10, terms: int = 20) -> dict[str, Any]:
    """The patents most like patent ``number`` (its title, abstract and main claim) or like ``text``."""
    if not 1 <= limit <= 100:
        raise UsageError(f"limit {limit}: between 1 and 100")
    own = None
    if number:
        patent = get_patent(conn, number)
        own = patent["application_number"]
        # the title twice: its words weigh more
        fields = ("title_zh", "title_zh", "abstract_zh", "main_claim", "title_en", "abstract_en")
        text = " ".join(patent.get(k) or "" for k in fields)
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        raise UsageError("give a patent number or a paragraph of text to compare with")
    found = open_index(conn)
    compiler = Compiler(found.schema)
    weighted = keywords(text, terms)
    query, _ = paragraph_query(compiler, text, terms)
    query = _with_filters(found.schema, query, SearchOptions())
    searcher = found.index.searcher()
    hits = []
    for score, address in searcher.search(query, limit + 1).hits:
        hit = _hit(searcher, score, address, {"all": {w for w, _ in weighted}})
        if hit["application_number"] == own:
            continue
        hit["shared_terms"] = _shared(shown(searcher.doc(address)), weighted)
        hits.append(hit)
    return {"of": own, "terms": [{"term": w, "weight": round(s, 4)} for w, s in weighted], "hits": hits[:limit]}


def _shared(doc: dict[str, str], weighted: list[tuple[str, float]]) -> list[str]:
    """The key terms found in the hit's title or abstract, heaviest first."""
    text = " ".join(doc[k] for k in ("show_title", "show_title_en", "show_abstract")).lower()
    tokens = set(zh_tokens(text)) | set(en_terms(text))
    return [w for w, _ in weighted if w in tokens or w in text or (not has_han(w) and set(en_terms(w)) & tokens)]
