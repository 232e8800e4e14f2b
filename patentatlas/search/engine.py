"""Running a search: the query, the filters, facet counts, sorting, and hits with highlighted snippets.

>>> result = search(conn, "内窥镜", SearchOptions(limit=5))  # doctest: +SKIP
>>> result["total"], result["hits"][0]["application_number"]  # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import tantivy

from patentatlas.errors import UsageError
from patentatlas.search.compile import Compiler
from patentatlas.search.index import SearchIndex, open_index, shown
from patentatlas.search.query import Parsed, parse
from patentatlas.search.text import keywords

Occur = tantivy.Occur
SORTS = ("relevance", "date", "date_asc", "cited", "value")
FACETS = {"type": "type", "status": "status", "year": "filed_year", "province": "province",
          "ipc_class": "ipc_class", "applicant": "first_applicant"}
# each index segment's counts of up to this many values of a facet go into the total: every value of
# type, status, year, province and IPC subclass (about 650), so their counts are exact (tantivy's
# default, 10 times the size, showed wrong top subclasses across segments). First applicants may be
# more (a million patents of 300,000 applicants: counting all of them took 360 ms, 10,000 took 40):
# where tantivy says a count may be short, the facet is named in ``approximate`` and the page says so
SEGMENT_SIZE = 10_000
MAX_LIMIT = 1_000
MAX_OFFSET = 100_000
PARAGRAPH_TERMS = 20
_KEPT_LOCK = threading.Lock()


@dataclass
class SearchOptions:
    """Filters (each narrows the results), the order, the page, and whether to count facets."""

    region: str | None = None        # an adcode at any level: province, city or county
    industry: str | None = None      # an SEI code at any level (1, 1.2, 1.2.3)
    patent_type: str | None = None   # invention | utility_model | design
    status: str | None = None        # pending | in_force | lapsed
    year_from: int | None = None     # filing years, inclusive
    year_to: int | None = None
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0
    facets: bool = True
    only: list[str] | None = field(default=None)  # restrict to these application numbers (saved searches)
    # the first applicant has the most distinct values (the costliest count): the analysis asks for it
    facet_names: tuple[str, ...] = ("type", "status", "year", "province", "ipc_class")

    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in (("region", self.region), ("industry", self.industry), ("type", self.patent_type),
                                  ("status", self.status), ("year_from", self.year_from),
                                  ("year_to", self.year_to)) if v not in (None, "")}


def search(conn: duckdb.DuckDBPyConnection, query: str | None, options: SearchOptions | None = None) -> dict[str, Any]:
    """Search the store's index; ``UsageError`` for a query that says nothing and no filter.

    Returns ``{query, total, hits, facets, notices, sort, filters, terms}``."""
    opts = options or SearchOptions()
    _check(opts)
    found = open_index(conn)
    parsed = parse(query)
    if parsed.node is None and parsed.paragraph is None and not opts.filters() and opts.only is None:
        raise UsageError("the query is empty: type words to look for, or choose a filter"
                         + (f" ({'; '.join(parsed.notices)})" if parsed.notices else ""))
    compiled_query, terms = _compiled(found, parsed)
    full = _with_filters(found.schema, compiled_query, opts)
    searcher = found.index.searcher()
    counting = _counting(found, searcher, full, query, opts) if opts.facets else None
    result = _run(searcher, full, opts, count=counting is None)
    hits = [_hit(searcher, score, address, terms) for score, address in result.hits[:opts.limit]]
    counts = counting.result() if counting else None
    total: int = result.count if counts is None else counts.total  # type: ignore[attr-defined]
    return {"query": query or "", "total": total, "hits": hits, "notices": parsed.notices,
            "sort": opts.sort, "filters": opts.filters(), "offset": opts.offset, "limit": opts.limit,
            "terms": sorted({t for ts in terms.values() for t in ts}), "facets": counts.facets if counts else {},
            "facets_approximate": list(counts.approximate) if counts else []}


KEPT_COUNTS = 256  # result sets whose total and facets are kept (the next page, another order: not counted again)
# the facet pass runs beside the hits' pass (tantivy lets go of the GIL): on two idle cores a search
# with facets takes about as long as one pass over its result set, not two
_COUNTING = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="search-counts")


@dataclass(frozen=True)
class Counts:
    """A result set's size and facet counts; ``approximate``: facets whose counts may be short."""

    total: int
    facets: dict[str, list[dict]]
    approximate: tuple[str, ...] = ()


