"""One fee engine (issue 12): the government end's SQL (region_fees, written by fee_sql from the rule
data) and the Python rule functions of fees.py give every patent of the demo store (the four real
exports, observed 2023-05-15) the same current fee, next fee, amounts, grace end and state, on the
boundary days: a due day, the last grace day, the day after, a term end and the day before, the
29 February filings' anniversaries, a day beyond the holiday calendar. Fixed expected values pin
one 29 February utility model and the state rule through both paths."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from patentatlas.domain.fee_sql import fee_state_sql, term_end_sql
from patentatlas.domain.fees import (
    GRACE,
    current_and_next_fee,
    fee_rules,
    fee_state,
    first_annual_fee_year,
    no_fee_reason,
    term_end,
    term_years,
)
from patentatlas.domain.high_value import named_params
from patentatlas.domain.region_fees import fees_sql, warning_scope

D = dt.date
# utility model filed 2016-02-29, granted 2016-08-17 (patent year 1): year 9 starts on 2024-02-29, year 10
# on 2025-02-28 (no 29 February in 2025); its 10-year term ends 2026-02-28
LEAP = "CN201620152940.7"
# the Chinese application in force whose term ends first: an invention filed 2003-08-21, its
# 20-year term ends 2023-08-21 (a US application of an American applicant, filed 2003-05-21, got CN
# fees until fees were asked of Chinese applications only: it is in neither engine's rows now)
OLDEST = "CN03154395.2"
FOREIGN = "US10443653"
AS_OF_DATES = (
    D(2022, 10, 8),  # the first working day after the National Day holiday: due dates moved to it
    D(2023, 5, 15),  # the observation day: grace periods ended before it are settled
    D(2023, 8, 20), D(2023, 8, 21),  # OLDEST's last day in force, its term end
    D(2024, 2, 29), D(2024, 8, 29), D(2024, 8, 30),  # LEAP's due day, last grace day, the day after
    D(2025, 2, 28),  # LEAP's year 10 falls due (29 February in a common year)
    D(2026, 2, 27), D(2026, 2, 28),  # LEAP's last day in force, its term end
    D(2027, 1, 4),  # beyond the tests' holiday calendar (2026): weekends only, provisional
)
COLUMNS = ("term_years", "first_year", "patent_year", "due_date", "full_amount", "grace_period_end", "state",
           "late_fee", "settled", "next_patent_year", "next_due_date", "next_full_amount", "provisional")


@pytest.fixture(scope="module")
def conn(observed_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(observed_db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def engines(conn: duckdb.DuckDBPyConnection) -> Callable[[dt.date], tuple[dict, dict]]:
    """Both engines' rows on a date, each date computed once for the module."""
    return functools.cache(lambda as_of: (sql_rows(conn, as_of), python_rows(conn, as_of)))


