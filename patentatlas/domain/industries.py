"""Industries of the stored patents: the SEI tree with counts, and specialty industry databases.

Every patent's strategic emerging industries (``sei_codes``, ``sei_judged``) and the
national-economy industries derived from them (``nic_codes``) are filled at import from its IPC
codes (:mod:`patentatlas.reference.sei`); :func:`recompute_industries` fills them again for the
whole store when the concordance changes.

A specialty industry database (特色产业库, e.g. 制笔 pens, 内窥镜 endoscopes) is an office's own
definition — IPC codes, keywords, applicants — stored with a new version at every change; its
members are the patents matching the latest version, recomputed after every import.

>>> define_specialty(conn, "vr", "虚拟现实", keywords=["虚拟现实"])["members"]  # doctest: +SKIP
7803
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.analytics.summaries import mark_summaries_stale
from patentatlas.domain.high_value import (
    date_params,
    facts_from,
    has_status_changes,
    named_params,
    statistics_dates,
)
from patentatlas.domain.indicators import resolve_region
from patentatlas.errors import FieldError, NotFoundError, UsageError
from patentatlas.i18n import message
from patentatlas.normalize.ipc import canonical_ipc
from patentatlas.normalize.names import normalize_name
from patentatlas.reference.sei import industries_of, sei_industries
from patentatlas.rules import load_counting_rules, load_rule_set
from patentatlas.search.freshness import mark_index_stale
from patentatlas.store import transaction

NOT_JUDGED_NOTE = ("Industries come from the 2021 IPC concordance, which has no H01L/H10 codes: patents with "
                   "no IPC code, or with H01L/H10 codes and no industry from their other codes, are counted as "
                   "not judged, not as non-SEI.")
TOP_APPLICANTS = 10


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --------------------------------------------------------------------------- industries of patents


def recompute_industries(conn: duckdb.DuckDBPyConnection) -> int:
    """Derive ``sei_codes``, ``sei_judged`` and ``sei_basis`` again for every stored patent (after
    the concordance changed, or for patents stored before industries existed); returns how many changed.

    Works per distinct classification (far fewer than patents), joined back in one UPDATE.

    >>> recompute_industries(conn)  # doctest: +SKIP
    0
    """
    strings = pa.list_(pa.string())
    distinct = conn.execute(_DISTINCT_SQL).fetchall()
    derived = [industries_of(tuple(codes), main, tuple(labels)) for codes, main, labels in distinct]
    table = pa.table({"ipc_codes": pa.array([d[0] for d in distinct], strings),
                      "ipc_main": pa.array([d[1] for d in distinct], pa.string()),
                      "labels": pa.array([d[2] for d in distinct], strings),
                      "sei_codes": pa.array([d[0] for d in derived], strings),
                      "sei_judged": pa.array([d[1] for d in derived], pa.bool_()),
                      "sei_basis": pa.array([d[2] for d in derived], pa.string())})
    with transaction(conn):
        conn.register("derived_industries", table)
        try:
            rows = conn.execute(_RECOMPUTE_SQL).fetchall()
            if rows and rows[0][0]:  # the summaries count by industry: read the patents until a refresh
                mark_summaries_stale(conn)
                mark_index_stale(conn)  # and the search index filters by it
        finally:
            conn.unregister("derived_industries")
    return int(rows[0][0]) if rows else 0


# the main IPC and the source's labels matter only where the fuller classification is missing
_DISTINCT_SQL = """SELECT DISTINCT coalesce(ipc_codes, []),
  CASE WHEN len(coalesce(ipc_codes, [])) = 0 THEN ipc_main END,
  CASE WHEN len(coalesce(ipc_codes, [])) = 0 AND ipc_main IS NULL THEN coalesce(source_sei_labels, []) ELSE [] END
