"""The date checks every importer applies (``normalize.dates.date_order_problem`` and the
1900–2100 range of ``parse_date``): one fixture row per reason in the table importer, Lens and
USPTO XML, each built from a real sample with its dates edited, each quarantined with the exact
field and reason a user reads in ``patentatlas quarantine``."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from patentatlas.errors import FieldError
from patentatlas.imports import import_file
from patentatlas.normalize.dates import date_order_problem, parse_date
from tests.conftest import DATA, LENS, THUNDERSOFT

D = dt.date
SAMPLES = DATA / "uspto_xml_samples"
GRANT_2014 = SAMPLES / "xml2014" / "US08930553.xml"  # filed 2012-10-09, granted 2015-01-06
APPLICATION_2004 = SAMPLES / "xmlApp2004" / "US20050004437A1.xml"  # filed 2004-04-23, published 2005-01-06


def _quarantine(conn: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT row_number, field, reason FROM quarantine ORDER BY row_number").fetchall()


def _edited_csv(source: Path, target: Path, edits: list[dict[str, str]]) -> None:
    """The header and the first ``len(edits)`` rows of ``source``, each row's cells replaced by its
    edits (a header name edits every column that repeats it: 申请日, 申请日.1 …)."""
    with source.open(encoding="utf-8", newline="") as fh, target.open("w", encoding="utf-8", newline="") as out:
        reader, writer = csv.reader(fh), csv.writer(out)
        header = next(reader)
        writer.writerow(header)
        for edit, row in zip(edits, reader, strict=False):
            for name, value in edit.items():
                for i, column in enumerate(header):
                    if column == name or column.startswith(name + "."):
                        row[i] = value
            writer.writerow(row)


# --- the table importer (Patentics ThunderSoft export) ----------------------------------------


def test_table_importer_quarantines_each_date_problem(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    target = tmp_path / "thundersoft_dates.csv"
    _edited_csv(THUNDERSOFT, target, [
        {},  # CN202210836006.7 as exported: filed 2022/07/15, published 2022/12/06
        {"申请日": "2023/01/10"},  # CN202210344028.1, published 2022/11/29
        {"授权日": "2022/05/01"},  # CN202210854000.2, filed 2022/07/13
        {"申请日": "2099/01/01"},
        {"申请日": "1899/06/30"},
        {"申请日": "2101/01/01"},
        {"申请日": ""},
    ])
    report = import_file(store, target)
    assert (report.read, report.loaded, report.quarantined) == (7, 1, 6)
    assert _quarantine(store) == [
        (3, "申请日", "filing date 2023-01-10 is after the publication date 2022-11-29"),
        (4, "申请日", "filing date 2022-07-13 is after the grant date 2022-05-01"),
        (5, "申请日", "filing date 2099-01-01 is in the future"),
        (6, "申请日", "'1899/06/30' is outside 1900–2100"),
        (7, "申请日", "'2101/01/01' is outside 1900–2100"),
        (8, "申请日", "filing date is missing"),
    ]
    assert store.execute("SELECT application_number FROM patents").fetchall() == [("CN202210836006.7",)]


# --- Lens.org ----------------------------------------------------------------------------------


def test_lens_quarantines_each_date_problem(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    target = tmp_path / "lens_dates.csv"
    _edited_csv(LENS, target, [
        {},  # AU 2016/219013 A as exported: filed 12/02/16, published 05/10/17
        {"application_date": "27/10/17"},  # AU 2015/388807 A1, published 26/10/17
        # AU 2015/285989 B2, a granted patent: its date (02/03/17) is its grant publication's,
        # which the check compares first, as a publication date
        {"application_date": "03/03/17"},
        {"application_date": "2099-01-01"},  # Lens's newer exports write ISO dates
        {"application_date": "1899-06-30"},
        {"application_date": "2101-01-01"},
        {"application_date": ""},
    ])
    report = import_file(store, target)
    assert (report.read, report.loaded, report.quarantined) == (7, 1, 6)
    assert _quarantine(store) == [
        (3, "application_date", "filing date 2017-10-27 is after the publication date 2017-10-26"),
        (4, "application_date", "filing date 2017-03-03 is after the publication date 2017-03-02"),
        (5, "application_date", "filing date 2099-01-01 is in the future"),
        (6, "application_date", "'1899-06-30' is outside 1900–2100"),
        (7, "application_date", "'2101-01-01' is outside 1900–2100"),
        (8, "application_date", "filing date is missing"),
    ]
    assert store.execute("SELECT application_number FROM patents").fetchall() == [("AU2016/219013A",)]


# --- USPTO XML ---------------------------------------------------------------------------------

_FILED_2014 = b"<doc-number>13648029</doc-number>\n<date>20121009</date>"
_FILED_2004 = b"<doc-number>10830857</doc-number>\n<date>20040423</date>"


def _filed(document: bytes, original: bytes, date: str) -> bytes:
    assert document.count(original) == 1
    edited = original.split(b"<date>")[0] + (f"<date>{date}</date>".encode() if date else b"")
    return document.replace(original, edited)


def test_uspto_quarantines_each_date_problem(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    grant, application = GRANT_2014.read_bytes(), APPLICATION_2004.read_bytes()
    bulk = tmp_path / "uspto_dates.xml"
    bulk.write_bytes(b"\n".join([
        application,  # as published: filed 2004-04-23, published 2005-01-06
        _filed(application, _FILED_2004, "20050107"),
        _filed(grant, _FILED_2014, "20150107"),  # granted 2015-01-06
        _filed(grant, _FILED_2014, "20990101"),
        _filed(grant, _FILED_2014, "18990630"),
        _filed(grant, _FILED_2014, "21010101"),
        _filed(grant, _FILED_2014, ""),
    ]))
    report = import_file(store, bulk)
    assert (report.read, report.loaded, report.quarantined) == (7, 1, 6)
    field = "/application-reference/document-id/date"
    app, grt = "us-patent-application/us-bibliographic-data-application", "us-patent-grant/us-bibliographic-data-grant"
    assert _quarantine(store) == [
        (2, app + field, "filing date 2005-01-07 is after the publication date 2005-01-06"),
        (3, grt + field, "filing date 2015-01-07 is after the grant date 2015-01-06"),
        (4, grt + field, "filing date 2099-01-01 is in the future"),
        (5, grt + field, "'18990630' is outside 1900–2100"),
        (6, grt + field, "'21010101' is outside 1900–2100"),
        (7, grt + field, "filing date is missing"),
    ]
    assert store.execute("SELECT application_number FROM patents").fetchall() == [("US10830857",)]


# --- the boundaries of the checks themselves ---------------------------------------------------


def test_the_date_checks_boundaries() -> None:
    today = D(2026, 12, 3)
    assert date_order_problem(today, None, None, today) is None  # filed today: accepted
    assert date_order_problem(D(2026, 12, 4), None, None, today) == "filing date 2026-12-04 is in the future"
    # published or granted the day it was filed: possible; a day before: not
    assert date_order_problem(D(2020, 5, 1), D(2020, 5, 1), D(2020, 5, 1), today) is None
    assert date_order_problem(D(2020, 5, 1), D(2020, 5, 2), D(2020, 4, 30), today) == (
        "filing date 2020-05-01 is after the grant date 2020-04-30")
    assert parse_date("1900-01-02", "申请日") == D(1900, 1, 2)
    assert parse_date("2100-12-31", "申请日") == D(2100, 12, 31)


@pytest.mark.parametrize("text", ["1899-06-30", "2101-01-01"])
def test_years_outside_1900_to_2100_are_refused(text: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_date(text, "申请日")
    assert (caught.value.field, caught.value.reason) == ("申请日", f"'{text}' is outside 1900–2100")
