"""The annual-fee engine against the worked examples of REFERENCE §3."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from patentatlas.cli import main
from patentatlas.domain.fees import add_years, fee_for_year, fee_schedule, late_fee, term_years
from patentatlas.domain.workdays import calendar_through, next_working_day, package_calendar, use_official_calendar
from patentatlas.errors import UsageError

D = dt.date


def test_reference_example_due_date_moves_past_national_day() -> None:
    # an invention filed 2015-10-03: patent year 12 runs 2026-10-03 … 2027-10-02; its 4,000 yuan
    # are due 2026-10-03, which falls in the National Day holiday → 2026-10-08
    fee = fee_for_year(D(2015, 10, 3), "invention", D(2018, 5, 2), 12, D(2026, 9, 1))
    assert (fee.period_start, fee.due_date, fee.full_amount, fee.amount) == (D(2026, 10, 3), D(2026, 10, 8), 4000, 4000)
    assert (fee.late_fee, fee.lapses_on) == (0, D(2026, 10, 8))


@pytest.mark.parametrize(
    ("paid_on", "fee"),
    [(D(2026, 10, 8), 0), (D(2026, 11, 8), 0), (D(2026, 11, 20), 200), (D(2026, 12, 9), 400),
     (D(2027, 4, 8), 1000)],
)
def test_late_fee_by_month(paid_on: dt.date, fee: int) -> None:
    # due 2026-10-08, paid 2026-11-20 (2nd month late) → 5 % of 4,000 = 200 (REFERENCE §3)
    assert late_fee(4000, D(2026, 10, 8), paid_on) == fee


def test_after_the_grace_period_the_patent_has_lapsed() -> None:
    with pytest.raises(UsageError, match="grace period"):
        late_fee(4000, D(2026, 10, 8), D(2027, 4, 9))


def test_grace_period_and_provisional_dates() -> None:
    fee = fee_for_year(D(2015, 10, 3), "invention", D(2018, 5, 2), 12, D(2026, 11, 20))
    # 2027 is beyond the official calendar's data: weekends only, marked provisional
    assert (fee.grace_period_end, fee.late_fee, fee.provisional) == (D(2027, 4, 8), 200, True)
    assert next_working_day(D(2026, 10, 3)) == (D(2026, 10, 8), False)
    assert next_working_day(D(2027, 5, 1)) == (D(2027, 5, 3), True)


def test_a_year_no_calendar_release_covers_moves_weekends_only() -> None:
    previous = use_official_calendar(None)  # the installed chinese-calendar package itself
    try:
        assert next_working_day(D(2200, 1, 4)) == (D(2200, 1, 6), True)  # Saturday → Monday
        assert next_working_day(D(2200, 5, 1)) == (D(2200, 5, 1), True)  # a Thursday: May Day unknown
        assert next_working_day(D(2026, 10, 3)) == (D(2026, 10, 8), False)  # National Day, known
        assert next_working_day(D(2026, 9, 28)) == (D(2026, 9, 28), False)  # a Monday
    finally:
        use_official_calendar(previous)


def test_a_new_holiday_year_arrives_with_the_calendar() -> None:
    # what upgrading chinese-calendar does: a calendar that knows 2027 (here its May Day holiday,
    # 1–5 May) makes 2027 deadlines official, no longer provisional
    may_day = {D(2027, 5, d) for d in range(1, 6)}

    def knows_2027(day: dt.date) -> bool:
        if day.year == 2027:
            return day.weekday() < 5 and day not in may_day
        return package_calendar(day)

    previous = use_official_calendar(calendar_through(2027, knows_2027))
    try:
        assert next_working_day(D(2027, 5, 1)) == (D(2027, 5, 6), False)
        assert next_working_day(D(2028, 1, 1)) == (D(2028, 1, 3), True)  # 2028 still unknown
        fee = fee_for_year(D(2015, 10, 3), "invention", D(2018, 5, 2), 12, D(2026, 11, 20))
        assert (fee.grace_period_end, fee.provisional) == (D(2027, 4, 8), False)
    finally:
        use_official_calendar(previous)


def test_reduction_applies_to_ten_years_from_the_grant_year() -> None:
    # Toyota CN202010302257.8: filed 2020-04-16, granted 2023-03-17 in patent year 3
    schedule = fee_schedule(D(2020, 4, 16), "invention", D(2023, 3, 17), D(2023, 1, 1), "single")
    first = schedule[0]
    # 2023-04-16 is a Sunday → Monday 17th; 1,200 less 85 % = 180
    assert (first.patent_year, first.due_date, first.full_amount, first.amount, first.reduced) == (
        4, D(2023, 4, 17), 1200, 180, True)
    by_year = {f.patent_year: (f.amount, f.reduced) for f in schedule}
    assert by_year[12] == (600, True)  # 4,000 less 85 %
    assert by_year[13] == (6000, False)  # the eleventh year from the grant year: full fee
    joint = fee_schedule(D(2020, 4, 16), "invention", D(2023, 3, 17), D(2023, 1, 1), "joint")
    assert joint[0].amount == 360  # 1,200 less 70 %
    assert [f.patent_year for f in schedule] == list(range(4, 21))


def test_terms_by_type() -> None:
    assert term_years("invention", D(2015, 1, 1)) == 20
    assert term_years("utility_model", D(2015, 1, 1)) == 10
    assert term_years("design", D(2021, 5, 31)) == 10
    assert term_years("design", D(2021, 6, 1)) == 15
    schedule = fee_schedule(D(2021, 12, 30), "utility_model", D(2022, 4, 26), D(2022, 5, 1))
    assert [f.patent_year for f in schedule] == list(range(2, 11))
    assert [f.full_amount for f in schedule][:4] == [600, 600, 900, 900]


def test_leap_day_filing_anniversary() -> None:
    assert add_years(D(2020, 2, 29), 1) == D(2021, 2, 28)


def test_cli_fees_for_a_real_patent(loaded_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(loaded_db), "fees", "ZL202010302257.8", "--as-of",
                                       "2026-06-20", "--reduced", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["application_number"], report["status"]) == ("CN202010302257.8", "in_force")
    # year 7 (2026-04-16 …) was due 2026-04-16; on 2026-06-20 it is in its 3rd month late: 10 % of
    # the full 2,000 yuan, while the reduced fee itself is 300
    assert report["next_due"] == {
        "patent_year": 7, "period_start": "2026-04-16", "due_date": "2026-04-16", "full_amount": 2000,
        "amount": 300, "reduced": True, "grace_period_end": "2026-10-16", "late_fee": 200,
        "lapses_on": "2026-04-16", "provisional": False, "grant_date_known": True, "unknowns": []}
    assert [f["patent_year"] for f in report["schedule"]] == list(range(7, 21))
    assert report["rules"]["version"] == 1


def test_late_fee_on_a_grace_period_end_moved_past_a_holiday() -> None:
    # due 2023-04-04; six months later is 2023-10-04, in the National Day holiday, so the grace period
    # runs to the next working day, Saturday 2023-10-07 (a make-up working day): paying on 10-05 is
    # still possible, at the 6th month's 25 % of 4,000 = 1,000 yuan
    assert late_fee(4000, dt.date(2023, 4, 4), dt.date(2023, 10, 5)) == 1000
    fee = fee_for_year(dt.date(2013, 4, 4), "invention", dt.date(2016, 1, 5), 11, dt.date(2023, 10, 5))
    assert (fee.due_date, fee.grace_period_end, fee.late_fee) == (dt.date(2023, 4, 4), dt.date(2023, 10, 7), 1000)