FROM patents"""
_RECOMPUTE_SQL = """
UPDATE patents SET sei_codes = d.sei_codes, sei_judged = d.sei_judged, sei_basis = d.sei_basis
FROM derived_industries d
WHERE coalesce(patents.ipc_codes, []) = d.ipc_codes
  AND (CASE WHEN len(coalesce(patents.ipc_codes, [])) = 0 THEN patents.ipc_main END) IS NOT DISTINCT FROM d.ipc_main
  AND (CASE WHEN len(coalesce(patents.ipc_codes, [])) = 0 AND patents.ipc_main IS NULL
       THEN coalesce(patents.source_sei_labels, []) ELSE [] END) = d.labels
  AND (patents.sei_codes IS DISTINCT FROM d.sei_codes OR patents.sei_judged IS DISTINCT FROM d.sei_judged
       OR patents.sei_basis IS DISTINCT FROM d.sei_basis)
"""


def _scope(conn: duckdb.DuckDBPyConnection, region_code: str | None) -> tuple[str, dict[str, Any] | None]:
    """The SQL condition for the patents of a region (its first applicant's, at any level)."""
    if region_code is None or str(region_code).strip() == "":
        return "TRUE", None
    region = resolve_region(conn, str(region_code))
    if region["level"] == "country":
        return "p.first_applicant_country = 'CN'", region
    columns = ("first_applicant_province_code", "first_applicant_city_code", "first_applicant_county_code",
               "first_applicant_region_code")
    return "$region IN (" + ", ".join(f"p.{c}" for c in columns) + ")", region


_TREE_SQL = """
WITH f AS {facts},
m AS (SELECT application_number, valid, unnest(sei_codes) AS code FROM f)
SELECT code, count(DISTINCT application_number), count(DISTINCT application_number) FILTER (WHERE valid)
FROM m GROUP BY code
UNION ALL
SELECT split_part(code, '.', 1), count(DISTINCT application_number),
       count(DISTINCT application_number) FILTER (WHERE valid)
FROM m GROUP BY 1
"""
_TOTALS_SQL = """
SELECT count(*), count(*) FILTER (WHERE NOT coalesce(sei_judged, FALSE)),
       count(*) FILTER (WHERE sei_judged AND len(sei_codes) = 0), count(*) FILTER (WHERE len(sei_codes) > 0),
       count(*) FILTER (WHERE valid), count(*) FILTER (WHERE valid AND len(sei_codes) > 0),
       count(*) FILTER (WHERE sei_basis = 'main_ipc'), count(*) FILTER (WHERE sei_basis = 'source_label')
FROM {facts}
"""


def sei_tree(conn: duckdb.DuckDBPyConnection, region_code: str | None = None,
             as_of: str | dt.date | None = None) -> dict[str, Any]:
    """The SEI tree with, per node, the patents filed by ``as_of`` (default the store's data date)
    and the valid inventions on that date, of a region's first applicants (default all patents).

    A patent in several industries counts once in each, and once in a first-level industry.

    >>> sei_tree(conn, "330000")["industries"][0]["code"]  # doctest: +SKIP
    '1'
    """
    where, region = _scope(conn, region_code)
    date, data_date = statistics_dates(conn, as_of)
    rules, hv = load_counting_rules(conn), load_rule_set(conn, "high_value")
    # "valid" exactly as the indicators count it (patentatlas.domain.high_value)
    facts = facts_from(rules, hv, f"{where} AND p.filing_date <= $as_of",
                       "p.application_number, p.sei_codes, p.sei_judged, p.sei_basis", has_status_changes(conn),
                       ("valid",))
    params = {"region": region["code"] if region else None, **date_params(date, data_date, rules, hv)}
    tree_sql, totals_sql = _TREE_SQL.format(facts=facts), _TOTALS_SQL.format(facts=facts)
    rows = conn.execute(tree_sql, named_params(tree_sql, params)).fetchall()
    counts = {code: (n, valid) for code, n, valid in rows}
    totals = conn.execute(totals_sql, named_params(totals_sql, params)).fetchone() or (0,) * 8
    return {
        "region": {k: region[k] for k in ("code", "name", "level")} if region else None,
        "as_of": date.isoformat(), "data_date": data_date.isoformat(),
        **dict(zip(("patents", "not_judged", "judged_not_sei", "sei_patents", "valid_inventions",
                    "sei_valid_inventions", "classified_from_main_ipc", "classified_from_source_label"),
                    totals, strict=True)),
        "industries": _tree_nodes(counts),
        "note": NOT_JUDGED_NOTE,
    }


def _tree_nodes(counts: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    """The first-level industries, each with its second-level children, with their counts."""
    nodes: dict[str, dict[str, Any]] = {}
    roots = []
    for industry in sei_industries():
        patents, valid = counts.get(industry.code, (0, 0))
        node = {"code": industry.code, "name": industry.name, "level": industry.level,
                "patents": patents, "valid_inventions": valid}
        nodes[industry.code] = node
        if industry.parent_code:
            nodes[industry.parent_code].setdefault("children", []).append(node)
        else:
            roots.append(node)
    return roots


_AGREEMENT_SQL = r"""
WITH t AS (
    SELECT p.sei_judged AS judged, p.sei_codes AS ours,
           list_filter(list_distinct(list_transform(p.source_sei_labels,
               lambda l: regexp_extract(l, '^\s*(\d+(?:\.\d+)*)', 1))), lambda c: c <> '') AS theirs
    FROM patents p JOIN import_batches b ON b.batch_id = p.last_batch_id
    WHERE p.country = 'CN' AND len(p.source_sei_labels) > 0 AND ($file IS NULL OR contains(b.file, $file))
)
SELECT count(*), count(*) FILTER (WHERE NOT coalesce(judged, FALSE)),
       count(*) FILTER (WHERE judged AND list_sort(ours) = list_sort(theirs)),
       count(*) FILTER (WHERE judged AND len(list_intersect(ours, theirs)) > 0)
FROM t
"""


def source_agreement(conn: duckdb.DuckDBPyConnection, file_contains: str | None = None) -> dict[str, Any]:
    """How often our SEI codes agree with the source's own SEI label (incoPat's 新兴产业分类), over
    the CN patents that carry a label (last imported from a file whose path contains
    ``file_contains``): ``equal`` — the same set of codes; ``overlap`` — at least one in common;
    shares are over the patents we could judge.

    >>> source_agreement(conn, "toyota")["overlap_share"]  # doctest: +SKIP
    0.956
    """
    labelled, not_judged, equal, overlap = conn.execute(_AGREEMENT_SQL, {"file": file_contains}).fetchone() or (0,) * 4
    judged = labelled - not_judged
    return {"labelled": labelled, "not_judged": not_judged, "judged": judged, "equal": equal, "overlap": overlap,
            "equal_share": round(equal / judged, 4) if judged else None,
            "overlap_share": round(overlap / judged, 4) if judged else None}


# --------------------------------------------------------------------------- specialty databases


def _clean_list(values: Sequence[str] | None) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values or () if v and v.strip()))