def _counting(found: SearchIndex, searcher: tantivy.Searcher, query: tantivy.Query, text: str | None,
              opts: SearchOptions) -> Future[Counts]:
    """The result set's size and facet counts, in one pass over it on another thread (the hits' pass
    then counts nothing), kept per query and filters until the index changes."""
    key = (found.generation, text or "", tuple(sorted(opts.filters().items())), tuple(opts.only or ("-",)),
           opts.only is None, opts.facet_names)
    with _KEPT_LOCK:
        if key in found.kept:
            found.kept.move_to_end(key)
            kept: Future[Counts] = Future()
            kept.set_result(found.kept[key])
            return kept
    return _COUNTING.submit(_count_and_keep, found, key, searcher, query, opts.facet_names)


def _count_and_keep(found: SearchIndex, key: tuple, searcher: tantivy.Searcher, query: tantivy.Query,
                    names: tuple[str, ...]) -> Counts:
    counts = count_facets(searcher, query, names)
    with _KEPT_LOCK:
        found.kept[key] = counts
        while len(found.kept) > KEPT_COUNTS:
            found.kept.popitem(last=False)
    return counts


def _check(opts: SearchOptions) -> None:
    if opts.sort not in SORTS:
        raise UsageError(f"sort {opts.sort!r}: choose one of {', '.join(SORTS)}")
    if not 0 <= opts.limit <= MAX_LIMIT:
        raise UsageError(f"limit {opts.limit}: between 0 and {MAX_LIMIT}")
    if not 0 <= opts.offset <= MAX_OFFSET:
        raise UsageError(f"offset {opts.offset}: between 0 and {MAX_OFFSET:,}")


def _compiled(found: SearchIndex, parsed: Parsed) -> tuple[tantivy.Query, dict[str, set[str]]]:
    compiler = Compiler(found.schema)
    if parsed.paragraph is not None:
        return paragraph_query(compiler, parsed.paragraph)
    if parsed.node is None:
        return tantivy.Query.all_query(), {}
    compiled = compiler.compile(parsed.node)
    return compiled.query, compiled.terms


def paragraph_query(compiler: Compiler, text: str, top: int = PARAGRAPH_TERMS) -> tuple[tantivy.Query, dict]:
    """Any of the paragraph's key terms, each weighted by its TF-IDF weight (BM25 does the rest)."""
    terms = keywords(text, top)
    if not terms:
        return tantivy.Query.empty_query(), {}
    shoulds = [(Occur.Should, tantivy.Query.boost_query(compiler.text(word, False, _ZH, _EN), weight))
               for word, weight in terms]
    return tantivy.Query.boolean_query(shoulds), compiler.terms


_ZH = {"title": 2.0, "abstract": 1.0, "claims": 0.5}
_EN = {"title_en": 2.0, "abstract_en": 1.0}


