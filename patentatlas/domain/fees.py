"""Annual fees (年费), REFERENCE §3: due dates, amounts, reduction, grace period and late fees.

The schedule is data (``rules/annual_fees.json``, with its version and source). Patent years
count from the filing date; the fee for year *n* is due on the filing date's anniversary that
starts year *n*, moved to the next working day. The fee of the year in which the grant is
registered is paid with the registration, so the schedule starts with the following year.

A patent known to be granted and in force whose grant date the data lacks (incoPat lists many
granted inventions by their A publication only) still owes its fees on the filing-date
anniversaries: its schedule runs from patent year 2, and each fee names what the missing date
leaves unknown (:data:`UNKNOWN_PAID_AT_GRANT`: whether the year was the grant year, its fee paid
with the registration; :data:`UNKNOWN_REDUCTION_WINDOW`: whether a declared reduction still runs).
It is never guessed: the amount is the full fee.

>>> due = fee_schedule(dt.date(2015, 10, 3), "invention", dt.date(2018, 5, 2), dt.date(2026, 9, 1))[0]
>>> due.patent_year, due.due_date, due.amount
(12, datetime.date(2026, 10, 8), 4000)
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from patentatlas.domain.workdays import next_working_day
from patentatlas.errors import UsageError
from patentatlas.rules import load_rule_set


def fee_rules(conn: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
    """The annual-fee rules in force (version, source, table, grace, late fees, reduction): the
    store's newest ``annual_fees`` rule set where an office inserted one, else the packaged one —
    one loader (:func:`patentatlas.rules.load_rule_set`) for the enterprise end, the CLI, the
    warnings and the government end. Pure functions here default to the packaged rules."""
    return load_rule_set(conn, "annual_fees")


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or that month's last day where it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_years(patent_type: str, filing_date: dt.date, rules: dict[str, Any] | None = None) -> int:
    """The legal term: invention 20, utility model 10, design 10 (15 if filed on/after 2021-06-01)."""
    rules = rules or fee_rules()
    if patent_type not in rules["term_years"]:
        raise UsageError(f"no annual fees for patent type {patent_type!r}")
    if patent_type == "design" and filing_date >= dt.date(2021, 6, 1):
        return int(rules["design_term_years_from_2021_06_01"])
    return int(rules["term_years"][patent_type])


def full_fee(patent_type: str, patent_year: int, rules: dict[str, Any] | None = None) -> int:
    """The unreduced annual fee of one patent year."""
    for first, last, amount in (rules or fee_rules())["fees"][patent_type]:
        if first <= patent_year <= last:
            return int(amount)
    raise UsageError(f"a {patent_type} has no patent year {patent_year}")


def patent_year_on(filing_date: dt.date, day: dt.date) -> int:
    """Which patent year ``day`` falls in (year 1 starts on the filing date)."""
    year = day.year - filing_date.year + 1
    if day < add_years(filing_date, year - 1):
        year -= 1
    return year


def late_fee(full_amount: int, due_date: dt.date, paid_on: dt.date, rules: dict[str, Any] | None = None) -> int:
    """滞纳金 for paying on ``paid_on``: a share of the full, unreduced fee by month late
    (0 % in the first month, then 5 … 25 %); 0 when paid on time.

    >>> late_fee(4000, dt.date(2026, 10, 8), dt.date(2026, 11, 20))
    200
    >>> late_fee(4000, dt.date(2023, 4, 4), dt.date(2023, 10, 5))  # 10-04 is a holiday: the grace runs to 10-07
    1000
    """
    rules = rules or fee_rules()
    percents = rules["late_fee_percent_by_month"]
    if paid_on <= due_date:
        return 0
    for month, percent in enumerate(percents, start=1):
        if paid_on <= add_months(due_date, month):
            return full_amount * int(percent) // 100
    if paid_on <= next_working_day(add_months(due_date, len(percents)))[0]:
        return full_amount * int(percents[-1]) // 100  # the grace period's last day moved to a working day
    raise UsageError(f"{paid_on} is after the grace period of the fee due {due_date}: the patent has lapsed")


@dataclass(frozen=True)
class FeeDue:
    """One year's fee: when, how much, and what paying late would cost."""

    patent_year: int
    period_start: dt.date
    due_date: dt.date
    full_amount: int
    amount: int  # what is payable: reduced where the holder declared eligibility
    reduced: bool
    grace_period_end: dt.date
    late_fee: int  # what paying on the as-of date would add
    lapses_on: dt.date  # termination date if nothing is paid by the end of the grace period
    provisional: bool  # the holiday calendar did not cover a date used
    grant_date_known: bool = True
    unknowns: tuple[str, ...] = ()  # what the data could not tell (UNKNOWN_*), each explained

    def to_dict(self) -> dict[str, Any]:
        out = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asdict(self).items()}
        out["unknowns"] = [{"code": u, "zh": UNKNOWN_TEXT[u][0], "en": UNKNOWN_TEXT[u][1]} for u in self.unknowns]
        return out


