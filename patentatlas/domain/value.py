"""Patent value score (REFERENCE §8, §9): OECD indicators normalised within their cohort, combined
into legal, technical and economic sub-scores and one 0–100 score.

Each component is read from the patent's row (citations, family, claims, IPC codes, dates,
status), normalised within its cohort — the main IPC subclass × the filing year: values above the
cohort's 99th percentile are cut to it, then divided by it ("trim 1 %, divide by cohort max"); a
shorter grant lag scores higher (1 − lag ÷ cap). The legal status maps to fixed values. A
component the source does not carry is *missing*: it is left out and the weights of the others
in its dimension are scaled up; the score lists it. Weights, the trim and the status values are
the versioned rule set ``rules/patent_value.json``.

Everything is one set-based DuckDB query: :func:`refresh_values` scores the whole store into
``patent_values``; :func:`patent_value` scores one patent live, against its cohort as stored now.

>>> patent_value(conn, "CN201710322613.X")["score"]  # doctest: +SKIP
41.37
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import duckdb

from patentatlas.domain.fee_sql import term_end_sql
from patentatlas.domain.fees import fee_rules
from patentatlas.domain.high_value import data_dates, named_params
from patentatlas.errors import FieldError, NotFoundError, UsageError
from patentatlas.i18n import message
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.rules import load_rule_set, rule_source
from patentatlas.search.freshness import mark_index_stale
from patentatlas.store import utc_now

RULE_SET = "patent_value"
DIMENSIONS = ("legal", "technical", "economic")


@dataclass(frozen=True)
class Component:
    """One indicator: its SQL over ``p`` (a patents row), how it is normalised, what it means."""

    name: str
    sql: str
    direction: str  # more (higher is better) | less (shorter is better) | fixed (already 0–1)
    meaning: str
    missing: str  # why it may be missing


COMPONENTS = (
    Component("forward_citations", "p.forward_citation_count::DOUBLE", "more",
              "later patents citing it (all years: the sources give no 5-year window)",
              "the source export carries no citation counts"),
    Component("backward_citations", "p.backward_citation_count::DOUBLE", "more",
              "patents it cites", "the source export carries no citation counts"),
    Component("family_size", "p.family_size::DOUBLE", "more", "members of its patent family",
              "the source export carries no family size"),
    Component("overseas_family", "CASE WHEN p.has_overseas_family THEN 1.0 WHEN NOT p.has_overseas_family "
              "THEN 0.0 END", "fixed", "a family member filed abroad (1) or not (0)",
              "the source export does not say whether it has family abroad"),
    Component("claims", "p.claim_count::DOUBLE", "more", "number of claims",
              "the source export carries no claim count"),
    Component("scope", "CASE WHEN len(p.ipc_codes) > 0 THEN len(list_distinct(list_transform(p.ipc_codes, "
              "lambda c: left(c, 4))))::DOUBLE END", "more", "distinct 4-character IPC subclasses of its IPC codes",
              "no IPC codes"),
    Component("grant_lag", "CASE WHEN p.grant_date IS NOT NULL AND p.filing_date IS NOT NULL THEN "
              "greatest(date_diff('day', p.filing_date, p.grant_date), 0)::DOUBLE END", "less",
              "days from filing to grant (shorter is better)", "not granted, or no grant date in the source"),
    Component("remaining_life", "{remaining}", "more",
              "years of legal term left on the score date (0 once lapsed)", "no filing date, type or legal status"),
    Component("legal_status", "CASE p.status WHEN 'in_force' THEN $s_in_force WHEN 'pending' THEN $s_pending "
              "WHEN 'lapsed' THEN $s_lapsed END", "fixed", "legal status: in force, pending or lapsed (rule set)",
              "no legal status"),
)
BY_NAME = {c.name: c for c in COMPONENTS}



def _remaining(fees: dict[str, Any]) -> str:
    """SQL: years of legal term left on ``$as_of``, the term's end (REFERENCE §2) as the fee rules write it."""
    return ("CASE WHEN p.status = 'lapsed' THEN 0.0 WHEN p.status IS NULL OR p.filing_date IS NULL THEN NULL "
            f"ELSE greatest(date_diff('day', $as_of, {term_end_sql(fees)}), 0) / 365.25 END")