def _checked_definition(db_id: str, name: str, ipc_codes: Sequence[str] | None, keywords: Sequence[str] | None,
                        applicants: Sequence[str] | None) -> dict[str, Any]:
    """The definition cleaned and checked; a :class:`UsageError` saying what is wrong otherwise."""
    db_id, name = (db_id or "").strip(), (name or "").strip()
    if not db_id or any(c.isspace() for c in db_id) or len(db_id) > 64:
        raise UsageError(message("err_specialty_id", db_id=repr(db_id)), field="db_id")
    if not name:
        raise UsageError(message("err_specialty_name", db_id=db_id, example="制笔产业"), field="name")
    codes = []
    for raw in _clean_list(ipc_codes):
        try:
            codes.append(canonical_ipc(raw, "ipc"))
        except FieldError:
            raise UsageError(message("err_specialty_ipc", db_id=db_id, code=repr(raw)), field="ipc_codes") from None
    definition = {"db_id": db_id, "name": name, "ipc_codes": list(dict.fromkeys(codes)),
                  "keywords": _clean_list(keywords), "applicants": _clean_list(applicants)}
    if not (definition["ipc_codes"] or definition["keywords"] or definition["applicants"]):
        raise UsageError(message("err_specialty_empty", db_id=db_id), field="ipc_codes")
    return definition


