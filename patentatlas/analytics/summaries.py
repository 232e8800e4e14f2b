"""Summary tables: the indicators' counts, grouped so that a page reads a few thousand rows
instead of a region's patents. Built by SQL that DuckDB and Spark SQL both run
(:mod:`patentatlas.analytics.dialect`), from ``patents`` and the facts of
:func:`patentatlas.domain.high_value.facts_from` (the rules stay there and in ``rules/``).

- ``summary_facts``: region × industry × type × status × filing year × grant year × the facts
  (valid, high-value, each criterion…), a count of patents per row;
- ``summary_applicants``: region × industry × first applicant (as one enterprise) × filing year;
- ``summary_ipc``: region × industry × IPC subclass of the main IPC;
- ``summary_placement``: region × placement method × township method × placed to a county / a
  township × the first applicant as one enterprise (only where the patent is not placed to both:
  the placement panel lists those), every patent filed (the panel has no statistics date).

A row's region is the first applicant's province, city, county and finest code at once (each
patent counted once, as the indicators count); its industry is ``''`` (all) or a strategic
emerging industry code, every level of it (a patent of ``1.4.2`` is in ``1``, ``1.4`` and
``1.4.2``, as :data:`patentatlas.domain.indicators._INDUSTRY_SQL` matches them).

Summaries describe one statistics date, the store's data date (the date the pages use when none
is asked for), with the rule sets in force when they were built. ``summary_state`` says which,
with a fingerprint of the data (patents, the last import, status changes): a question about
another date, other rules or changed data is answered from the patents
(:func:`serves_summaries` says which).

>>> refresh_summaries(conn)["summary_facts"]  # doctest: +SKIP
2113
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import duckdb

from patentatlas.analytics.dialect import DUCKDB, Dialect
from patentatlas.domain.high_value import (
    CRITERIA,
    date_params,
    facts_from,
    has_status_changes,
    statistics_dates,
)
from patentatlas.errors import UsageError
from patentatlas.rules import load_counting_rules, load_rule_set
from patentatlas.store import transaction, utc_now

TABLES = ("summary_facts", "summary_applicants", "summary_ipc", "summary_placement")
# the summaries' region columns and what each holds (township_code: the finest code known)
REGION_SOURCES = {
    "country_cn": "p.first_applicant_country = 'CN'",
    "province_code": "p.first_applicant_province_code",
    "city_code": "p.first_applicant_city_code",
    "county_code": "p.first_applicant_county_code",
    "township_code": "p.first_applicant_region_code",
}
REGIONS = ", ".join(REGION_SOURCES)
FLAGS = ("invention", "valid", "high_value", "granted", "refused", "undated_grant", "undated_lapse",
         "unknown_status", "sei_from_main_ipc", *CRITERIA)
# the facts facts_from computes for the summaries (criteria are always kept)
FACT_NAMES = ("invention", "valid", "granted", "refused", "undated_grant", "undated_lapse", "unknown_status")
PLACEMENTS_JOIN = "LEFT JOIN placements pl ON pl.application_number = p.application_number"


@dataclass(frozen=True)
class Basis:
    """What a set of summaries describes: a statistics date, the data date and the rules."""

    as_of: dt.date
    data_date: dt.date
    rules: dict[str, Any]
    hv: dict[str, Any]
    evidence: bool  # whether status changes date grants and lapses (see high_value.facts_from)

    def params(self) -> dict[str, Any]:
        return date_params(self.as_of, self.data_date, self.rules, self.hv)

    def versions(self) -> tuple[int, int, int]:
        """The versions of the rule sets counted by: indicators, high value, annual fees (the term)."""
        return int(self.rules["version"]), int(self.hv["version"]), int(self.rules["annual_fees_version"])


def store_basis(conn: duckdb.DuckDBPyConnection) -> Basis:
    """The basis of the store's summaries: its data date, its rule sets."""
    as_of, data_date = statistics_dates(conn, None)
    return Basis(as_of, data_date, load_counting_rules(conn), load_rule_set(conn, "high_value"),
                 has_status_changes(conn))


# --------------------------------------------------------------------------- the shared SQL


