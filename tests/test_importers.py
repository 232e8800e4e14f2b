"""Each importer on real files: exact values of real rows, as a user would check them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from openpyxl import Workbook

from patentatlas.importers import open_source
from patentatlas.importers.chunks import STATE_SCHEMA
from patentatlas.imports import import_file
from tests.conftest import CHATBOT, LENS, THUNDERSOFT, TOYOTA, VR


def _row(conn: duckdb.DuckDBPyConnection, number: str) -> dict[str, object]:
    cursor = conn.execute("SELECT * FROM patents WHERE application_number = ?", [number])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))


def _parties(conn: duckdb.DuckDBPyConnection, number: str) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT pp.role, pp.seq, p.name, p.kind, p.region_code, p.country FROM patent_parties pp "
        "JOIN parties p USING (party_id) WHERE application_number = ? ORDER BY pp.role, pp.seq", [number]
    ).fetchall()


def test_state_schema_matches_the_store(loaded: duckdb.DuckDBPyConnection) -> None:
    stored = loaded.sql("SELECT * FROM patents LIMIT 0").to_arrow_table().schema
    bookkeeping = {"first_batch_id", "last_batch_id"}
    assert [(f.name, f.type) for f in stored if f.name not in bookkeeping] == [
        (f.name, f.type) for f in STATE_SCHEMA]


def test_formats_detected() -> None:
    assert [open_source(p).format for p in (TOYOTA, CHATBOT, VR, THUNDERSOFT, LENS)] == [
        "incopat", "incopat", "patentics", "patentics", "lens"]


def test_incopat_toyota_row(loaded: duckdb.DuckDBPyConnection) -> None:
    row = _row(loaded, "CN202010302257.8")
    assert (row["filing_date"], row["publication_number"], row["grant_date"]) == (
        dt.date(2020, 4, 16), "CN111856303B", dt.date(2023, 3, 17))
    assert (row["title_zh"], row["title_en"]) == ("电池电阻测量装置", "Battery resistance measuring device")
    assert row["ipc_main"] == "G01R31/389"
    assert row["ipc_codes"] == ["G01R31/389", "G01R31/392", "G01R31/3842"]
    assert (row["status"], row["status_text"], row["patent_type"]) == ("in_force", "授权", "invention")
    assert row["source_sei_labels"] == ["6.5 (智能电网产业)"]
    assert row["source_nic_codes"] == ["C4012", "C4320", "C4028", "C4390", "C4360", "C4350", "C4090"]
    assert _parties(loaded, "CN202010302257.8") == [("applicant", 1, "丰田自动车株式会社", "enterprise", None, "JP")]


def test_publication_kinds_stay_with_their_numbers(loaded: duckdb.DuckDBPyConnection) -> None:
    """Each publication keeps the kind its own number says, past a rejected row of its chunk
    (Toyota's one quarantined row once shifted the kinds after it: 90 publications wrong)."""
    wrong = loaded.execute(
        "SELECT count(*) FROM (SELECT unnest(publications) AS p FROM patents) "
        "WHERE regexp_matches(p.publication_number, '^CN.*[A-Z]$') "
        "AND p.kind IS DISTINCT FROM regexp_extract(p.publication_number, '([A-Z])$', 1)").fetchone()
    assert wrong == (0,)
    row = _row(loaded, "CN200510134068.X")
    assert [(p["publication_number"], p["kind"]) for p in row["publications"]] == [("CN1854685A", "A")]


def test_incopat_a_b_and_correction_rows_merge(loaded: duckdb.DuckDBPyConnection) -> None:
    row = _row(loaded, "CN201610031807.0")
    assert [p["publication_number"] for p in row["publications"]] == [
        "CN105807763A", "CN105807763B", "CN105807763B8"]
    # the correction (B8, published last) is the most authoritative publication
    assert (row["publication_number"], row["grant_date"]) == ("CN105807763B8", dt.date(2019, 11, 15))


def test_incopat_foreign_rows_keep_their_numbers(loaded: duckdb.DuckDBPyConnection) -> None:
    row = _row(loaded, "US17715764")
    assert (row["country"], row["title_en"], row["status"]) == (
        "US", "Internal message routing system and method", "in_force")
    assert [p["publication_number"] for p in row["publications"]] == ["US20220231975A1", "US11627103B2"]
    # 108 distinct TW application numbers in the two incoPat files (105 + 31 rows, some A+B pairs)
    assert loaded.execute("SELECT count(*) FROM patents WHERE country = 'TW'").fetchall() == [(108,)]


def test_patentics_thundersoft_row(loaded: duckdb.DuckDBPyConnection) -> None:
    row = _row(loaded, "CN202210836006.7")
    assert (row["filing_date"], row["publication_date"], row["status"], row["status_text"]) == (
        dt.date(2022, 7, 15), dt.date(2022, 12, 6), "pending", "公开")
    assert row["ipc_codes"] == ["G06F16/583", "G06F16/535", "G06F9/451"]
    assert row["first_applicant_address"] == "710000 陕西省西安市高新区软件新城天谷八路156号云汇谷C1楼701室"
    assert (row["first_applicant_province_code"], row["first_applicant_city_code"]) == ("610000", "610100")
    assert _parties(loaded, "CN202210836006.7") == [
        ("agency", 1, "北京思格颂知识产权代理有限公司", "enterprise", None, None),
        ("agent", 2, "李中永", "individual", None, None),
        ("applicant", 1, "西安中科创达软件有限公司", "enterprise", "610100", "CN"),
    ]
    assert row["inventor_names"] == ["王子健"]  # an inventor is no party: a name names no one person


def test_migration_19_lets_inventors_go_from_the_parties(loaded_db: Path, tmp_path: Path) -> None:
    """A store from before 19 linked inventors as parties: the links go, and the parties that were only
    an inventor's; a name that is also an applicant's stays with its applicant links."""
    from patentatlas.store import open_store
    from patentatlas.store.schema import migrate
    from tests.conftest import copied_store

    conn = open_store(copied_store(loaded_db, tmp_path))
    applicant = conn.execute("SELECT party_id, application_number FROM patent_parties WHERE role = 'applicant' "
                             "ORDER BY application_number LIMIT 1").fetchall()[0]
    conn.execute("INSERT INTO parties (party_id, name, normalized_name, kind) "
                 "VALUES (7, '王子健', '王子健', 'individual')")
    conn.execute("INSERT INTO patent_parties VALUES ('CN202210836006.7', 7, 'inventor', 1), (?, ?, 'inventor', 2)",
                 [applicant[1], applicant[0]])
    parties, links = (conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("parties", "patent_parties"))
    conn.execute("DELETE FROM schema_migrations WHERE version = 19")
    assert migrate(conn) == [19]
    assert conn.execute("SELECT count(*) FROM patent_parties WHERE role = 'inventor'").fetchall() == [(0,)]
    assert conn.execute("SELECT count(*) FROM parties").fetchall() == [(parties - 1,)]  # 王子健 only
    assert conn.execute("SELECT count(*) FROM patent_parties").fetchall() == [(links - 2,)]
    assert conn.execute("SELECT count(*) FROM parties WHERE party_id = ?", [applicant[0]]).fetchall() == [(1,)]
    conn.close()


def test_patentics_legal_events_and_citations(loaded: duckdb.DuckDBPyConnection) -> None:
    events = loaded.execute(
        "SELECT event_date, code FROM legal_events WHERE application_number = ? ORDER BY event_date",
        ["CN201611199854.2"]).fetchall()
    assert events == [(dt.date(2018, 6, 29), "公开"), (dt.date(2018, 7, 24), "实质审查的生效"),
                      (dt.date(2021, 3, 19), "发明专利申请公布后的驳回")]
    # the ThunderSoft export lists 2,062 cited publications in its 引用 column
    (cited,) = loaded.execute(
        "SELECT count(*) FROM citations c JOIN patents p USING (application_number) "
        "WHERE direction = 'backward' AND p.first_applicant_address IS NOT NULL").fetchall()[0]
    assert cited == 2062


def test_patentics_vr_row(loaded: duckdb.DuckDBPyConnection) -> None:
    row = _row(loaded, "CN202123402459.9")
    assert (row["patent_type"], row["grant_date"], row["claim_count"], row["status"]) == (
        "utility_model", dt.date(2022, 4, 26), 8, "in_force")
    # 国际主分类 is only the subclass H04N: completed from the 国际分类 list
    assert row["ipc_main"] == "H04N5/225"
    assert row["inventor_names"] == ["梁飞", "屈海朋", "牛庆丽", "罗雪", "张懋楠"]
    assert (row["first_applicant_city_code"], row["has_overseas_family"]) == ("410100", False)


def test_lens_rows(store: duckdb.DuckDBPyConnection) -> None:
    report = import_file(store, LENS)
    # 46 rows give an application date after the publication date (a known flaw of the export)
    assert (report.read, report.loaded, report.quarantined) == (9071, 9025, 46)
    # dd/mm/yy: a two-digit year is never in the future
    assert _row(store, "AU1945/019981A")["filing_date"] == dt.date(1945, 4, 5)
    row = _row(store, "AU2016/219013A")
    assert (row["filing_date"], row["publication_date"], row["priority_date"]) == (
        dt.date(2016, 2, 12), dt.date(2017, 10, 5), dt.date(2015, 2, 13))
    assert (row["family_size"], row["ipc_main"]) == (30, "E02F3/00")
    assert json.loads(str(row["extra"]))["lens_id"] == "056-511-251-084-461"
    # the 2,503 WO rows (``CN 2014095917 W`` …) are PCT applications: stored or quarantined, none lost
    (stored,) = store.execute("SELECT count(*) FROM patents WHERE country = 'WO'").fetchall()[0]
    (rejected,) = store.execute(
        "SELECT count(*) FROM quarantine WHERE raw->>'jurisdiction' = 'WO'").fetchall()[0]
    assert stored + rejected == 2503
    assert _row(store, "PCT/CN2014/095917")["country"] == "WO"


def _rows(path: Path, count: int) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [next(reader) for _ in range(count)]


@pytest.mark.parametrize("source", [TOYOTA, THUNDERSOFT])
def test_xlsx_exports_read_like_csv(source: Path, tmp_path: Path, store: duckdb.DuckDBPyConnection) -> None:
    header, rows = _rows(source, 40)
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    target = tmp_path / f"{source.stem}.xlsx"
    book.save(target)
    assert open_source(target).format == open_source(source).format
    report = import_file(store, target)
    assert (report.read, report.quarantined) == (40, 0)
    number = rows[0][header.index("申请号")]
    assert _row(store, number)["title_zh"] == rows[0][header.index("标题" if "标题" in header else "标题 (中文)")]


def test_generic_table_with_english_headers(tmp_path: Path, store: duckdb.DuckDBPyConnection) -> None:
    header, rows = _rows(VR, 3)
    pick = {"申请号": "Application Number", "申请日": "Filing Date", "标题": "Title",
            "申请人": "Applicant", "国际分类": "IPC", "法律状态": "Legal Status"}
    target = tmp_path / "generic.csv"
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(pick.values())
        for row in rows:
            writer.writerow([row[header.index(h)] for h in pick])
    assert open_source(target).format == "generic"
    report = import_file(store, target)
    assert (report.read, report.loaded) == (3, 3)
    row = _row(store, "CN202210016632.1")
    assert (row["filing_date"], row["title_zh"], row["ipc_codes"], row["status"]) == (
        dt.date(2022, 1, 7), "一种基于虚拟现实的重睑成形手术训练系统、方法及存储介质", ["G09B9/00", "G06T19/00"],
        "pending")


def test_states_are_arrow_in_schema() -> None:
    chunk = next(open_source(THUNDERSOFT).chunks)
    assert chunk.states.schema == STATE_SCHEMA
    assert isinstance(chunk.states, pa.Table)
    assert chunk.rows[:3] == [2, 3, 4]