UNKNOWN_PAID_AT_GRANT = "paid_at_grant"
UNKNOWN_REDUCTION_WINDOW = "reduction_window"
UNKNOWN_TEXT = {
    UNKNOWN_PAID_AT_GRANT: ("授权日未知：本年度可能是授权登记的年度，其年费随授权登记缴纳",
                            "grant date unknown: this may be the year the grant was registered, its fee paid "
                            "with the registration"),
    UNKNOWN_REDUCTION_WINDOW: ("授权日未知：无法判断费减（授权当年起十年）是否仍适用，按全额计算",
                               "grant date unknown: whether the declared reduction (ten years from the grant "
                               "year) still applies cannot be judged; the full fee is shown"),
}


def first_annual_fee_year(filing_date: dt.date, grant_date: dt.date | None) -> int:
    """The first patent year whose fee is an annual fee: the one after the grant year (that year's
    fee is paid with the registration); 2 when the grant date is unknown (the earliest grant year
    is year 1).

    >>> filed = dt.date(2015, 10, 3)
    >>> first_annual_fee_year(filed, dt.date(2018, 5, 2)), first_annual_fee_year(filed, None)
    (4, 2)
    """
    return patent_year_on(filing_date, grant_date) + 1 if grant_date else 2


def _reduced_amount(full: int, patent_year: int, grant_year: int | None, reduction: str | None,
                    rules: dict[str, Any]) -> tuple[int, bool]:
    if reduction is None or grant_year is None:
        return full, False
    cut = rules["reduction"]
    if not grant_year <= patent_year < grant_year + int(cut["years_from_grant_year"]):
        return full, False
    percent = int(cut["single_applicant_percent" if reduction == "single" else "joint_applicants_percent"])
    return full * (100 - percent) // 100, True


def fee_for_year(filing_date: dt.date, patent_type: str, grant_date: dt.date | None, patent_year: int,
                 as_of: dt.date, reduction: str | None = None, rules: dict[str, Any] | None = None) -> FeeDue:
    """The fee of one patent year as of a date. ``reduction``: None, ``"single"`` or ``"joint"``;
    ``grant_date`` None: granted, date unknown (see the module's notes)."""
    rules = rules or fee_rules()
    start = add_years(filing_date, patent_year - 1)
    due, provisional = next_working_day(start)
    grace, grace_provisional = next_working_day(add_months(due, int(rules["grace_months"])))
    full = full_fee(patent_type, patent_year, rules)
    grant_year = patent_year_on(filing_date, grant_date) if grant_date else None
    amount, reduced = _reduced_amount(full, patent_year, grant_year, reduction, rules)
    late = late_fee(full, due, as_of, rules) if due < as_of <= grace else 0
    unknowns: tuple[str, ...] = ()
    if grant_date is None:
        unknowns = ((UNKNOWN_PAID_AT_GRANT,) if start <= as_of else ()) + (
            (UNKNOWN_REDUCTION_WINDOW,) if reduction else ())
    return FeeDue(patent_year, start, due, full, amount, reduced, grace, late, due, provisional or grace_provisional,
                  grant_date is not None, unknowns)


def fee_schedule(filing_date: dt.date, patent_type: str, grant_date: dt.date | None, as_of: dt.date,
                 reduction: str | None = None, rules: dict[str, Any] | None = None) -> list[FeeDue]:
    """Every fee still to pay as of ``as_of``: from the first year whose grace period has not
    ended (years before it are taken as paid) to the last year of the term.

    >>> [f.patent_year for f in fee_schedule(dt.date(2019, 3, 1), "utility_model", None, dt.date(2026, 12, 3))]
    [9, 10]
    """
    rules = rules or fee_rules()
    first = first_annual_fee_year(filing_date, grant_date)
    last = term_years(patent_type, filing_date, rules)
    schedule = []
    for year in range(first, last + 1):
        fee = fee_for_year(filing_date, patent_type, grant_date, year, as_of, reduction, rules)
        if fee.grace_period_end >= as_of:
            schedule.append(fee)
    return schedule
