"""The government end of the fee warnings (issue 4 §5): where the annual fee of every granted
patent of a region stands on a date, and the warnings summed by region and industry.

The rules are those of :mod:`patentatlas.domain.fees` (REFERENCE §3), applied to a whole
region at once: one DuckDB query over the patents, joined to a small calendar of the days
around the date (each day's due date moved to the next working day, the grace period's end,
the late-fee rate as of the date), computed in Python once per distinct day.

What the government end can and cannot know:

- **Amounts are full fees.** Whether a holder declared a fee reduction (费减) is the holder's
  fact; the office's monitoring data does not carry it, so every amount here is the full,
  unreduced fee: "fees at risk" is an upper bound. The late fee (滞纳金) is charged on the full
  fee in any case, so the late fees are exact.
- **Unpaid means no payment recorded.** A fee counts as paid when ``fee_payments`` holds it
  (recorded by the enterprise, or from an imported payment list), or when an import observed
  after its grace period ended still showed the patent in force (it must have been paid;
  see :mod:`patentatlas.domain.payments`). Anything else is presumed unpaid.
- **Statuses are as of the latest import.** A patent counts as in force when its last import
  showed it so; the default date is the day the latest import's data was observed.

>>> region_warning_summary(conn, "330100")["entering_grace"]["count"]  # doctest: +SKIP
3
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from patentatlas.domain.directory import NO_CONTACT, enterprise_contacts
from patentatlas.domain.fee_sql import fee_bearing_sql, term_end_sql
from patentatlas.domain.high_value import named_params
from patentatlas.domain.indicators import COUNTING_RULE
from patentatlas.domain.region_fees import (
    DUE_SOON_DAYS,
    FEE_TYPES,
    data_observed_on,
    fees_sql,
    quarter_of,
    scope_where,
    warning_scope,
)
from patentatlas.errors import UsageError, about
from patentatlas.i18n import Message, message
from patentatlas.rules import load_rule_set, rule_source

ENTERPRISE_LIMIT = 100
# places the data does not name: messages (English as strings), said in a page's or a download's language
NO_TOWN = message("no_town")
NO_COUNTY = message("no_county")
NO_REGION = message("no_region")
NO_INDUSTRY = "未归入战略性新兴产业"
# the first applicant's township: the patent record's own (a 9-digit code placed from its address),
# else the township of the first applicant's party where it lies in the patent's most detailed region
TOWNSHIP_SQL = ("CASE WHEN length(p.first_applicant_region_code) = 9 THEN p.first_applicant_region_code "
                "WHEN left(pa.township_code, 6) = p.first_applicant_region_code THEN pa.township_code END")
# the column of f (the fee rows) that places a patent in a child region of each level
_CHILD_OF = {"country": "province_code", "province": "city_code", "city": "county_code",
             "county": "CASE WHEN length(region_code) = 9 THEN region_code END"}
_CHILD_LEVEL = {"country": "province", "province": "city", "city": "county", "county": "township"}
TABLES = ("entering_grace", "entering_grace_by_region", "entering_grace_by_industry", "lapses_by_town",
          "lapses_by_county", "enterprises_to_call")

_DEFINED = ("current_fee", "next_fee", "entering_grace", "in_grace", "due_next_90_days", "lapses_by_town",
            "enterprises_to_call")
DEFINITIONS = {name: message(f"fw_def_{name}") for name in _DEFINED}


# --------------------------------------------------------------------------- the summary


_SUMMARY_SQL = """WITH f AS MATERIALIZED ({fees}),
g AS MATERIALIZED (SELECT f.*, {child} AS child FROM f WHERE state = 'grace'),
eg AS MATERIALIZED (SELECT * FROM g WHERE due_date >= $q_start AND patent_type = 'invention'),
soon AS MATERIALIZED (
  SELECT patent_type, full_amount AS amount FROM f WHERE state = 'upcoming'
  UNION ALL SELECT patent_type, next_full_amount FROM f
  WHERE NOT next_paid AND next_due_date > $as_of AND next_due_date <= $soon_end),