# where each summary table reads its patents: the first applicant (a join with the placements, the
# costly part on a big store) only where it is counted
FACTS_VIEW = {"summary_facts": "summary_patents", "summary_ipc": "summary_patents",
              "summary_applicants": "summary_patent_applicants", "summary_placement": "summary_placed_patents"}
_ORDERS = {"summary_placement": "province_code, city_code, county_code, township_code, method"}  # else _ORDER


def patent_facts_sql(basis: Basis, d: Dialect = DUCKDB, *, applicants: bool = False) -> str:
    """One row per patent filed by the statistics date: its region, type, status, years, IPC
    subclass, industries and facts; with ``applicants``, its first applicant as one enterprise
    (``$`` parameters from :meth:`Basis.params`)."""
    first = d.first("p.applicant_names")
    named = [f"coalesce(pl.enterprise_name, {first}) AS applicant",
             f"coalesce(pl.enterprise_key, 'name:' || {first}) AS applicant_key"] if applicants else []
    columns = ", ".join([
        *(f"{sql} AS {name}" for name, sql in REGION_SOURCES.items()),
        "p.patent_type", "p.status", "year(p.filing_date) AS filing_year",
        "CASE WHEN p.grant_date <= $as_of THEN year(p.grant_date) END AS grant_year",
        *named, "left(p.ipc_main, 4) AS subclass", "p.sei_codes", "p.sei_basis",
    ])
    facts = facts_from(basis.rules, basis.hv, "p.filing_date <= $as_of", columns, basis.evidence, FACT_NAMES,
                       joins=PLACEMENTS_JOIN if applicants else "", dialect=d)
    flags = ", ".join("coalesce(valid AND sei_basis = 'main_ipc', FALSE) AS sei_from_main_ipc" if f ==
                      "sei_from_main_ipc" else f for f in FLAGS)
    return (f"SELECT {REGIONS}, patent_type, status, filing_year, grant_year, "
            f"{'applicant, applicant_key, ' if applicants else ''}subclass, sei_codes, {flags} FROM {facts} f")


def placement_facts_sql(d: Dialect = DUCKDB, where: str = "TRUE") -> str:
    """One row per patent (``where`` holds): its region, whether it is placed to a county and to a
    township, by which methods (:mod:`patentatlas.domain.placement`), and its first applicant as
    one enterprise where it is not placed to both (the placement panel lists only those)."""
    first = d.first("p.applicant_names")
    listed = "NOT county OR NOT township"
    return (f"SELECT {REGIONS}, county, township, method, township_method, "
            f"CASE WHEN {listed} THEN applicant_key END AS applicant_key, "
            f"CASE WHEN {listed} THEN applicant END AS applicant FROM (SELECT "
            f"{', '.join(f'{sql} AS {name}' for name, sql in REGION_SOURCES.items())}, "
            "p.first_applicant_county_code IS NOT NULL AS county, "
            "length(p.first_applicant_region_code) = 9 AS township, "
            "coalesce(pl.method, 'none') AS method, pl.township_method, "
            f"coalesce(pl.enterprise_key, 'name:' || {first}) AS applicant_key, "
            f"coalesce(pl.enterprise_name, {first}) AS applicant FROM patents p {PLACEMENTS_JOIN} WHERE {where}) f")


PLACEMENT_DIMS = (*REGION_SOURCES, "county", "township", "method", "township_method", "applicant_key")


def placement_summary_sql(source: str) -> str:
    """The patents of ``source`` (:func:`placement_facts_sql`) counted as ``summary_placement`` holds them."""
    dims = ", ".join(PLACEMENT_DIMS)
    return f"SELECT {dims}, min(applicant) AS applicant, count(*) AS patents FROM {source} GROUP BY {dims}"


def _prefix(parts: int) -> str:
    return " || '.' || ".join(f"split_part(code, '.', {i})" for i in range(1, parts + 1))


