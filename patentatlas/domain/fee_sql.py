"""The annual-fee rules (REFERENCE §2, §3) as DuckDB SQL, generated from the rule data that
:mod:`patentatlas.domain.fees` reads: one definition of the term, the patent year, the period's
start, the full fee and a fee's state for every query over many patents (the government end, the
warnings, the value scores).

Each function returns an SQL expression over the column expressions it is given, the rule's
numbers written in as literals (integers and ISO dates checked here, never text from a file). The
days that need the holiday calendar (a due date moved to the next working day, the grace period's
end) come from :func:`fee_calendar`, a small table built by the Python rule functions themselves.
Python and SQL agree patent for patent: ``tests/test_fee_engines.py`` runs both over every patent
of the demo store on the boundary days.

>>> from patentatlas.rules import packaged_rule_set
>>> term_end_sql(packaged_rule_set("annual_fees"), "kind", "filed")  # doctest: +NORMALIZE_WHITESPACE
"CAST(filed + to_years((CASE WHEN kind = 'design' AND filed >= DATE '2021-06-01' THEN 15 WHEN kind = 'invention'
THEN 20 WHEN kind = 'utility_model' THEN 10 WHEN kind = 'design' THEN 10 END)) AS DATE)"
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from patentatlas.domain.fees import (
    GRACE,
    LAPSED,
    PAID,
    SETTLED,
    UPCOMING,
    add_years,
    design_term_from,
    due_date_for,
    grace_end_for,
    late_fee_percent,
)
from patentatlas.errors import UsageError

_TYPE = re.compile(r"[a-z_]+")


def fee_bearing_sql(alias: str = "p") -> str:
    """The stored patents CNIPA asks annual fees of (:func:`patentatlas.domain.fees.no_fee_reason`):
    Chinese applications, in force, with a filing date."""
    return f"{alias}.country = 'CN' AND {alias}.status = 'in_force' AND {alias}.filing_date IS NOT NULL"


def _kind(name: str) -> str:
    """A patent type as an SQL literal (the rule set's keys are plain words)."""
    if not _TYPE.fullmatch(name):
        raise UsageError(f"annual_fees rule set: {name!r} is not a patent type")
    return f"'{name}'"


def add_years_sql(day: str, years: str) -> str:
    """``day`` ``years`` later; 29 February becomes 28 February in common years (as :func:`fees.add_years`)."""
    return f"CAST({day} + to_years({years}) AS DATE)"


def term_years_sql(rules: dict[str, Any], kind: str = "p.patent_type", filing: str = "p.filing_date") -> str:
    """The legal term in years (NULL for a type without annual fees), as :func:`fees.term_years`."""
    design = (f"WHEN {kind} = 'design' AND {filing} >= DATE '{design_term_from(rules).isoformat()}' "
              f"THEN {int(rules['design_term_years_from_2021_06_01'])}")
    plain = " ".join(f"WHEN {kind} = {_kind(t)} THEN {int(years)}" for t, years in rules["term_years"].items())
    return f"(CASE {design} {plain} END)"


def term_end_sql(rules: dict[str, Any], kind: str = "p.patent_type", filing: str = "p.filing_date") -> str:
    """The day the term ends (in force before it), as :func:`fees.term_end`."""
    return add_years_sql(filing, term_years_sql(rules, kind, filing))


def patent_year_sql(filing: str, day: str) -> str:
    """The patent year (1 from the filing date) that ``day`` falls in, as :func:`fees.patent_year_on`."""
    years = f"year({day}) - year({filing})"
    return f"({years} + 1 - CASE WHEN {day} < {add_years_sql(filing, years)} THEN 1 ELSE 0 END)"


def first_annual_fee_year_sql(filing: str, grant: str) -> str:
    """The first patent year whose fee is an annual fee, as :func:`fees.first_annual_fee_year`: the
    year after the grant year, 2 where the grant date is unknown (NULL)."""
    return f"coalesce({patent_year_sql(filing, grant)} + 1, 2)"


def period_start_sql(filing: str, year: str) -> str:
    """The first day of patent year ``year``: the filing date's anniversary."""
    return add_years_sql(filing, f"{year} - 1")


def full_fee_sql(rules: dict[str, Any], kind: str, year: str) -> str:
    """The unreduced fee of patent year ``year`` (NULL outside the table), as :func:`fees.full_fee`."""
    whens = " ".join(f"WHEN {kind} = {_kind(t)} AND {year} BETWEEN {int(first)} AND {int(last)} THEN {int(amount)}"
                     for t, rows in rules["fees"].items() for first, last, amount in rows)
    return f"(CASE {whens} END)"


def fee_state_sql(due: str, grace_end: str, as_of: str, paid: str, seen_on: str) -> str:
    """Where a fee stands on ``as_of`` (one of :data:`fees.FEE_STATES`), as :func:`fees.fee_state`; ``paid``
    a boolean, ``seen_on`` the day an import last saw the patent in force (may be NULL)."""
    return (f"CASE WHEN {paid} THEN '{PAID}' WHEN coalesce({seen_on} > {grace_end}, FALSE) THEN '{SETTLED}' "
            f"WHEN {due} >= {as_of} THEN '{UPCOMING}' WHEN {grace_end} >= {as_of} THEN '{GRACE}' "
            f"ELSE '{LAPSED}' END")


def fee_calendar(as_of: dt.date, rules: dict[str, Any], years_before: int = 2,
                 years_after: int = 1) -> dict[str, list[Any]]:
    """For every day a patent year can start on around ``as_of``: ``cal_day``, its fee's due date
    ``cal_due``, the grace period's end ``cal_grace``, the late-fee rate for paying on ``as_of``
    ``cal_pct`` (NULL once the grace period is over) and ``cal_prov`` (a date beyond the official
    holiday calendar) — lists to ``unnest`` into a table, computed by the Python rule functions."""
    day = add_years(as_of, -years_before) - dt.timedelta(days=3)
    last = add_years(as_of, years_after) + dt.timedelta(days=3)
    out: dict[str, list[Any]] = {"cal_day": [], "cal_due": [], "cal_grace": [], "cal_pct": [], "cal_prov": []}
    while day <= last:
        due, guessed = due_date_for(day)
        grace, grace_guessed = grace_end_for(due, rules)
        for name, value in (("cal_day", day), ("cal_due", due), ("cal_grace", grace),
                            ("cal_pct", late_fee_percent(due, grace, as_of, rules)),
                            ("cal_prov", guessed or grace_guessed)):
            out[name].append(value)
        day += dt.timedelta(days=1)
    return out
