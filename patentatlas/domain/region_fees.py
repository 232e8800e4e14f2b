"""Where the annual fee of every granted patent of a region stands on a date (REFERENCE §3).

The rules are those of :mod:`patentatlas.domain.fees`, applied to a whole region at once: one
DuckDB query over the patents, joined to a small calendar of the days around the date (each
day's due date moved to the next working day, the grace period's end, the late-fee rate as of
the date), computed in Python once per distinct day. Amounts are full fees: the government end
does not know which holders declared a reduction. :mod:`patentatlas.domain.fee_watch` sums
these rows into the warnings of a region.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.domain.fees import add_months, add_years
from patentatlas.domain.high_value import named_params
from patentatlas.domain.indicators import _INDUSTRY_SQL, _REGION_COLUMN, Scope, scope_for
from patentatlas.domain.workdays import next_working_day
from patentatlas.errors import UsageError
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


def _late_percent(due: dt.date, grace_end: dt.date, as_of: dt.date, percents: list[int]) -> int | None:
    """The late-fee rate for paying on ``as_of`` a fee due on ``due``: 0 up to the due date, then by
    month late; None once the grace period has ended. The days between the sixth month's end and a
    grace end moved to a working day pay the last rate."""
    if as_of <= due:
        return 0
    if as_of > grace_end:
        return None
    for month, percent in enumerate(percents, start=1):
        if as_of <= add_months(due, month):
            return int(percent)
    return int(percents[-1])


@lru_cache(maxsize=64)
def _calendar(as_of: dt.date, grace_months: int, percents: tuple[int, ...]) -> dict[str, list[Any]]:
    """For every day a patent year can start on around ``as_of`` (two years before to one after):
    the due date, the grace period's end, the late-fee rate as of ``as_of``, whether provisional."""
    day, last = add_years(as_of, -2) - dt.timedelta(days=3), add_years(as_of, 1) + dt.timedelta(days=3)
    out: dict[str, list[Any]] = {"cal_day": [], "cal_due": [], "cal_grace": [], "cal_pct": [], "cal_prov": []}
    while day <= last:
        due, guessed = next_working_day(day)
        grace, grace_guessed = next_working_day(add_months(due, grace_months))
        out["cal_day"].append(day)
        out["cal_due"].append(due)
        out["cal_grace"].append(grace)
        out["cal_pct"].append(_late_percent(due, grace, as_of, list(percents)))
        out["cal_prov"].append(guessed or grace_guessed)
        day += dt.timedelta(days=1)
    return out


def _fee_table(rules: dict[str, Any]) -> dict[str, list[Any]]:
    rows = [(t, year, int(amount)) for t in FEE_TYPES for first, last, amount in rules["fees"][t]
            for year in range(int(first), int(last) + 1)]
    return {"fee_type": [r[0] for r in rows], "fee_year": [r[1] for r in rows], "fee_amount": [r[2] for r in rows]}


# --------------------------------------------------------------------------- the fees of a region


def _year_on(start: str, day: str) -> str:
    """SQL: the patent year (1 from the filing date ``start``) that ``day`` falls in."""
    return (f"(year({day}) - year({start}) + 1 - CASE WHEN {day} < CAST({start} + to_years(year({day}) - "
            f"year({start})) AS DATE) THEN 1 ELSE 0 END)")


def _start(year: str) -> str:
    return f"CAST(filing_date + to_years({year} - 1) AS DATE)"


