"""Where the annual fee of every granted patent of a region stands on a date (REFERENCE §3).

The rules are those of :mod:`patentatlas.domain.fees`, applied to a whole region at once: one
DuckDB query over the patents, its term, patent years, amounts and states written by
:mod:`patentatlas.domain.fee_sql` from the same rule data, joined to a small calendar of the days
around the date (each day's due date moved to the next working day, the grace period's end, the
late-fee rate as of the date) that the Python rule functions compute once per distinct day.
Amounts are full fees: the government end does not know which holders declared a reduction.
:mod:`patentatlas.domain.fee_watch` sums these rows into the warnings of a region.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.domain.fee_sql import (
    add_years_sql,
    fee_bearing_sql,
    fee_calendar,
    fee_state_sql,
    first_annual_fee_year_sql,
    full_fee_sql,
    patent_year_sql,
    period_start_sql,
    term_years_sql,
)
from patentatlas.domain.fees import GRACE, SETTLED, add_months
from patentatlas.domain.high_value import named_params
from patentatlas.domain.indicators import _INDUSTRY_SQL, _REGION_COLUMN, Scope, scope_for
from patentatlas.rules import load_rule_set

FEE_TYPES = ("invention", "utility_model", "design")
DUE_SOON_DAYS = 90

# --------------------------------------------------------------------------- dates


def quarter_of(day: dt.date) -> dict[str, Any]:
    """The calendar quarter holding ``day``.

    >>> quarter_of(dt.date(2023, 5, 11))
    {'label': '2023Q2', 'start': datetime.date(2023, 4, 1), 'end': datetime.date(2023, 6, 30)}
    """
    number = (day.month - 1) // 3 + 1
    start = dt.date(day.year, 3 * number - 2, 1)
    return {"label": f"{day.year}Q{number}", "start": start, "end": add_months(start, 3) - dt.timedelta(days=1)}


def data_observed_on(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The day the data of the latest patent import was observed (payment lists do not count)."""
    rows = conn.execute("SELECT max(observed_on) FROM import_batches "
                        "WHERE format IS DISTINCT FROM 'payments'").fetchall()
    return rows[0][0] if rows else None


def warning_scope(conn: duckdb.DuckDBPyConnection, region_code: str, industry: str | None = None,
                  as_of: str | dt.date | None = None) -> Scope:
    """The region, industry and date asked for, checked; the date defaults to the latest import's
    observation day (else the store's data date)."""
    if as_of is None or as_of == "":
        as_of = data_observed_on(conn)
    return scope_for(conn, region_code, industry or None, as_of)


# --------------------------------------------------------------------------- the fees of a region


_FEES_SQL = """WITH cal AS (SELECT unnest($cal_day) AS day, unnest($cal_due) AS due, unnest($cal_grace) AS grace,
    unnest($cal_pct) AS pct, unnest($cal_prov) AS provisional),
base AS (
  SELECT p.application_number, p.patent_type, p.filing_date, p.grant_date, p.applicant_names[1] AS first_applicant,
    p.first_applicant_province_code AS province_code, p.first_applicant_city_code AS city_code,
    p.first_applicant_county_code AS county_code, p.first_applicant_region_code AS region_code,
    coalesce(p.sei_codes, []) AS sei_codes, ib.observed_on AS seen_on, {term_years} AS term_years,
    {year_now} AS y_now, {first_year} AS first_year, p.grant_date IS NOT NULL AS grant_date_known
  FROM patents p LEFT JOIN import_batches ib ON ib.batch_id = p.last_batch_id
  WHERE {where} AND {fee_bearing} AND p.patent_type IN ({types})
    AND (p.grant_date <= $as_of OR p.grant_date IS NULL) AND p.filing_date <= $as_of),
years AS (
  SELECT b.*, CASE WHEN c0.due <= $as_of THEN y_now ELSE y_now - 1 END AS cur
  FROM base b LEFT JOIN cal c0 ON c0.day = {start_now}
  WHERE $as_of < {term_end}),
marked AS (
  SELECT y.* EXCLUDE (y_now, cur), CASE WHEN cur >= first_year THEN cur END AS patent_year,
    CASE WHEN greatest(cur + 1, first_year) <= term_years THEN greatest(cur + 1, first_year) END AS next_patent_year
  FROM years y),
f AS (
  SELECT m.*, c1.due AS due_date, {fee_cur} AS full_amount, c1.grace AS grace_period_end,
    pay1.application_number IS NOT NULL AS paid, c1.pct AS pct, c2.due AS next_due_date,
    {fee_next} AS next_full_amount, pay2.application_number IS NOT NULL AS next_paid,
    coalesce(c1.provisional, FALSE) OR coalesce(c2.provisional, FALSE) AS provisional
  FROM marked m
  LEFT JOIN cal c1 ON m.patent_year IS NOT NULL AND c1.day = {start_cur}
  LEFT JOIN paid_fees pay1 ON pay1.application_number = m.application_number AND pay1.patent_year = m.patent_year
  LEFT JOIN cal c2 ON m.next_patent_year IS NOT NULL AND c2.day = {start_next}
  LEFT JOIN paid_fees pay2 ON pay2.application_number = m.application_number
    AND pay2.patent_year = m.next_patent_year),
s AS (SELECT *, CASE WHEN patent_year IS NOT NULL THEN {state} END AS state FROM f)
SELECT * EXCLUDE (pct, paid, state), paid, coalesce(state = '{settled}', FALSE) AS settled, state,
  CASE WHEN state = '{grace}' THEN full_amount * pct // 100 ELSE 0 END AS late_fee
FROM s"""