def check_weights(rules: dict[str, Any]) -> None:
    """Refuse a rule set whose dimension weights, or any dimension's component weights, do not sum to 1."""
    dims = rules.get("dimensions") or {}
    if set(dims) != set(DIMENSIONS):
        raise UsageError(f"rule set {rules.get('name')} v{rules.get('version')}: dimensions must be exactly "
                         f"{', '.join(DIMENSIONS)}, got {', '.join(dims) or 'none'}")
    check_sums_to_one(f"rule set {rules['name']} v{rules['version']}: the dimension weights",
                 {d: spec["weight"] for d, spec in dims.items()})
    for dim, spec in dims.items():
        unknown = set(spec["components"]) - set(BY_NAME)
        if unknown:
            raise UsageError(f"rule set {rules['name']} v{rules['version']}: {dim} names unknown components "
                             f"{', '.join(sorted(unknown))} (known: {', '.join(BY_NAME)})")
        check_sums_to_one(f"rule set {rules['name']} v{rules['version']}: the {dim} component weights",
                          spec["components"])


def check_sums_to_one(what: str, weights: dict[str, Any]) -> None:
    """Refuse weights that are not non-negative numbers summing to 1 (to 6 decimals), naming ``what``."""
    try:
        values = [float(w) for w in weights.values()]
    except (TypeError, ValueError):
        raise UsageError(f"{what} must be numbers, got {weights}") from None
    if any(w < 0 for w in values) or abs(sum(values) - 1.0) > 1e-6:
        raise UsageError(f"{what} must be non-negative and sum to 1; they sum to {sum(values):g} ({weights})")