callees AS MATERIALIZED (
  SELECT coalesce(pl.enterprise_key, 'name:' || pa.normalized_name) AS enterprise_key, min(pa.party_id) AS party_id,
    coalesce(min(pl.enterprise_name), min(pa.name)) AS name, mode(g.county_code) AS county_code,
    count(*) AS patents_in_grace, count_if(g.patent_type = 'invention') AS inventions_in_grace,
    count_if(g.due_date >= $q_start) AS fell_due_this_quarter, sum(g.full_amount) AS fees_at_risk,
    sum(g.late_fee) AS late_fees_today, min(g.grace_period_end) AS earliest_grace_end,
    list(g.application_number ORDER BY g.grace_period_end, g.application_number) AS application_numbers
  FROM g JOIN patent_parties pp ON pp.application_number = g.application_number AND pp.role = 'applicant'
    AND pp.seq = 1
  JOIN parties pa ON pa.party_id = pp.party_id AND pa.kind = 'enterprise'
  LEFT JOIN placements pl ON pl.application_number = g.application_number
  GROUP BY 1)
SELECT
  (SELECT [count(*), coalesce(sum(full_amount), 0), coalesce(sum(late_fee), 0)] FROM eg),
  (SELECT list({{'child': child, 'n': n, 'fees': s}}) FROM (
     SELECT child, count(*) AS n, sum(full_amount) AS s FROM eg GROUP BY 1)),
  (SELECT list({{'top': top, 'n': n, 'fees': s}}) FROM (
     SELECT top, count(*) AS n, sum(full_amount) AS s FROM (
       SELECT DISTINCT application_number, full_amount, unnest(CASE WHEN len(sei_codes) = 0 THEN [NULL::VARCHAR]
         ELSE list_distinct(list_transform(sei_codes, lambda c: split_part(c, '.', 1))) END) AS top FROM eg)
     GROUP BY 1)),
  (SELECT list({{'t': patent_type, 'n': n, 'fees': s, 'late': l, 'q': q, 'qs': qs}}) FROM (
     SELECT patent_type, count(*) AS n, sum(full_amount) AS s, sum(late_fee) AS l,
       count_if(due_date >= $q_start) AS q, coalesce(sum(full_amount) FILTER (WHERE due_date >= $q_start), 0) AS qs
     FROM g GROUP BY 1)),
  (SELECT list({{'t': patent_type, 'n': n, 'fees': s}}) FROM (
     SELECT patent_type, count(*) AS n, sum(amount) AS s FROM soon GROUP BY 1)),
  (SELECT [count(*), count_if(provisional), count_if(state = 'lapsed'), count_if(state = 'settled')] FROM f),
  (SELECT count(*) FROM callees),
  (SELECT list(c ORDER BY c.patents_in_grace DESC, c.fees_at_risk DESC, c.name, c.party_id) FROM (
     SELECT c FROM callees c ORDER BY patents_in_grace DESC, fees_at_risk DESC, name, party_id LIMIT $limit)),
  (SELECT list(e ORDER BY e.due_date, e.application_number) FROM (
     SELECT {{'application_number': application_number, 'patent_type': patent_type, 'first_applicant':
       first_applicant, 'child': child, 'county_code': county_code, 'sei_codes': sei_codes,
       'filing_date': filing_date, 'grant_date': grant_date, 'patent_year': patent_year, 'due_date': due_date,
       'full_amount': full_amount, 'grace_period_end': grace_period_end, 'late_fee': late_fee}} AS e
     FROM eg ORDER BY due_date, application_number LIMIT $limit))"""

_LEFT_OUT_SQL = """WITH t AS (
  SELECT p.grant_date, {term_end} AS term_end
  FROM patents p WHERE {where} AND {fee_bearing} AND p.patent_type IN ('invention', 'utility_model', 'design')
    AND p.filing_date <= $as_of)
SELECT count_if(grant_date IS NULL AND $as_of < term_end), count_if(grant_date > $as_of),
  count_if(grant_date <= $as_of AND $as_of >= term_end)
FROM t"""

_LAPSES_SQL = """WITH lapsed AS (
  SELECT application_number, min(observed_on) AS observed_on, arg_min(new_status_text, observed_on) AS reason
  FROM status_changes WHERE new_status = 'lapsed' AND observed_on >= $q_start AND observed_on <= $as_of
  GROUP BY 1),
l AS MATERIALIZED (
  SELECT p.application_number, p.patent_type, l.observed_on, l.reason, p.first_applicant_county_code AS county_code,
    {township} AS township_code
  FROM lapsed l JOIN patents p USING (application_number)
  LEFT JOIN patent_parties pp ON pp.application_number = p.application_number AND pp.role = 'applicant'
    AND pp.seq = 1
  LEFT JOIN parties pa ON pa.party_id = pp.party_id
  WHERE {where})