def industry_tags_sql(d: Dialect = DUCKDB) -> str:
    """Each distinct list of industry codes of the patents with every industry it falls in: the
    codes and their parents (``1.4.2``: ``1``, ``1.4``, ``1.4.2``)."""
    lists = "(SELECT DISTINCT sei_codes FROM patents) l"
    codes = f"SELECT sei_codes, {d.explode('sei_codes')} AS code FROM {lists}"
    levels = " UNION ALL ".join(
        f"SELECT sei_codes, {_prefix(n)} AS industry FROM codes" + (f" WHERE split_part(code, '.', {n}) <> ''"
                                                                    if n > 1 else "")
        for n in (1, 2, 3))
    return (f"WITH codes AS ({codes}) SELECT DISTINCT sei_codes, industry FROM ({levels}) t "
            "WHERE industry IS NOT NULL AND industry <> ''")


def _by_industry(source: str, dims: tuple[str, ...], sums: dict[str, str], where: str = "TRUE") -> str:
    """Group ``source`` by ``dims`` and its list of industry codes first (few rows), then count each
    group once for all industries (``''``) and once for each industry its list falls in."""
    keys, pre_keys = ", ".join(dims), ", ".join(f"pre.{k}" for k in dims)

    def again(prefix: str) -> str:  # the groups' figures added up again (the applicant's name: the least)
        return ", ".join(f"{'min' if name == 'applicant' else 'sum'}({prefix}{name}) AS {name}" for name in sums)

    pre = (f"SELECT {keys}, sei_codes, {', '.join(f'{sql} AS {name}' for name, sql in sums.items())} "
           f"FROM {source} WHERE {where} GROUP BY {keys}, sei_codes")
    return (f"WITH pre AS ({pre}) SELECT {keys}, '' AS industry, {again('')} FROM pre GROUP BY {keys} UNION ALL "
            f"SELECT {pre_keys}, t.industry, {again('pre.')} FROM pre "
            f"JOIN summary_industry_tags t ON t.sei_codes = pre.sei_codes GROUP BY {pre_keys}, t.industry")


def _count_if(condition: str) -> str:
    return f"count_if({condition})"


def summary_sql(table: str) -> str:
    """The query that fills one summary table from its view of the patents (:data:`FACTS_VIEW`)
    and ``summary_industry_tags`` (the same text for both engines)."""
    regions = tuple(REGION_SOURCES)
    if table == "summary_facts":
        dims = (*regions, "patent_type", "status", "filing_year", "grant_year", *FLAGS)
        return _by_industry(FACTS_VIEW[table], dims, {"patents": "count(*)"})
    if table == "summary_applicants":
        return _by_industry(FACTS_VIEW[table], (*regions, "applicant_key", "filing_year"),
                            {"applicant": "min(applicant)", "patents": "count(*)", "inventions": _count_if("invention"),
                             "valid": _count_if("valid"), "high_value": _count_if("high_value")},
                            "applicant IS NOT NULL")
    if table == "summary_ipc":
        return _by_industry(FACTS_VIEW[table], (*regions, "subclass"),
                            {"patents": "count(*)", "valid": _count_if("valid")}, "subclass IS NOT NULL")
    if table == "summary_placement":
        return placement_summary_sql(FACTS_VIEW[table])
    raise UsageError(f"no summary table named {table!r}: the tables are {', '.join(TABLES)}")


# --------------------------------------------------------------------------- the store's summaries

# the data the summaries were built from: a count of the patents, the last import that wrote one,
# a count of the status changes (an import, a re-import or a new status change moves one of them)
FINGERPRINT_SQL = ("SELECT (SELECT count(*) FROM patents), (SELECT max(last_batch_id) FROM patents), "
                   "(SELECT count(*) FROM status_changes)")
_ORDER = "province_code, city_code, county_code, township_code, industry"
_STATE = ("as_of", "data_date", "evidence", "indicators_version", "high_value_version", "annual_fees_version",
          "patents", "last_batch_id",
          "status_changes", "stale", "engine", "built_at", "seconds")


def fingerprint(conn: duckdb.DuckDBPyConnection) -> tuple[int, int | None, int]:
    """(patents, the last import batch that wrote one, status changes) of the store."""
    patents, batch, changes = conn.execute(FINGERPRINT_SQL).fetchall()[0]
    return int(patents), batch, int(changes)