def sql_rows(conn: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """The government end's rows of every patent of the store (no region filter)."""
    sql, params = fees_sql(warning_scope(conn, "100000"), as_of, fee_rules(conn), where="TRUE")
    rows = conn.sql(sql, params=named_params(sql, params)).to_arrow_table().to_pylist()
    return {r["application_number"]: {k: r[k] for k in COLUMNS} for r in rows}


def python_rows(conn: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """The same, patent by patent with the Python rule functions: a Chinese application in force at
    its last import (fees.no_fee_reason), filed and granted by the date, before its term's end."""
    rules = fee_rules(conn)
    patents = conn.execute(
        "SELECT p.application_number, p.patent_type, p.filing_date, p.grant_date, b.observed_on, p.status, p.country "
        "FROM patents p LEFT JOIN import_batches b ON b.batch_id = p.last_batch_id").fetchall()
    paid = set(conn.execute("SELECT application_number, patent_year FROM paid_fees").fetchall())
    out = {}
    for number, kind, filing, grant, seen, status, country in patents:
        if (no_fee_reason(status, country, filing) or kind not in rules["term_years"] or filing > as_of
                or (grant and grant > as_of) or as_of >= term_end(kind, filing, rules)):
            continue
        now, after = current_and_next_fee(filing, kind, grant, as_of, rules)
        state = fee_state(now.due_date, now.grace_period_end, as_of, (number, now.patent_year) in paid,
                          seen) if now else None
        out[number] = {
            "term_years": term_years(kind, filing, rules), "first_year": first_annual_fee_year(filing, grant),
            "patent_year": now and now.patent_year, "due_date": now and now.due_date,
            "full_amount": now and now.full_amount, "grace_period_end": now and now.grace_period_end,
            "state": state, "late_fee": now.late_fee if now and state == GRACE else 0, "settled": state == "settled",
            "next_patent_year": after and after.patent_year, "next_due_date": after and after.due_date,
            "next_full_amount": after and after.full_amount,
            "provisional": bool(now and now.provisional) or bool(after and after.provisional),
        }
    return out


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_both_engines_agree_on_every_patent(engines: Callable, as_of: dt.date) -> None:
    by_sql, by_python = engines(as_of)
    assert set(by_sql) == set(by_python)
    differing = {n: (by_sql[n], by_python[n]) for n in by_sql if by_sql[n] != by_python[n]}
    assert list(differing.items())[:3] == []
    assert len(by_sql) > 3000  # most of the 5,566 in force are monitored on every date (the CN applications)


def test_the_boundary_days_are_reached(engines: Callable) -> None:
    """The dates above do fall on the boundaries they are meant to test, for more patents than LEAP."""
    rows = {day: engines(day)[0] for day in AS_OF_DATES}
    assert (OLDEST in rows[D(2023, 8, 20)], OLDEST in rows[D(2023, 8, 21)]) == (True, False)
    assert not any(FOREIGN in day for day in rows.values())
    assert (LEAP in rows[D(2026, 2, 27)], LEAP in rows[D(2026, 2, 28)]) == (True, False)

    def states(day: dt.date, column: str, value: dt.date) -> Counter[str]:
        return Counter(r["state"] for r in rows[day].values() if r[column] == value)

    # fees due on the day after the National Day holiday, their grace periods settled by the import
    assert states(D(2022, 10, 8), "due_date", D(2022, 10, 8)) == {"settled": 19}
    assert states(D(2023, 5, 15), "due_date", D(2023, 5, 15)) == {"upcoming": 38}
    assert states(D(2024, 2, 29), "due_date", D(2024, 2, 29)) == {"upcoming": 6}
    assert states(D(2024, 8, 29), "grace_period_end", D(2024, 8, 29)) == {"grace": 6}
    assert states(D(2024, 8, 30), "grace_period_end", D(2024, 8, 29)) == {"lapsed": 6}
    beyond = rows[D(2027, 1, 4)].values()
    assert (len(beyond), sum(r["provisional"] for r in beyond)) == (3878, 3709)


@pytest.mark.parametrize(("as_of", "expected"), [
    (D(2024, 2, 29), (9, D(2024, 2, 29), 2000, D(2024, 8, 29), "upcoming", 0, 10, D(2025, 2, 28))),
    (D(2024, 8, 29), (9, D(2024, 2, 29), 2000, D(2024, 8, 29), "grace", 500, 10, D(2025, 2, 28))),  # month 6: 25 %
    (D(2024, 8, 30), (9, D(2024, 2, 29), 2000, D(2024, 8, 29), "lapsed", 0, 10, D(2025, 2, 28))),
    (D(2025, 2, 28), (10, D(2025, 2, 28), 2000, D(2025, 8, 28), "upcoming", 0, None, None)),
], ids=str)
def test_a_29_february_utility_model_by_both_engines(engines: Callable, as_of: dt.date,
                                                    expected: tuple[Any, ...]) -> None:
    keys = ("patent_year", "due_date", "full_amount", "grace_period_end", "state", "late_fee", "next_patent_year",
            "next_due_date")
    by_sql, by_python = engines(as_of)
    assert tuple(by_sql[LEAP][k] for k in keys) == expected
    assert tuple(by_python[LEAP][k] for k in keys) == expected


STATE_CASES = [  # due, grace end, as of, paid, last seen in force → state
    (D(2026, 10, 8), D(2027, 4, 8), D(2026, 10, 7), False, None, "upcoming"),
    (D(2026, 10, 8), D(2027, 4, 8), D(2026, 10, 8), False, None, "upcoming"),  # the due day itself
    (D(2026, 10, 8), D(2027, 4, 8), D(2026, 10, 9), False, None, "grace"),
    (D(2026, 10, 8), D(2027, 4, 8), D(2027, 4, 8), False, None, "grace"),  # the last grace day
    (D(2026, 10, 8), D(2027, 4, 8), D(2027, 4, 9), False, None, "lapsed"),
    (D(2026, 10, 8), D(2027, 4, 8), D(2027, 4, 9), False, D(2027, 4, 8), "lapsed"),  # seen on the last day only
    (D(2026, 10, 8), D(2027, 4, 8), D(2027, 4, 9), False, D(2027, 4, 9), "settled"),
    (D(2026, 10, 8), D(2027, 4, 8), D(2026, 10, 9), False, D(2027, 5, 1), "settled"),
    (D(2026, 10, 8), D(2027, 4, 8), D(2027, 4, 9), True, D(2027, 5, 1), "paid"),  # a payment wins
    (D(2026, 10, 8), D(2027, 4, 8), D(2026, 1, 1), True, None, "paid"),
]


def test_the_state_rule_in_python_and_in_sql() -> None:
    sql = (f"SELECT {fee_state_sql('due', 'grace', 'as_of', 'paid', 'seen')} FROM (SELECT unnest($due) AS due, "
           "unnest($grace) AS grace, unnest($as_of) AS as_of, unnest($paid) AS paid, unnest($seen) AS seen)")
    columns = list(zip(*STATE_CASES, strict=True))
    found = duckdb.execute(sql, {"due": list(columns[0]), "grace": list(columns[1]), "as_of": list(columns[2]),
                                 "paid": list(columns[3]), "seen": list(columns[4])}).fetchall()
    expected = [case[5] for case in STATE_CASES]
    assert [state for (state,) in found] == expected
    assert [fee_state(*case[:5]) for case in STATE_CASES] == expected


@pytest.mark.parametrize(("kind", "filed", "ends"), [
    ("invention", D(2004, 2, 29), D(2024, 2, 29)), ("invention", D(2003, 2, 28), D(2023, 2, 28)),
    ("utility_model", D(2016, 2, 29), D(2026, 2, 28)),  # 29 February → 28 February in a common year
    ("design", D(2021, 5, 31), D(2031, 5, 31)), ("design", D(2021, 6, 1), D(2036, 6, 1)),  # the cut date
])
def test_the_term_end_in_python_and_in_sql(kind: str, filed: dt.date, ends: dt.date) -> None:
    rules = fee_rules()
    sql = f"SELECT {term_end_sql(rules, '$kind', '$filed')}"
    assert duckdb.execute(sql, {"kind": kind, "filed": filed}).fetchall() == [(ends,)]
    assert term_end(kind, filed, rules) == ends
