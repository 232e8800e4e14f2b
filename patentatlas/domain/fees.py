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
from patentatlas.i18n import Message, gettext, message, word
from patentatlas.rules import load_rule_set, packaged_rule_set


def fee_rules(conn: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
    """The annual-fee rules in force (version, source, table, grace, late fees, reduction): the
    store's newest ``annual_fees`` rule set where an office inserted one, else the packaged one —
    one loader (:func:`patentatlas.rules.load_rule_set`) for the enterprise end, the CLI, the
    warnings and the government end. Pure functions here default to the packaged rules."""
    return load_rule_set(conn, "annual_fees")


def no_fee_reason(status: str | None, country: str | None, filing_date: Any) -> Message | None:
    """Why CNIPA asks no annual fee of a stored patent (None: it does) — the Python side of
    :func:`patentatlas.domain.fee_sql.fee_bearing_sql`: a Chinese application (a CN number; a TW,
    WO or foreign one owes CNIPA nothing, whoever its applicant), in force, with a filing date.

    >>> from patentatlas.i18n import translate
    >>> reason = no_fee_reason("lapsed", "CN", dt.date(2015, 3, 2))
    >>> str(reason), translate(reason, "zh")
    ('not in force (status Lapsed): no annual fees', '未处于有效状态（失效），无需缴纳年费')
    """
    if country != "CN":
        return message("fee_none_foreign", country=country or message("unknown"))
    if status != "in_force":
        return message("fee_none_not_in_force", status=word(status or "unknown"))
    if not filing_date:
        return message("fee_none_no_filing_date")
    return None


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


def design_term_from(rules: dict[str, Any] | None = None) -> dt.date:
    """The first filing date of the longer design term (2021-06-01, the 2020 amendment of the Patent
    Law): the rule set's ``design_term_from``, else the packaged rule set's (an office's older rule set
    may lack the key). One place for the date: the Python and the SQL term (:mod:`fee_sql`) read it.

    >>> design_term_from()
    datetime.date(2021, 6, 1)
    """
    day = (rules or fee_rules()).get("design_term_from") or packaged_rule_set("annual_fees")["design_term_from"]
    return dt.date.fromisoformat(str(day))


def term_years(patent_type: str, filing_date: dt.date, rules: dict[str, Any] | None = None) -> int:
    """The legal term: invention 20, utility model 10, design 10 (15 if filed on/after 2021-06-01)."""
    rules = rules or fee_rules()
    if patent_type not in rules["term_years"]:
        raise UsageError(message("err_no_fees_for_type", patent_type=word(patent_type)))
    if patent_type == "design" and filing_date >= design_term_from(rules):
        return int(rules["design_term_years_from_2021_06_01"])
    return int(rules["term_years"][patent_type])


def term_end(patent_type: str, filing_date: dt.date, rules: dict[str, Any] | None = None) -> dt.date:
    """The day the term ends (the patent is in force before it): the filing date's anniversary.

    >>> term_end("invention", dt.date(2004, 2, 29)), term_end("design", dt.date(2021, 6, 1))
    (datetime.date(2024, 2, 29), datetime.date(2036, 6, 1))
    """
    return add_years(filing_date, term_years(patent_type, filing_date, rules))


def full_fee(patent_type: str, patent_year: int, rules: dict[str, Any] | None = None) -> int:
    """The unreduced annual fee of one patent year."""
    for first, last, amount in (rules or fee_rules())["fees"][patent_type]:
        if first <= patent_year <= last:
            return int(amount)
    raise UsageError(message("err_no_patent_year", patent_type=word(patent_type), year=patent_year),
                     field="patent_year")


def patent_year_on(filing_date: dt.date, day: dt.date) -> int:
    """Which patent year ``day`` falls in (year 1 starts on the filing date)."""
    year = day.year - filing_date.year + 1
    if day < add_years(filing_date, year - 1):
        year -= 1
    return year


def grace_month(due_date: dt.date, day: dt.date, rules: dict[str, Any] | None = None) -> int | None:
    """Which month of the grace period ``day`` is in (1 … 6; the days between the sixth month's end and
    a grace end moved to a working day count as the sixth), None on or before the due date.

    >>> grace_month(dt.date(2026, 4, 7), dt.date(2026, 8, 4)), grace_month(dt.date(2026, 4, 7), dt.date(2026, 4, 7))
    (4, None)
    """
    if day <= due_date:
        return None
    months = len((rules or fee_rules())["late_fee_percent_by_month"])
    month = 1
    while month < months and day > add_months(due_date, month):
        month += 1
    return month


def late_fee_percent(due_date: dt.date, grace_end: dt.date, paid_on: dt.date,
                     rules: dict[str, Any] | None = None) -> int | None:
    """The late-fee rate (%) for paying on ``paid_on`` a fee due on ``due_date``: 0 up to the due date,
    then by month late; None once the grace period (to ``grace_end``) is over."""
    rules = rules or fee_rules()
    if paid_on > grace_end:
        return None
    month = grace_month(due_date, paid_on, rules)
    return int(rules["late_fee_percent_by_month"][month - 1]) if month else 0


def late_fee(full_amount: int, due_date: dt.date, paid_on: dt.date, rules: dict[str, Any] | None = None) -> int:
    """滞纳金 for paying on ``paid_on``: a share of the full, unreduced fee by month late
    (0 % in the first month, then 5 … 25 %); 0 when paid on time.

    >>> late_fee(4000, dt.date(2026, 10, 8), dt.date(2026, 11, 20))
    200
    >>> late_fee(4000, dt.date(2023, 4, 4), dt.date(2023, 10, 5))  # 10-04 is a holiday: the grace runs to 10-07
    1000
    """
    rules = rules or fee_rules()
    percent = late_fee_percent(due_date, grace_end_for(due_date, rules)[0], paid_on, rules)
    if percent is None:
        raise UsageError(message("err_paid_after_grace", paid_on=paid_on, due=due_date), field="paid_on")
    return full_amount * percent // 100


def due_date_for(period_start: dt.date) -> tuple[dt.date, bool]:
    """The deadline of the fee of the patent year starting on ``period_start``: that day, moved to the
    next working day; and whether the holiday calendar had to be guessed."""
    return next_working_day(period_start)


def grace_end_for(due_date: dt.date, rules: dict[str, Any] | None = None) -> tuple[dt.date, bool]:
    """The grace period's last day: 6 months after the due date, moved to the next working day."""
    return next_working_day(add_months(due_date, int((rules or fee_rules())["grace_months"])))


# --------------------------------------------------------------------------- where a fee stands

# One vocabulary for a fee's state as of a date, the words the pages, the warnings, the government
# end and the JSON API use (Chinese labels: fee_<state> in web/i18n.py); fee_sql.fee_state_sql is
# the same rule in SQL.
PAID = "paid"  # a payment is recorded
SETTLED = "settled"  # an import observed after the grace period ended still showed the patent in force
UPCOMING = "upcoming"  # due on the date or later
GRACE = "grace"  # past its due date, the grace period running: paying adds a late fee
LAPSED = "lapsed"  # grace period over, nothing paid or seen: the patent terminates as of the due date
FEE_STATES = (PAID, SETTLED, UPCOMING, GRACE, LAPSED)


def fee_state(due_date: dt.date, grace_period_end: dt.date, as_of: dt.date, paid: bool,
              seen_on: dt.date | None) -> str:
    """Where one fee stands on ``as_of`` (one of :data:`FEE_STATES`); ``seen_on``: the day an import
    last saw the patent in force.

    >>> due, grace = dt.date(2026, 10, 8), dt.date(2027, 4, 8)
    >>> [fee_state(due, grace, day, False, None) for day in (due, grace, grace + dt.timedelta(days=1))]
    ['upcoming', 'grace', 'lapsed']
    """
    if paid:
        return PAID
    if seen_on is not None and seen_on > grace_period_end:
        return SETTLED
    if due_date >= as_of:
        return UPCOMING
    return GRACE if grace_period_end >= as_of else LAPSED


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
        out["unknowns"] = unknown_notes(self.unknowns)
        return out


UNKNOWN_PAID_AT_GRANT = "paid_at_grant"
UNKNOWN_REDUCTION_WINDOW = "reduction_window"


def unknown_notes(codes: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """What the data could not tell, each code with its words from the catalogues (msgid
    ``fee_unknown_`` + the code): the one rendering of them (a fee's JSON, the warnings' facts and bodies).

    >>> [n["code"] for n in unknown_notes([UNKNOWN_PAID_AT_GRANT])]
    ['paid_at_grant']
    """
    return [{"code": code, "zh": gettext(f"fee_unknown_{code}", "zh"), "en": gettext(f"fee_unknown_{code}", "en")}
            for code in codes]


def fee_unknowns(grant_date: dt.date | None, period_start: dt.date, as_of: dt.date,
                 reduction: str | None) -> tuple[str, ...]:
    """The UNKNOWN_* codes of one fee: none where the grant date is known; else whether the year may
    have been the grant year (it began by ``as_of``) and, where a reduction is declared, its window."""
    if grant_date is not None:
        return ()
    return ((UNKNOWN_PAID_AT_GRANT,) if period_start <= as_of else ()) + (
        (UNKNOWN_REDUCTION_WINDOW,) if reduction else ())


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
    due, provisional = due_date_for(start)
    grace, grace_provisional = grace_end_for(due, rules)
    full = full_fee(patent_type, patent_year, rules)
    grant_year = patent_year_on(filing_date, grant_date) if grant_date else None
    amount, reduced = _reduced_amount(full, patent_year, grant_year, reduction, rules)
    late = full * (late_fee_percent(due, grace, as_of, rules) or 0) // 100
    return FeeDue(patent_year, start, due, full, amount, reduced, grace, late, due, provisional or grace_provisional,
                  grant_date is not None, fee_unknowns(grant_date, start, as_of, reduction))


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


def current_and_next_fee(filing_date: dt.date, patent_type: str, grant_date: dt.date | None, as_of: dt.date,
                         rules: dict[str, Any] | None = None) -> tuple[FeeDue | None, FeeDue | None]:
    """The government end's two fees of one patent (a row of :func:`region_fees.current_fees`): the
    annual fee due most recently on or before ``as_of`` and the one after it within the term (None
    where there is none), full amounts.

    >>> now, after = current_and_next_fee(dt.date(2015, 10, 3), "invention", dt.date(2018, 5, 2), dt.date(2026, 9, 1))
    >>> now.patent_year, now.due_date, now.grace_period_end, after.due_date
    (11, datetime.date(2025, 10, 9), datetime.date(2026, 4, 9), datetime.date(2026, 10, 8))
    """
    rules = rules or fee_rules()
    current = None
    for year in range(first_annual_fee_year(filing_date, grant_date), term_years(patent_type, filing_date, rules) + 1):
        fee = fee_for_year(filing_date, patent_type, grant_date, year, as_of, None, rules)
        if fee.due_date > as_of:
            return current, fee
        current = fee
    return current, None
