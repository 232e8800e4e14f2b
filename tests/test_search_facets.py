"""Facet counts: every facet of a result set equals DuckDB's count of the same patents, and counts
stay exact when a value's patents lie in several index segments."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest
import tantivy
from fastapi.testclient import TestClient

from patentatlas.search import SearchOptions, engine, search
from patentatlas.search.documents import ipc_terms
from patentatlas.search.engine import FACETS, count_facets
from patentatlas.search.index import _new_index
from patentatlas.web.app import create_app
from tests import search_support
from tests.search_support import copy_with_index

indexed_db, indexed = search_support.indexed_db, search_support.indexed  # the shared fixtures

# each facet as the store holds it (the index's field is built from these columns)
STORE_VALUES = {"type": "patent_type", "status": "status", "year": "year(filing_date)",
                "province": "first_applicant_province_code", "ipc_class": "ipc_main",
                "applicant": "applicant_names[1]"}


def store_counts(conn: duckdb.DuckDBPyConnection, numbers: set[str] | None, where: str = "true") -> dict[str, Counter]:
    """Counts by each facet's store value of the given patents (all of them, narrowed by ``where``)."""
    rows = conn.execute(f"SELECT application_number, {', '.join(STORE_VALUES.values())} FROM patents "
                        f"WHERE {where}").fetchall()
    counts: dict[str, Counter] = {name: Counter() for name in STORE_VALUES}
    for an, *values in rows:
        if numbers is not None and an not in numbers:
            continue
        for name, value in zip(STORE_VALUES, values, strict=True):
            if name == "ipc_class":
                levels = ipc_terms(value)
                value = levels[2] if len(levels) > 2 else (levels[0] if levels else None)
            if value not in (None, ""):
                counts[name][value] += 1
    return counts


def assert_facets_match(facets: dict[str, list[dict]], expected: dict[str, Counter]) -> None:
    """Every year counted; for the rest the top 10 by count (ties in any order), each count exact."""
    assert {b["value"]: b["count"] for b in facets["year"]} == dict(expected["year"])
    for name in ("type", "status", "province", "ipc_class", "applicant"):
        shown = {b["value"]: b["count"] for b in facets[name]}
        assert shown == {v: expected[name][v] for v in shown}, name
        assert sorted(shown.values(), reverse=True) == sorted(expected[name].values(), reverse=True)[:10], name


def every_match(conn: duckdb.DuckDBPyConnection, query: str, options: SearchOptions) -> set[str]:
    """The result set's patents, page by page."""
    found: set[str] = set()
    while True:
        page = search(conn, query, SearchOptions(**{**vars(options), "limit": 1_000, "offset": len(found),
                                                    "facets": False}))["hits"]
        found |= {h["application_number"] for h in page}
        if len(page) < 1_000:
            return found


@pytest.mark.parametrize("query, options, where", [
    (None, SearchOptions(patent_type="invention"), "patent_type = 'invention'"),
    (None, SearchOptions(status="in_force", year_from=2015, year_to=2020),
     "status = 'in_force' AND year(filing_date) BETWEEN 2015 AND 2020"),
    ("title:手术", SearchOptions(), "true"),
    ("车辆 OR 图像", SearchOptions(patent_type="invention"), "true"),
])
def test_facets_equal_the_stores_counts(indexed: duckdb.DuckDBPyConnection, query: str | None,
                                        options: SearchOptions, where: str) -> None:
    options.facet_names = tuple(FACETS)
    result = search(indexed, query, options)
    numbers = every_match(indexed, query, options) if query else None
    assert numbers is None or len(numbers) == result["total"]
    expected = store_counts(indexed, numbers, where)
    assert result["total"] == sum(expected["type"].values())
    assert_facets_match(result["facets"], expected)
    assert result["facets_approximate"] == []


def test_the_demo_stores_whole_counts(indexed: duckdb.DuckDBPyConnection) -> None:
    """All patents (a filter every patent passes): the figures the region office sees first."""
    result = search(indexed, None, SearchOptions(year_from=1900, limit=0, facet_names=tuple(FACETS)))
    assert result["hits"] == []  # a page of none: counts only (tantivy itself refuses a limit of 0)
    assert result["total"] == indexed.execute("SELECT count(*) FROM patents").fetchone()[0] == 15_149
    assert_facets_match(result["facets"], store_counts(indexed, None))


def _two_segment_index() -> tantivy.Index:
    """Subclass X is rare in the first segment among 300 subclasses of 2 patents each, and common in
    the second: a count from each segment's top 100 only would miss the first segment's X."""
    index = _new_index(None)
    writer = index.writer(50_000_000, 1)
    first = [("A01X", 1)] + [(f"B{i:02d}{chr(65 + j)}", 2) for i in range(30) for j in range(10)]
    second = [("A01X", 50), ("C01A", 49)]
    for batch in (first, second):
        for ipc_class, copies in batch:
            for _ in range(copies):
                writer.add_document(tantivy.Document(ipc_class=[ipc_class], filed_year=[2020]))
        writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


def test_counts_are_exact_across_segments() -> None:
    searcher = _two_segment_index().searcher()
    assert searcher.num_segments == 2
    counts = count_facets(searcher, tantivy.Query.all_query(), ("ipc_class", "year"))
    assert counts.facets["ipc_class"][:2] == [{"value": "A01X", "count": 51}, {"value": "C01A", "count": 49}]
    assert counts.total == 1 + 600 + 99
    assert counts.approximate == ()


def test_a_facet_whose_counts_may_be_short_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "SEGMENT_SIZE", 110)  # tantivy's own default for 10 values
    counts = count_facets(_two_segment_index().searcher(), tantivy.Query.all_query(), ("ipc_class", "year"))
    assert counts.facets["ipc_class"][0] == {"value": "A01X", "count": 50}  # the first segment's one missed
    assert counts.approximate == ("ipc_class",)


def test_the_page_says_when_applicant_counts_are_approximate(indexed_db: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(copy_with_index(indexed_db, tmp_path))
    try:
        with TestClient(app) as client:
            exact = client.get("/search", params={"q": "车辆"}).text
            assert "facet-approximate" not in exact
            monkeypatch.setattr(engine, "SEGMENT_SIZE", 20)  # fewer than the set's first applicants
            data = client.get("/api/search/analysis", params={"q": "车辆 OR 图像"}).json()
            assert data["approximate"] == ["ipc_class", "applicant"]
            for lang, words in (("zh", "约数：取值过多"), ("en", "approximate: too many values")):
                page = client.get("/search", params={"q": "车辆 OR 图像", "lang": lang}).text
                assert page.count("facet-approximate") == 3 and words in page  # two facets, the applicants' chart
    finally:
        app.state.conn.close()