def define_specialty(conn: duckdb.DuckDBPyConnection, db_id: str, name: str,
                     ipc_codes: Sequence[str] | None = None, keywords: Sequence[str] | None = None,
                     applicants: Sequence[str] | None = None) -> dict[str, Any]:
    """Store a new version of a specialty database and compute its members; returns it as
    :func:`specialty_definition` does.

    >>> define_specialty(conn, "pens", "制笔", ipc_codes=["B43K"])["version"]  # doctest: +SKIP
    1
    """
    d = _checked_definition(db_id, name, ipc_codes, keywords, applicants)
    with transaction(conn):
        rows = conn.execute("SELECT coalesce(max(version), 0) + 1 FROM specialty_databases WHERE db_id = ?",
                            [d["db_id"]]).fetchall()
        version = int(rows[0][0])
        conn.execute("INSERT INTO specialty_databases (db_id, version, name, ipc_codes, keywords, applicants) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     [d["db_id"], version, d["name"], d["ipc_codes"], d["keywords"], d["applicants"]])
        _compute_members(conn, {**d, "version": version})
    return specialty_definition(conn, d["db_id"])


def _latest_definitions(conn: duckdb.DuckDBPyConnection, db_id: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT db_id, version, name, ipc_codes, keywords, applicants, created_at FROM specialty_databases "
           "WHERE ($db IS NULL OR db_id = $db) QUALIFY version = max(version) OVER (PARTITION BY db_id) "
           "ORDER BY db_id")
    return _dicts(conn.execute(sql, {"db": db_id}))


def ipc_prefix(code: str) -> str:
    """The prefix a definition's IPC code matches: a main group covers its subgroups.

    >>> ipc_prefix("A61B1/00"), ipc_prefix("A61B1/04"), ipc_prefix("B43K")
    ('A61B1/', 'A61B1/04', 'B43K')
    """
    return code[:-2] if code.endswith("/00") else code


_MEMBERS_SQL = """
INSERT INTO specialty_members (db_id, version, application_number, matched_by)
SELECT $db, $version, application_number, string_agg(DISTINCT how, ',' ORDER BY how)
FROM (
    SELECT c.application_number, 'ipc' AS how
    FROM (SELECT application_number, unnest(ipc_codes) AS code FROM patents) c,
         (SELECT unnest($prefixes::VARCHAR[]) AS prefix) q
    WHERE starts_with(c.code, q.prefix)
    UNION ALL
    SELECT p.application_number, 'keyword'
    FROM patents p, (SELECT lower(unnest($keywords::VARCHAR[])) AS word) k
    WHERE contains(lower(concat_ws(' ', p.title_zh, p.title_en, p.abstract_zh, p.abstract_en)), k.word)
    UNION ALL
    SELECT pp.application_number, 'applicant'
    FROM patent_parties pp JOIN parties pa USING (party_id)
    WHERE pp.role = 'applicant' AND pa.normalized_name IN (SELECT unnest($applicants::VARCHAR[]))
)
GROUP BY application_number
"""


def _compute_members(conn: duckdb.DuckDBPyConnection, definition: dict[str, Any]) -> None:
    """Replace a database's members by the patents matching this (its latest) version."""
    conn.execute("DELETE FROM specialty_members WHERE db_id = ?", [definition["db_id"]])
    conn.execute(_MEMBERS_SQL, {
        "db": definition["db_id"], "version": definition["version"],
        "prefixes": [ipc_prefix(c) for c in definition["ipc_codes"] or ()],
        "keywords": list(definition["keywords"] or ()),
        "applicants": [normalize_name(a) for a in definition["applicants"] or ()],
    })


def recompute_specialty(conn: duckdb.DuckDBPyConnection, db_id: str | None = None) -> dict[str, int]:
    """Recompute the members of every specialty database (or one), from its latest version;
    returns db_id → member count. Run after every import.

    >>> recompute_specialty(conn)  # doctest: +SKIP
    {'vr': 7805}
    """
    definitions = _latest_definitions(conn, db_id)
    if db_id is not None and not definitions:
        raise NotFoundError(message("err_no_specialty_define", db_id=repr(db_id)))
    if not definitions:
        return {}
    with transaction(conn):
        for definition in definitions:
            _compute_members(conn, definition)
    return {d["db_id"]: _member_count(conn, d["db_id"]) for d in definitions}


def _member_count(conn: duckdb.DuckDBPyConnection, db_id: str) -> int:
    rows = conn.execute("SELECT count(*) FROM specialty_members WHERE db_id = ?", [db_id]).fetchall()
    return int(rows[0][0])


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, dt.datetime) else value