SELECT
  (SELECT count(*) FROM l),
  (SELECT list({{'code': township_code, 'county_code': c, 'n': n, 'inv': i, 'nums': nums}}) FROM (
     SELECT township_code, any_value(county_code) AS c, count(*) AS n, count_if(patent_type = 'invention') AS i,
       list(application_number ORDER BY application_number) AS nums FROM l GROUP BY 1)),
  (SELECT list({{'code': county_code, 'n': n, 'inv': i}}) FROM (
     SELECT county_code, count(*) AS n, count_if(patent_type = 'invention') AS i FROM l GROUP BY 1)),
  (SELECT list({{'reason': reason, 'n': n}}) FROM (SELECT reason, count(*) AS n FROM l GROUP BY 1))"""


def _names(conn: duckdb.DuckDBPyConnection, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = conn.execute("SELECT code, name FROM regions WHERE code IN (SELECT unnest(?))", [sorted(codes)]).fetchall()
    return dict(rows)


def _titles(conn: duckdb.DuckDBPyConnection, numbers: list[str]) -> dict[str, str | None]:
    if not numbers:
        return {}
    rows = conn.execute("SELECT application_number, coalesce(title_zh, title_en) FROM patents "
                        "WHERE application_number IN (SELECT unnest(?))", [numbers]).fetchall()
    return dict(rows)


def _children(conn: duckdb.DuckDBPyConnection, region: dict[str, Any]) -> list[tuple[str, str]]:
    if region["level"] == "township":
        return []
    sql = "level = 'province'" if region["level"] == "country" else "parent_code = ?"
    params = [] if region["level"] == "country" else [region["code"]]
    return [(c, n) for c, n in conn.execute(f"SELECT code, name FROM regions WHERE {sql} ORDER BY code",
                                            params).fetchall()]


def _industries(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    try:
        rows = conn.execute("SELECT code, name FROM sei_industries WHERE parent_code IS NULL "
                            "ORDER BY CAST(code AS INTEGER)").fetchall()
    except duckdb.Error:  # a store from before the industries migration
        return []
    return [(c, n) for c, n in rows]


def _by_child(conn: duckdb.DuckDBPyConnection, region: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict]:
    """Every child region (0 where none), then the patents placed in none; most first."""
    counts = {r["child"]: r for r in rows}
    out = [{"code": code, "name": name, "count": counts.get(code, {}).get("n", 0),
            "fees_at_risk": int(counts.get(code, {}).get("fees") or 0)} for code, name in _children(conn, region)]
    known = {r["code"] for r in out}
    rest = [r for c, r in counts.items() if c not in known]
    if rest:
        out.append({"code": None, "name": NO_REGION, "count": sum(r["n"] for r in rest),
                    "fees_at_risk": int(sum(r["fees"] or 0 for r in rest))})
    return sorted(out, key=lambda r: (r["code"] is None, -r["count"], -r["fees_at_risk"], r["code"] or ""))


def _by_industry(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every top-level strategic emerging industry (0 where none), then patents in none of them."""
    counts = {r["top"]: r for r in rows}
    known = _industries(conn)
    out: list[tuple[str | None, str | None, dict[str, Any]]] = [
        (code, name, counts.pop(code, {})) for code, name in known]
    out += [(code, NO_INDUSTRY if code is None else None, r)
            for code, r in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]
    return [{"code": code, "name": name, "count": r.get("n", 0), "fees_at_risk": int(r.get("fees") or 0)}
            for code, name, r in out]


def _by_type(rows: list[dict[str, Any]], **columns: str) -> dict[str, dict[str, int]]:
    found = {r["t"]: r for r in rows}
    return {t: {name: int(found.get(t, {}).get(key) or 0) for name, key in columns.items()} for t in FEE_TYPES}