def summary_state(conn: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """What the store's summaries describe (None: none built)."""
    try:
        rows = conn.execute(f"SELECT {', '.join(_STATE)} FROM summary_state").fetchall()
    except duckdb.CatalogException:  # a store from before the summaries' migration, opened read-only
        return None
    return dict(zip(_STATE, rows[0], strict=True)) if rows else None


def current_summaries(conn: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The summaries' state where they were built from the data the store holds now (not marked
    stale, the same fingerprint); None where there are none or the data changed since."""
    state = summary_state(conn)
    if state is None or state["stale"]:
        return None
    if (state["patents"], state["last_batch_id"], state["status_changes"]) != fingerprint(conn):
        return None
    return state


def describes(state: dict[str, Any] | None, basis: Basis) -> bool:
    """Whether summaries in ``state`` (:func:`current_summaries`) answer a question on ``basis``:
    the same statistics and data date, the same rule versions. Anything else (another statistics
    date, for one) is answered from the patents."""
    if state is None:
        return False
    built_on = (state["as_of"], state["data_date"], state["evidence"],
                (state["indicators_version"], state["high_value_version"], state["annual_fees_version"]))
    return built_on == (basis.as_of, basis.data_date, basis.evidence, basis.versions())


def serves_summaries(conn: duckdb.DuckDBPyConnection, basis: Basis) -> bool:
    """Whether the store's summaries answer a question on ``basis`` (see :func:`describes`)."""
    return describes(current_summaries(conn), basis)


def mark_summaries_stale(conn: duckdb.DuckDBPyConnection) -> None:
    """The patents' regions, enterprises or industries changed: read the patents until a refresh."""
    conn.execute("UPDATE summary_state SET stale = true WHERE NOT stale")


def write_state(conn: duckdb.DuckDBPyConnection, basis: Basis, data: tuple[int, int | None, int], engine: str,
                seconds: float | None) -> None:
    """Record what the summaries now in the store describe (inside the caller's transaction)."""
    conn.execute("DELETE FROM summary_state")
    conn.execute(f"INSERT INTO summary_state ({', '.join(_STATE)}) VALUES ({', '.join('?' * len(_STATE))})",
                 [basis.as_of, basis.data_date, basis.evidence, *basis.versions(), *data, False, engine,
                  utc_now(), seconds])


def refresh_summaries_if_needed(conn: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Refresh the summaries unless they describe the store as it is (the nightly job); what it did."""
    try:
        current = serves_summaries(conn, store_basis(conn))
    except UsageError:  # an empty store
        current = summary_state(conn) is None
    return None if current else refresh_summaries(conn)


def refresh_summaries(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Build the summary tables again from the patents, in one transaction (pages keep reading the
    old ones until it commits); returns each table's rows and the seconds it took.

    An empty store has none (every question then reads the patents, and finds none).
    """
    started = time.perf_counter()
    try:
        basis = store_basis(conn)
    except UsageError:  # no dated patents: nothing to summarise
        with transaction(conn):
            for table in (*TABLES, "summary_state"):
                conn.execute(f"DELETE FROM {table}")
        return {"as_of": None, **dict.fromkeys(TABLES, 0), "seconds": round(time.perf_counter() - started, 2)}
    rows = {}
    views = {"summary_patents": patent_facts_sql(basis),
             "summary_patent_applicants": patent_facts_sql(basis, applicants=True),
             "summary_placed_patents": placement_facts_sql()}
    with transaction(conn):
        conn.execute(f"CREATE OR REPLACE TEMP TABLE summary_industry_tags AS {industry_tags_sql()}")
        for table in TABLES:
            # the patents' facts as a CTE, computed as each table is counted: nothing per patent is kept
            # (the store's memory limit is small), and only the applicants' table joins the placements
            view = FACTS_VIEW[table]
            sql, params = DUCKDB.bind(f"INSERT INTO {table} BY NAME WITH {view} AS ({views[view]}) "
                                      f"SELECT * FROM ({summary_sql(table)}) s ORDER BY {_ORDERS.get(table, _ORDER)}",
                                      basis.params())
            conn.execute(f"DELETE FROM {table}")
            conn.execute(sql, params)
            rows[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
        conn.execute("DROP TABLE summary_industry_tags")
        seconds = round(time.perf_counter() - started, 2)
        write_state(conn, basis, fingerprint(conn), "duckdb", seconds)
    return {"as_of": basis.as_of.isoformat(), **rows, "seconds": seconds}