def scope_where(scope: Scope) -> str:
    """SQL over ``patents p``: the scope's region (by the first applicant) and industry."""
    return " AND ".join([_REGION_COLUMN[scope.region["level"]], *([_INDUSTRY_SQL] if scope.industry else [])])


def fees_sql(scope: Scope, as_of: dt.date, rules: dict[str, Any], where: str | None = None) -> tuple[str, dict]:
    """The query of :func:`current_fees` and its parameters (for use as a subquery); ``where`` (SQL
    over ``patents p``) replaces the scope's region and industry."""
    sql = _FEES_SQL.format(
        where=where or scope_where(scope), fee_bearing=fee_bearing_sql(),
        types=", ".join(f"'{t}'" for t in FEE_TYPES if t in rules["term_years"]),
        term_years=term_years_sql(rules), year_now=patent_year_sql("p.filing_date", "$as_of"),
        first_year=first_annual_fee_year_sql("p.filing_date", "p.grant_date"),
        start_now=period_start_sql("b.filing_date", "b.y_now"),
        term_end=add_years_sql("b.filing_date", "b.term_years"),
        start_cur=period_start_sql("m.filing_date", "m.patent_year"),
        start_next=period_start_sql("m.filing_date", "m.next_patent_year"),
        fee_cur=full_fee_sql(rules, "m.patent_type", "m.patent_year"),
        fee_next=full_fee_sql(rules, "m.patent_type", "m.next_patent_year"),
        state=fee_state_sql("due_date", "grace_period_end", "$as_of", "paid", "seen_on"),
        settled=SETTLED, grace=GRACE)
    params: dict[str, Any] = {"region": scope.region["code"], "industry": (scope.industry or {}).get("code"),
                              "as_of": as_of, **fee_calendar(as_of, rules)}
    return sql, params


def current_fees(conn: duckdb.DuckDBPyConnection, scope: Scope, as_of: dt.date | None = None) -> pa.Table:
    """One row per granted patent (invention, utility model, design) of the scope in force on
    ``as_of`` (default: the scope's date): its current fee and its next one, at full amounts.

    Columns: application_number, patent_type, filing_date, grant_date, first_applicant, the first
    applicant's province/city/county/region codes, sei_codes, seen_on (the day its last import was
    observed), term_years, first_year (the first annual-fee year: the one after the grant year, 2
    where the grant date is unknown), grant_date_known;
    the current fee (null where none is due yet): patent_year, due_date, full_amount,
    grace_period_end, paid (a payment is recorded), settled (an import after the grace period still
    saw it in force), state (:data:`fees.FEE_STATES`, the words of the enterprise end: paid | settled
    | upcoming: due on the date | grace: past due, within the grace period | lapsed: grace period
    over, nothing recorded), late_fee (what paying on the date adds, grace only); the next fee:
    next_patent_year, next_due_date, next_full_amount, next_paid;
    provisional (a date beyond the official holiday calendar).

    In force: status in force at its last import, granted on or before ``as_of``, before the end of
    its term. In-force patents whose grant date the data lacks are in (``grant_date_known`` false):
    their fees fall due on the filing-date anniversaries from patent year 2 (which year was the
    grant year is unknown, so a fee shown may have been paid with the registration).
    """
    as_of = as_of or scope.as_of
    sql, params = fees_sql(scope, as_of, load_rule_set(conn, "annual_fees"))
    return conn.sql(sql, params=named_params(sql, params)).to_arrow_table()