def _with_filters(schema: tantivy.Schema, query: tantivy.Query, opts: SearchOptions) -> tantivy.Query:
    """The query, narrowed by each filter (filters do not change the scores)."""
    narrowing = []
    for name, value in (("region", opts.region), ("sei", opts.industry), ("type", opts.patent_type),
                        ("status", opts.status)):
        if value:
            narrowing.append(tantivy.Query.term_query(schema, name, str(value)))
    if opts.year_from or opts.year_to:
        low, high = opts.year_from, opts.year_to
        if low and high and low > high:
            low, high = high, low
        narrowing.append(tantivy.Query.range_query(schema, "filed_year", tantivy.FieldType.Integer, low, high))
    if opts.only is not None:
        narrowing.append(tantivy.Query.term_set_query(schema, "an", list(opts.only)) if opts.only
                         else tantivy.Query.empty_query())
    if not narrowing:
        return query
    return tantivy.Query.boolean_query([(Occur.Must, query)] + [
        (Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in narrowing])


def _run(searcher: tantivy.Searcher, query: tantivy.Query, opts: SearchOptions, *,
         count: bool = True) -> tantivy.SearchResult:
    """The page's hits (at least one asked for: tantivy refuses a limit of 0; the caller keeps ``limit``)."""
    limit = max(opts.limit, 1)
    if opts.sort == "relevance":
        return searcher.search(query, limit, count=count, offset=opts.offset)
    field_name = {"cited": "cited_by", "value": "value"}.get(opts.sort, "filed")
    order = tantivy.Order.Asc if opts.sort == "date_asc" else tantivy.Order.Desc
    return searcher.search(query, limit, count=count, offset=opts.offset, order_by_field=field_name, order=order)


def _hit(searcher: tantivy.Searcher, key: Any, address: tantivy.DocAddress,
         terms: dict[str, set[str]]) -> dict[str, Any]:
    first = shown(searcher.doc(address))
    words = {t for ts in terms.values() for t in ts}
    return {
        "application_number": first["an"],
        "title": first["show_title"],
        "title_en": first["show_title_en"] or None,
        "applicants": first["show_applicants"],
        "filing_date": first["filed"] or None,
        "score": round(key, 4) if isinstance(key, float) else None,
        "title_html": highlight(first["show_title"], words, whole=True),
        "snippet_html": highlight(first["show_abstract"], words),
    }


def highlight(text: str, words: set[str], *, whole: bool = False, width: int = 160) -> str:
    """The text (escaped) with the query's words in ``<mark>``; a window of ``width`` characters
    around the first match unless ``whole``."""
    found = [w for w in words if w and len(w) > 1 or (w and not w.isascii())]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(found, key=len, reverse=True)), re.IGNORECASE) \
        if found else None
    start = 0
    if pattern and not whole:
        first = pattern.search(text)
        start = max(0, first.start() - width // 4) if first else 0
    piece = text if whole else text[start:start + width]
    marked = pattern.sub(lambda m: "\0" + m.group(0) + "\1", piece) if pattern else piece
    escaped = html.escape(marked).replace("\0", "<mark>").replace("\1", "</mark>")
    return ("…" if start else "") + escaped + ("…" if not whole and start + width < len(text) else "")


def facet_counts(searcher: tantivy.Searcher, query: tantivy.Query, names: tuple[str, ...] = tuple(FACETS),
                 size: int = 10) -> dict[str, list[dict]]:
    """Counts of the matching patents by type, status, filing year, province, IPC subclass, applicant."""
    return count_facets(searcher, query, names, size).facets


def count_facets(searcher: tantivy.Searcher, query: tantivy.Query, names: tuple[str, ...] = tuple(FACETS),
                 size: int = 10) -> Counts:
    """How many patents match, and ``facet_counts``, in one pass (every document has a filing year)."""
    spec: dict[str, Any] = {name: {"terms": facet_terms(name, size)} for name in names}
    spec["_total"] = {"value_count": {"field": "filed_year"}}
    raw = searcher.aggregate(query, spec)
    return Counts(int(raw["_total"]["value"] or 0), {name: _buckets(name, raw.get(name, {}), size) for name in names},
                  tuple(name for name in names if raw.get(name, {}).get("doc_count_error_upper_bound")))


def facet_terms(name: str, size: int = 10) -> dict[str, Any]:
    """The terms aggregation of a facet: the top ``size`` values (every year; one more, as the empty
    value is left out) out of each segment's counts of its top ``SEGMENT_SIZE`` values."""
    return {"field": FACETS[name], "size": 100 if name == "year" else size + 1, "segment_size": SEGMENT_SIZE}


def _buckets(name: str, raw: dict[str, Any], size: int) -> list[dict]:
    """A facet's values and counts, the empty value left out; every year in order, the top ``size`` of
    the rest by count."""
    buckets = [{"value": b["key"], "count": b["doc_count"]} for b in raw.get("buckets", []) if b["key"] not in ("", 0)]
    return sorted(buckets, key=lambda b: b["value"]) if name == "year" else buckets[:size]