def region_warning_summary(conn: duckdb.DuckDBPyConnection, region_code: str, industry: str | None = None,
                           as_of: str | dt.date | None = None, limit: int = ENTERPRISE_LIMIT) -> dict[str, Any]:
    """The fee warnings of a region (any level; ``100000`` = China) for an SEI industry (or all), as of a
    date (default: the latest import's observation day): fees entering the grace period this quarter,
    fees due in the next 90 days, lapses seen this quarter by township and county, and the
    enterprises to call. ``limit`` caps the two lists (entering-grace patents, enterprises).

    >>> region_warning_summary(conn, "330000", as_of="2023-06-30")["quarter"]["label"]  # doctest: +SKIP
    '2023Q2'
    """
    if limit < 1:
        raise UsageError(about("limit", message("err_at_least", value=repr(limit), least=1)))
    scope = warning_scope(conn, region_code, industry, as_of)
    rules = load_rule_set(conn, "annual_fees")
    quarter, observed = quarter_of(scope.as_of), data_observed_on(conn)
    region = {k: scope.region[k] for k in ("code", "name", "level", "parent_code")}
    fees, params = fees_sql(scope, scope.as_of, rules)
    child = _CHILD_OF.get(region["level"], "NULL::VARCHAR")
    extra = {"q_start": quarter["start"], "soon_end": scope.as_of + dt.timedelta(days=DUE_SOON_DAYS), "limit": limit}
    sql = _SUMMARY_SQL.format(fees=fees, child=child)
    (head, by_child, by_top, grace_types, soon_types, counts, callee_total, callees,
     listed) = conn.execute(sql, named_params(sql, {**params, **extra})).fetchall()[0]
    where = scope_where(scope)
    left_sql = _LEFT_OUT_SQL.format(where=where, fee_bearing=fee_bearing_sql(), term_end=term_end_sql(rules))
    left_out = conn.execute(left_sql, named_params(left_sql, params)).fetchall()[0]
    lapses = _lapses(conn, where, {**params, **extra})
    listed = listed or []
    titles = _titles(conn, [e["application_number"] for e in listed])
    contacts = enterprise_contacts(conn, [c["enterprise_key"] for c in callees or []])
    names = _names(conn, {e["child"] for e in listed if e["child"]}
                   | {e["county_code"] for e in callees or [] if e["county_code"]})
    grace = _by_type(grace_types or [], count="n", fees_at_risk="fees", late_fees_today="late",
                     fell_due_this_quarter="q", fees_fell_due_this_quarter="qs")
    soon = _by_type(soon_types or [], count="n", fees="fees")
    return {
        "region": region,
        "industry": scope.industry,
        "as_of": scope.as_of,
        "quarter": quarter,
        "data_observed_on": observed,
        "child_level": _CHILD_LEVEL.get(region["level"]),
        "counting_rule": COUNTING_RULE,
        "definitions": DEFINITIONS,
        "rule_set": {"name": rules.get("name"), "version": rules.get("version"), "source": rule_source(rules)},
        "entering_grace": {
            "count": head[0], "fees_at_risk": int(head[1]), "late_fees_today": int(head[2]),
            "by_child_region": _by_child(conn, scope.region, by_child or []),
            "by_industry": _by_industry(conn, by_top or []),
            "all_types": {t: {"count": v["fell_due_this_quarter"], "fees_at_risk": v["fees_fell_due_this_quarter"]}
                          for t, v in grace.items()},
            "patents": [{"application_number": e["application_number"], "title": titles.get(e["application_number"]),
                         **{k: v for k, v in e.items() if k != "application_number"},
                         "child_name": names.get(e["child"]), "full_amount": int(e["full_amount"])}
                        for e in listed],
        },
        "in_grace": {
            "count": sum(v["count"] for v in grace.values()),
            "fees_at_risk": sum(v["fees_at_risk"] for v in grace.values()),
            "late_fees_today": sum(v["late_fees_today"] for v in grace.values()),
            "by_type": {t: {k: v[k] for k in ("count", "fees_at_risk", "late_fees_today")} for t, v in grace.items()},
        },
        "due_next_90_days": {
            "from": scope.as_of, "to": extra["soon_end"],
            "count": sum(v["count"] for v in soon.values()), "fees": sum(v["fees"] for v in soon.values()),
            "by_type": soon,
        },
        "lapses_by_town": lapses,
        "enterprises_to_call": {
            "total": callee_total, "limit": limit,
            "enterprises": [{**c, "rank": i, "county_name": names.get(c["county_code"]),
                             **contacts.get(c["enterprise_key"], NO_CONTACT),
                             "fees_at_risk": int(c["fees_at_risk"]), "late_fees_today": int(c["late_fees_today"])}
                            for i, c in enumerate(callees or [], start=1)],
        },
        "watched": {"patents": counts[0], "lapsed": counts[2], "settled": counts[3]},
        "data_notes": _data_notes(scope.as_of, observed, left_out, counts),
    }