_FEES_SQL = """WITH cal AS (SELECT unnest($cal_day) AS day, unnest($cal_due) AS due, unnest($cal_grace) AS grace,
    unnest($cal_pct) AS pct, unnest($cal_prov) AS provisional),
fee AS (SELECT unnest($fee_type) AS patent_type, unnest($fee_year) AS patent_year, unnest($fee_amount) AS amount),
base AS (
  SELECT p.application_number, p.patent_type, p.filing_date, p.grant_date, p.applicant_names[1] AS first_applicant,
    p.first_applicant_province_code AS province_code, p.first_applicant_city_code AS city_code,
    p.first_applicant_county_code AS county_code, p.first_applicant_region_code AS region_code,
    coalesce(p.sei_codes, []) AS sei_codes, ib.observed_on AS seen_on,
    CASE WHEN p.patent_type = 'design' AND p.filing_date >= $design_cut THEN $design_term
         WHEN p.patent_type = 'invention' THEN $invention_term ELSE $other_term END AS term_years,
    {year_now} AS y_now, coalesce({grant_year} + 1, 2) AS first_year, p.grant_date IS NOT NULL AS grant_date_known
  FROM patents p LEFT JOIN import_batches ib ON ib.batch_id = p.last_batch_id
  WHERE {where} AND p.status = 'in_force' AND p.patent_type IN ('invention', 'utility_model', 'design')
    AND (p.grant_date <= $as_of OR p.grant_date IS NULL) AND p.filing_date <= $as_of),
years AS (
  SELECT b.*, CASE WHEN c0.due <= $as_of THEN y_now ELSE y_now - 1 END AS cur
  FROM base b LEFT JOIN cal c0 ON c0.day = {start_now}
  WHERE $as_of < CAST(b.filing_date + to_years(b.term_years) AS DATE)),
marked AS (
  SELECT y.* EXCLUDE (y_now, cur), CASE WHEN cur >= first_year THEN cur END AS patent_year,
    CASE WHEN greatest(cur + 1, first_year) <= term_years THEN greatest(cur + 1, first_year) END AS next_patent_year
  FROM years y),
f AS (
  SELECT m.*, c1.due AS due_date, f1.amount AS full_amount, c1.grace AS grace_period_end,
    pay1.application_number IS NOT NULL AS paid,
    pay1.application_number IS NULL AND coalesce(m.seen_on > c1.grace, FALSE) AS settled,
    c1.pct AS pct, c2.due AS next_due_date, f2.amount AS next_full_amount,
    pay2.application_number IS NOT NULL AS next_paid,
    coalesce(c1.provisional, FALSE) OR coalesce(c2.provisional, FALSE) AS provisional
  FROM marked m
  LEFT JOIN cal c1 ON m.patent_year IS NOT NULL AND c1.day = {start_cur}
  LEFT JOIN fee f1 ON f1.patent_type = m.patent_type AND f1.patent_year = m.patent_year
  LEFT JOIN paid_fees pay1 ON pay1.application_number = m.application_number AND pay1.patent_year = m.patent_year
  LEFT JOIN cal c2 ON m.next_patent_year IS NOT NULL AND c2.day = {start_next}
  LEFT JOIN fee f2 ON f2.patent_type = m.patent_type AND f2.patent_year = m.next_patent_year
  LEFT JOIN paid_fees pay2 ON pay2.application_number = m.application_number
    AND pay2.patent_year = m.next_patent_year)
SELECT * EXCLUDE (pct, paid, settled, state), paid, settled, state,
  CASE WHEN state = 'grace' THEN full_amount * pct // 100 ELSE 0 END AS late_fee
FROM (SELECT *, CASE WHEN patent_year IS NULL THEN NULL WHEN paid THEN 'paid' WHEN settled THEN 'settled'
                     WHEN due_date = $as_of THEN 'due' WHEN grace_period_end >= $as_of THEN 'grace'
                     ELSE 'overdue' END AS state FROM f)"""


def scope_where(scope: Scope) -> str:
    """SQL over ``patents p``: the scope's region (by the first applicant) and industry."""
    return " AND ".join([_REGION_COLUMN[scope.region["level"]], *([_INDUSTRY_SQL] if scope.industry else [])])


def fees_sql(scope: Scope, as_of: dt.date, rules: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The query of :func:`current_fees` and its parameters (for use as a subquery)."""
    sql = _FEES_SQL.format(where=scope_where(scope), year_now=_year_on("p.filing_date", "$as_of"),
                           grant_year=_year_on("p.filing_date", "p.grant_date"), start_now=_start("b.y_now"),
                           start_cur=_start("m.patent_year"), start_next=_start("m.next_patent_year"))
    terms = rules["term_years"]
    params: dict[str, Any] = {
        "region": scope.region["code"], "industry": (scope.industry or {}).get("code"), "as_of": as_of,
        "design_cut": dt.date(2021, 6, 1), "design_term": int(rules["design_term_years_from_2021_06_01"]),
        "invention_term": int(terms["invention"]), "other_term": int(terms["utility_model"]),
        **_calendar(as_of, int(rules["grace_months"]), tuple(int(p) for p in rules["late_fee_percent_by_month"])),
        **_fee_table(rules),
    }
    if int(terms["utility_model"]) != int(terms["design"]):
        raise UsageError("annual_fees rule set: utility models and designs (filed before 2021-06-01) must have "
                         "the same term")
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
    saw it in force), state (paid | settled | due: due on the date | grace: past due, within the
    grace period | overdue: grace period over, nothing recorded), late_fee (what paying on the date
    adds, grace only); the next fee: next_patent_year, next_due_date, next_full_amount, next_paid;
    provisional (a date beyond the official holiday calendar).

    In force: status in force at its last import, granted on or before ``as_of``, before the end of
    its term. In-force patents whose grant date the data lacks are in (``grant_date_known`` false):
    their fees fall due on the filing-date anniversaries from patent year 2 (which year was the
    grant year is unknown, so a fee shown may have been paid with the registration).
    """
    as_of = as_of or scope.as_of
    sql, params = fees_sql(scope, as_of, load_rule_set(conn, "annual_fees"))
    return conn.sql(sql, params=named_params(sql, params)).to_arrow_table()