def _params(rules: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    status = rules["status_values"]
    return {"as_of": as_of, "q": float(rules["trim_quantile"]),
            "s_in_force": float(status["in_force"]), "s_pending": float(status["pending"]),
            "s_lapsed": float(status["lapsed"])}


def _weighted(parts: dict[str, float], column: str, scale: float = 100.0) -> str:
    """SQL: ``scale`` × the weighted mean of the available ``{column}`` values (NULL when none is)."""
    num = " + ".join(f"{w!r} * coalesce({column.format(n)}, 0)" for n, w in parts.items())
    den = " + ".join(f"CASE WHEN {column.format(n)} IS NULL THEN 0 ELSE {w!r} END" for n, w in parts.items())
    return f"CASE WHEN ({den}) > 0 THEN {scale!r} * ({num}) / ({den}) END"


def _norm(c: Component) -> str:
    if c.direction == "fixed":
        return f"r_{c.name}"
    cap, raw = f"cap_{c.name}", f"r_{c.name}"
    if c.direction == "less":
        return f"CASE WHEN {raw} IS NULL THEN NULL WHEN {cap} > 0 THEN 1.0 - least({raw}, {cap}) / {cap} ELSE 1.0 END"
    return f"CASE WHEN {raw} IS NULL THEN NULL WHEN {cap} > 0 THEN least({raw}, {cap}) / {cap} ELSE 0.0 END"


def _caps() -> str:
    """SQL aggregates: each component's cohort cap, the ``$q`` quantile of its raw values ``r_*``."""
    return ", ".join(f"quantile_cont(r_{c.name}, $q) AS cap_{c.name}" for c in COMPONENTS if c.direction != "fixed")


def _norms() -> str:
    """SQL: each component normalised (``n_*``), from its raw value and its cohort's cap."""
    return ", ".join(f"{_norm(c)} AS n_{c.name}" for c in COMPONENTS)


def _missing() -> str:
    """SQL: the components whose raw value is missing, as a list of their names."""
    names = ", ".join(f"CASE WHEN r_{c.name} IS NULL THEN '{c.name}' END" for c in COMPONENTS)
    return f"list_filter([{names}], lambda m: m IS NOT NULL)"


def value_sql(rules: dict[str, Any], where: str = "TRUE", fees: dict[str, Any] | None = None) -> str:
    """The scoring query over the patents matching ``where`` (their whole cohorts must be in it);
    ``fees``: the annual-fee rule set, whose term the remaining life counts down (default: packaged)."""
    dims = rules["dimensions"]
    remaining = _remaining(fees or fee_rules())
    raws = ", ".join(f"{c.sql.format(remaining=remaining)} AS r_{c.name}" for c in COMPONENTS)
    subs = ", ".join(f"{_weighted(spec['components'], 'n_{}')} AS {d}" for d, spec in dims.items())
    score = _weighted({d: spec["weight"] for d, spec in dims.items()}, "{}", 1.0)  # the sub-scores are 0–100
    return f"""WITH base AS (
  SELECT p.application_number, coalesce(left(p.ipc_main, 4), '') AS cohort_subclass,
    year(p.filing_date) AS cohort_year, {raws} FROM patents p WHERE {where}),
caps AS (SELECT cohort_subclass, cohort_year, count(*) AS cohort_size, {_caps()} FROM base GROUP BY ALL),
normed AS (SELECT b.*, c.* EXCLUDE (cohort_subclass, cohort_year), {_norms()} FROM base b JOIN caps c
  ON c.cohort_subclass = b.cohort_subclass AND c.cohort_year IS NOT DISTINCT FROM b.cohort_year),
dims AS (SELECT *, {subs} FROM normed)
SELECT *, {score} AS score, {_missing()} AS missing FROM dims"""


def _rules(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rules = load_rule_set(conn, RULE_SET)
    check_weights(rules)
    return rules


def score_date(conn: duckdb.DuckDBPyConnection) -> dt.date:
    """The date scores are computed for: the store's data date (its latest dated fact), else today."""
    return data_dates(conn)[1] or dt.date.today()


# what a patent's row keeps: its normalised components, its cohort's caps and size and what it
# misses follow from the raw components of its cohort's rows (:func:`stored_value`), and a third
# of the columns to write (a million patents: 0.45 s of the import) is not written
_STORED = ("application_number", "cohort_subclass", "cohort_year", "score", *DIMENSIONS,
           *(f"r_{c.name}" for c in COMPONENTS))


def refresh_values(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Score every patent of the store again into ``patent_values``; returns counts and seconds.

    >>> refresh_values(conn)["scored"]  # doctest: +SKIP
    15149
    """
    started = time.perf_counter()
    rules = _rules(conn)
    as_of = score_date(conn)
    sql = value_sql(rules, fees=fee_rules(conn))
    columns = ", ".join(_STORED)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM patent_values")
        insert = (f"INSERT INTO patent_values ({columns}, rule_version, as_of, computed_at) "
                  f"SELECT {columns}, $version, $as_of, $now FROM ({sql})")
        conn.execute(insert, named_params(insert, {**_params(rules, as_of), "version": int(rules["version"]),
                                                   "now": utc_now()}))
        mark_index_stale(conn)  # the search index sorts by the score: the changed ones are indexed again
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    scored = conn.execute("SELECT count(*), count(score) FROM patent_values").fetchall()[0]
    return {"scored": scored[0], "with_score": scored[1], "as_of": as_of.isoformat(),
            "rule_set": {"name": RULE_SET, "version": rules["version"]},
            "seconds": round(time.perf_counter() - started, 2)}


def _number(application_number: str) -> str:
    try:
        return normalize_application_number(application_number).number
    except FieldError as exc:
        raise UsageError(message("err_bad_appno", number=repr(application_number), reason=exc.reason)) from None


def patent_value(conn: duckdb.DuckDBPyConnection, application_number: str) -> dict[str, Any]:
    """One patent's score, sub-scores, components (raw, cohort cap, normalised, weight) and what is missing.

    >>> sorted(patent_value(conn, "CN201710322613.X"))  # doctest: +SKIP
    ['application_number', 'as_of', 'cohort', 'components', 'economic', 'legal', 'missing', 'rule_set', ...]
    """
    number = _number(application_number)
    found = conn.execute("SELECT coalesce(left(ipc_main, 4), ''), year(filing_date), status, patent_type FROM patents "
                         "WHERE application_number = ?", [number]).fetchall()
    if not found:
        raise NotFoundError(message("err_patent_not_in_store", number=number))
    subclass, year, status, patent_type = found[0]
    rules, as_of = _rules(conn), score_date(conn)
    where = ("coalesce(left(p.ipc_main, 4), '') = $subclass AND year(p.filing_date) IS NOT DISTINCT FROM $year")
    sql = f"SELECT * FROM ({value_sql(rules, where, fee_rules(conn))}) WHERE application_number = $number"
    cursor = conn.execute(sql, named_params(sql, {**_params(rules, as_of), "subclass": subclass, "year": year,
                                                  "number": number}))
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchall()[0], strict=True))
    return explain_row(row, rules, as_of, status, patent_type) | {"source_figures": source_figures(conn, number)}


def explain_row(row: dict[str, Any], rules: dict[str, Any], as_of: dt.date, status: str | None = None,
                patent_type: str | None = None) -> dict[str, Any]:
    """A scored row as the score explains itself: the components, each with its inputs, and the missing ones."""
    components = []
    for dim, spec in rules["dimensions"].items():
        for name, weight in spec["components"].items():
            c = BY_NAME[name]
            components.append({"name": name, "dimension": dim, "weight": weight, "meaning": c.meaning,
                               "raw": _round(row[f"r_{name}"], 4), "cohort_cap": _round(row.get(f"cap_{name}"), 4),
                               "normalised": _round(row[f"n_{name}"], 4), "normalisation": _how(c, rules)})
    reasons = {m: _missing_reason(m, status) for m in row["missing"]}
    subclass, year = row["cohort_subclass"], row["cohort_year"]
    return {
        "application_number": row["application_number"],
        "score": _round(row["score"], 2), **{d: _round(row[d], 2) for d in DIMENSIONS},
        "components": components,
        "missing": list(row["missing"]),
        "missing_reasons": reasons,
        "cohort": {"ipc_subclass": subclass or None, "filing_year": year, "patents": row["cohort_size"],
                   "definition": rules["cohort"]},
        "dimension_weights": {d: spec["weight"] for d, spec in rules["dimensions"].items()},
        "as_of": as_of.isoformat(), "patent_type": patent_type, "status": status,
        "rule_set": {"name": RULE_SET, "version": rules["version"], "source": rule_source(rules)},
    }


def _how(c: Component, rules: dict[str, Any]) -> str:
    trim = f"values above the cohort's {rules['trim_quantile']:.0%} quantile cut to it"
    if c.direction == "more":
        return f"{trim}, divided by it"
    if c.direction == "less":
        return f"{trim}; 1 − value ÷ it (shorter is better)"
    return "taken as it is (0–1)" if c.name != "legal_status" else f"status values {rules['status_values']}"


def _missing_reason(name: str, status: str | None) -> str:
    if name == "grant_lag" and status == "pending":
        return "not granted yet"
    return BY_NAME[name].missing


def _round(value: Any, digits: int) -> Any:
    return None if value is None else round(float(value), digits)


def stored_value(conn: duckdb.DuckDBPyConnection, application_number: str) -> dict[str, Any] | None:
    """The score stored by the last :func:`refresh_values` (None when the patent has none), explained
    by its cohort as scored then: the stored rows of its cohort, by the rule set it was scored by."""
    number = _number(application_number)
    found = conn.execute("SELECT rule_version FROM patent_values WHERE application_number = ?", [number]).fetchall()
    if not found:
        return None
    rules = load_rule_set(conn, RULE_SET, found[0][0])
    sql = f"""WITH mine AS (SELECT * FROM patent_values WHERE application_number = $number),
cohort AS (SELECT count(*) AS cohort_size, {_caps()} FROM patent_values
  WHERE cohort_subclass = (SELECT cohort_subclass FROM mine)
    AND cohort_year IS NOT DISTINCT FROM (SELECT cohort_year FROM mine))
SELECT *, {_norms()}, {_missing()} AS missing FROM mine, cohort"""
    cursor = conn.execute(sql, named_params(sql, {"number": number, "q": float(rules["trim_quantile"])}))
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchall()[0], strict=True))
    return explain_row(row, rules, row["as_of"]) | {"computed_at": row["computed_at"].isoformat(),
                                                      "rule_version": row["rule_version"]}


def source_figures(conn: duckdb.DuckDBPyConnection, number: str) -> list[dict[str, Any]]:
    """The value figures a source export gave this patent (Patentics 价值1–3, 质量, 专利度), as kept."""
    cursor = conn.execute("SELECT source, file, value1, value2, value3, quality, patent_degree FROM "
                          "source_value_figures WHERE application_number = ? ORDER BY source, file", [number])
    keys = [d[0] for d in cursor.description]
    return [dict(zip(keys, r, strict=True)) for r in cursor.fetchall()]
