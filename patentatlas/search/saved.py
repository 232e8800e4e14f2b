"""Saved searches: a signed-in user keeps a query; each import's new patents that it matches are
recorded (``saved_search_matches``) and become warnings of the user's enterprise (rule
``saved_search`` in :mod:`patentatlas.domain.warnings`).

>>> sid = save_search(conn, user_id=3, name="内窥镜", query="title:内窥镜", filters={})  # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from patentatlas.errors import NotFoundError, UsageError
from patentatlas.search.engine import SearchOptions, search
from patentatlas.search.query import parse
from patentatlas.store import transaction, utc_now

FILTER_KEYS = ("region", "industry", "type", "status", "year_from", "year_to")
MAX_PER_USER = 100


def options_from(filters: dict[str, Any]) -> SearchOptions:
    """The search options a saved filter dict stands for."""
    def year(name: str) -> int | None:
        value = filters.get(name)
        if value in (None, ""):
            return None
        if not str(value).isdigit() or not 1900 <= int(value) <= 2100:
            raise UsageError(f"{name}: a year from 1900 to 2100, got {str(value)[:20]!r}")
        return int(value)

    for name in ("region", "industry", "type", "status"):
        if not isinstance(filters.get(name) or "", str):
            raise UsageError(f"{name}: expected text")

    return SearchOptions(region=filters.get("region") or None, industry=filters.get("industry") or None,
                         patent_type=filters.get("type") or None, status=filters.get("status") or None,
                         year_from=year("year_from"), year_to=year("year_to"))


def save_search(conn: duckdb.DuckDBPyConnection, user_id: int, name: str, query: str,
                filters: dict[str, Any]) -> int:
    """Keep a query for ``user_id``; its matches start with the next import."""
    kept = {k: filters[k] for k in FILTER_KEYS if filters.get(k) not in (None, "")}
    parsed = parse(query)
    if parsed.node is None and not kept:
        raise UsageError("a saved search needs words to look for or a filter")
    options_from(kept)  # a year that is no number is refused here, not at the next import
    count = conn.execute("SELECT count(*) FROM saved_searches WHERE user_id = ?", [user_id]).fetchone()[0]  # type: ignore[index]
    if count >= MAX_PER_USER:
        raise UsageError(f"you have {MAX_PER_USER} saved searches: delete one first")
    row = conn.execute("INSERT INTO saved_searches (user_id, name, query, filters, created_at) "
                       "VALUES (?, ?, ?, ?, ?) RETURNING saved_search_id",
                       [user_id, (name or query or "search")[:200], query[:2000], json.dumps(kept, ensure_ascii=False),
                        utc_now()]).fetchone()
    return int(row[0])  # type: ignore[index]


def saved_searches(conn: duckdb.DuckDBPyConnection, user_id: int) -> list[dict[str, Any]]:
    """The user's saved searches with how many new patents each matched."""
    rows = conn.execute(
        "SELECT s.saved_search_id, s.name, s.query, s.filters, s.created_at, count(m.application_number) "
        "FROM saved_searches s LEFT JOIN saved_search_matches m USING (saved_search_id) "
        "WHERE s.user_id = ? GROUP BY ALL ORDER BY s.saved_search_id", [user_id]).fetchall()
    return [{"id": r[0], "name": r[1], "query": r[2], "filters": json.loads(r[3]), "created_at": r[4],
             "new_matches": r[5]} for r in rows]


def delete_saved_search(conn: duckdb.DuckDBPyConnection, user_id: int, saved_search_id: int) -> None:
    with transaction(conn):
        gone = conn.execute("DELETE FROM saved_searches WHERE saved_search_id = ? AND user_id = ? RETURNING 1",
                            [saved_search_id, user_id]).fetchall()
        if not gone:
            raise NotFoundError(f"saved search {saved_search_id} is not one of yours")
        conn.execute("DELETE FROM saved_search_matches WHERE saved_search_id = ?", [saved_search_id])


def match_saved_searches(conn: duckdb.DuckDBPyConnection, batch_ids: list[int], *, indexed: bool = True) -> int:
    """Record the patents first imported in ``batch_ids`` that each saved search matches; return how many."""
    if not batch_ids:
        return 0
    searches = conn.execute("SELECT saved_search_id, query, filters FROM saved_searches").fetchall()
    if not searches:
        return 0
    marks = ", ".join("?" for _ in batch_ids)
    fresh = [r[0] for r in conn.execute(f"SELECT application_number FROM patents WHERE first_batch_id IN ({marks})",
                                        list(batch_ids)).fetchall()]
    if not fresh:
        return 0
    made = 0
    at = utc_now()
    for sid, query, filters in searches:
        options = options_from(json.loads(filters))
        options.only, options.limit, options.facets = fresh, 1_000, False
        try:
            hits = search(conn, query, options)["hits"]
        except UsageError:
            continue  # a query that no longer reads (it was checked when saved): nothing to match
        rows = [(sid, h["application_number"], max(batch_ids), at) for h in hits]
        if rows:
            conn.executemany("INSERT INTO saved_search_matches VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
            made += len(rows)
    return made


# The warning rule's query (run by domain.warnings with the watch rules, counted with them): each
# recorded match of a saved search by an enterprise user becomes one warning of that enterprise,
# unless the patent is already in its custody. Its facts name the search, its query and filters.
SAVED_SEARCH_WARNINGS = """
INSERT INTO alert_candidates
SELECT format('saved_search:{}:{}:{}', u.enterprise_id, s.saved_search_id, m.application_number), u.enterprise_id,
       m.application_number, 'watch', 'info',
       json_object('rule', 'saved_search', 'as_of', $as_of, 'application_number', m.application_number,
                   'saved_search_id', s.saved_search_id, 'saved_search', s.name, 'query', s.query,
                   'filters', s.filters, 'saved_by', u.email, 'batch_id', m.batch_id, 'matched_at', m.matched_at,
                   'applicants', p.applicant_names, 'filing_date', p.filing_date)
FROM saved_search_matches m JOIN saved_searches s USING (saved_search_id) JOIN users u ON u.user_id = s.user_id
JOIN patents p ON p.application_number = m.application_number
WHERE u.enterprise_id IS NOT NULL AND u.active
  AND NOT EXISTS (SELECT 1 FROM custody c
                  WHERE c.enterprise_id = u.enterprise_id AND c.application_number = m.application_number)
"""