def specialty_definition(conn: duckdb.DuckDBPyConnection, db_id: str) -> dict[str, Any]:
    """The latest version of a specialty database with its member count; NotFoundError if none."""
    definitions = _latest_definitions(conn, db_id)
    if not definitions:
        raise NotFoundError(message("err_no_specialty", db_id=repr(db_id)))
    d = definitions[0]
    return {**d, "created_at": _iso(d["created_at"]), "members": _member_count(conn, db_id)}


def list_specialties(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every specialty database: its latest version and member count."""
    return [{**d, "created_at": _iso(d["created_at"]), "members": _member_count(conn, d["db_id"])}
            for d in _latest_definitions(conn)]


def _counts(conn: duckdb.DuckDBPyConnection, db_id: str, expr: str, order: str = "k") -> dict[str, int]:
    sql = (f"SELECT {expr} AS k, count(*) AS n FROM specialty_members m JOIN patents p USING (application_number) "
           f"WHERE m.db_id = ? GROUP BY k ORDER BY {order}")
    return {str(k) if k is not None else "unknown": n for k, n in conn.execute(sql, [db_id]).fetchall()}


def _top_applicants(conn: duckdb.DuckDBPyConnection, db_id: str, limit: int) -> list[dict[str, Any]]:
    sql = ("SELECT pa.name, count(DISTINCT m.application_number) AS n FROM specialty_members m "
           "JOIN patent_parties pp USING (application_number) JOIN parties pa USING (party_id) "
           "WHERE m.db_id = ? AND pp.role = 'applicant' GROUP BY pa.party_id, pa.name ORDER BY n DESC, pa.name "
           "LIMIT ?")
    return [{"name": name, "patents": n} for name, n in conn.execute(sql, [db_id, limit]).fetchall()]


def specialty_dashboard(conn: duckdb.DuckDBPyConnection, db_id: str) -> dict[str, Any]:
    """A specialty database's definition and members: counts by filing year, type, status and
    matching criterion, and the top applicants.

    >>> specialty_dashboard(conn, "vr")["by_type"]  # doctest: +SKIP
    {'invention': 5295, 'utility_model': 2510}
    """
    dashboard = specialty_definition(conn, db_id)
    criteria = ("ipc", "keyword", "applicant")
    matched = _counts(conn, db_id, "unnest(string_split(m.matched_by, ','))")
    return {
        **dashboard,
        "by_year": _counts(conn, db_id, "year(p.filing_date)"),
        "by_type": _counts(conn, db_id, "p.patent_type"),
        "by_status": _counts(conn, db_id, "p.status"),
        "by_criterion": {c: matched.get(c, 0) for c in criteria},
        "top_applicants": _top_applicants(conn, db_id, TOP_APPLICANTS),
    }