def _lapses(conn: duckdb.DuckDBPyConnection, where: str, params: dict[str, Any]) -> dict[str, Any]:
    sql = _LAPSES_SQL.format(where=where, township=TOWNSHIP_SQL)
    total, towns, counties, reasons = conn.execute(sql, named_params(sql, params)).fetchall()[0]
    codes = {t["code"] for t in towns or []} | {t["county_code"] for t in towns or []}
    names = _names(conn, {c for c in codes | {c["code"] for c in counties or []} if c})
    def name(code: str | None, missing: str) -> str:
        return names.get(code, code) if code else missing

    town_rows = [{"township_code": t["code"], "township_name": name(t["code"], NO_TOWN),
                  "county_code": t["county_code"], "county_name": name(t["county_code"], NO_COUNTY),
                  "lapsed": t["n"], "lapsed_inventions": t["inv"], "application_numbers": t["nums"]}
                 for t in towns or []]
    county_rows = [{"county_code": c["code"], "county_name": name(c["code"], NO_COUNTY),
                    "lapsed": c["n"], "lapsed_inventions": c["inv"]} for c in counties or []]
    return {
        "count": total,
        "towns": sorted(town_rows, key=lambda r: (r["township_code"] is None, -r["lapsed"], r["township_code"] or "")),
        "counties": sorted(county_rows, key=lambda r: (r["county_code"] is None, -r["lapsed"], r["county_code"] or "")),
        "by_reason": sorted(({"reason": r["reason"], "lapsed": r["n"]} for r in reasons or []),
                            key=lambda r: (-r["lapsed"], r["reason"] or "")),
    }


def _data_notes(as_of: dt.date, observed: dt.date | None, left_out: tuple[Any, ...],
                counts: list[int]) -> list[Message]:
    undated, granted_later, expired = left_out
    notes = [message("fw_note_unpaid"), message("fw_note_full_amounts"),
             message("fw_note_observed", observed=observed) if observed else message("fw_note_no_observed")]
    if observed and as_of > observed:
        notes.append(message("fw_note_after_observed", as_of=as_of, observed=observed))
    counted = [(undated, "fw_note_undated"), (granted_later, "fw_note_granted_later"), (expired, "fw_note_expired"),
               (counts[2], "fw_note_should_have_lapsed"), (counts[1], "fw_note_provisional")]
    notes += [message(msgid, n=n) for n, msgid in counted if n]
    return [*notes, message("fw_note_townships"), message("fw_note_industries")]


# --------------------------------------------------------------------------- tables to export


def warning_table(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """One table of a summary as rows for a download (lists joined with ``;``)."""
    if table == "entering_grace":
        rows = [{**{k: v for k, v in e.items() if k not in ("child", "sei_codes")},
                 "child_region_code": e["child"], "sei_codes": ";".join(e["sei_codes"] or [])}
                for e in data["entering_grace"]["patents"]]
    elif table == "entering_grace_by_region":
        rows = data["entering_grace"]["by_child_region"]
    elif table == "entering_grace_by_industry":
        rows = data["entering_grace"]["by_industry"]
    elif table == "lapses_by_town":
        rows = [{**t, "application_numbers": ";".join(t["application_numbers"])}
                for t in data["lapses_by_town"]["towns"]]
    elif table == "lapses_by_county":
        rows = data["lapses_by_town"]["counties"]
    elif table == "enterprises_to_call":
        keys = ("rank", "enterprise_key", "party_id", "name", "county_code", "county_name", "patents_in_grace",
                "inventions_in_grace", "fell_due_this_quarter", "fees_at_risk", "late_fees_today", "earliest_grace_end",
                "contact_person", "contact_phone", "township_name")
        rows = [{**{k: e[k] for k in keys}, "application_numbers": ";".join(e["application_numbers"])}
                for e in data["enterprises_to_call"]["enterprises"]]
    else:
        raise UsageError(about("table", message("err_not_one_of", value=repr(table), choices=", ".join(TABLES))))
    return [dict(r) for r in rows]

