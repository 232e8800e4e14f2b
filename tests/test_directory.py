"""The enterprise directory and placement, through the CLI: the real SZSE list (CSV and XLSX), a
reshaped office directory, and placement of real applicants from the shared samples by each method."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from patentatlas.cli import main
from patentatlas.domain.directory import import_directory
from patentatlas.domain.placement import EnterpriseIndex
from patentatlas.imports import import_file
from patentatlas.normalize.names import normalize_name
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from tests.conftest import DATA, FIXTURES, THUNDERSOFT, VR

SZSE_CSV = DATA / "enterprise_directory" / "szse_a_share_list_2025-10-22.csv"
SZSE_XLSX = DATA / "enterprise_directory" / "szse_a_share_list_2025-10-22.xlsx"
OFFICE_V1 = FIXTURES / "directory" / "office_v1.csv"
OFFICE_V2 = FIXTURES / "directory" / "office_v2.csv"
NETEASE = "CN201911230702.8"  # 网易(杭州)网络有限公司, no address in the export
NETEASE_FULL_WIDTH = "CN201910085883.3"  # 网易（杭州）网络有限公司
DAHUA = "CN201720986924.2"  # 浙江大华技术股份有限公司
THUNDERSOFT_BJ = "CN202021404099.9"  # 中科创达软件股份有限公司, 100083 北京市海淀区清华东路9号…（东升地区）
XINCHANG = "CN201820915767.0"  # 新昌县丽晶工业产品设计有限公司


@pytest.fixture(scope="module")
def samples_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The VR and ThunderSoft exports (网易, 大华, 中科创达 with addresses), imported once."""
    path = tmp_path_factory.mktemp("directory") / "store.duckdb"
    conn = open_store(path)
    ensure_reference(conn)
    for source in (VR, THUNDERSOFT):
        import_file(conn, source)
    conn.close()
    return path


@pytest.fixture
def db(samples_db: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "store.duckdb"
    shutil.copy(samples_db, copy)
    yield copy


def run(db: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads([line for line in result.output.splitlines() if line.startswith("{")][-1])


def show(db: Path, number: str) -> dict:
    return run(db, "show", number, "--json")


def placed(db: Path, number: str) -> tuple[str | None, str | None, str | None, str]:
    patent = show(db, number)
    return (patent["first_applicant_city_code"], patent["first_applicant_county_code"],
            patent["first_applicant_township_code"], patent["placement"]["method"])


def test_szse_list_imports_as_it_is_csv_then_xlsx(db: Path) -> None:
    first = run(db, "directory", "import", str(SZSE_CSV), "--json")
    assert {k: first[k] for k in ("format", "read", "loaded", "updated", "unchanged", "quarantined")} == {
        "format": "csv", "read": 2875, "loaded": 2875, "updated": 0, "unchanged": 0, "quarantined": 0}
    assert first["columns"] == {"name": "公司全称", "address": "注册地址", "industry": "所属行业"}
    assert first["patents_placed"] == 543  # every stored patent of an applicant the list names
    again = run(db, "directory", "import", str(SZSE_XLSX), "--json")  # the same sheet: nothing changes
    assert {k: again[k] for k in ("format", "read", "loaded", "updated", "unchanged", "quarantined", "patents_placed")
            } == {"format": "xlsx", "read": 2875, "loaded": 0, "updated": 0, "unchanged": 2875, "quarantined": 0,
                  "patents_placed": 0}
    status = run(db, "directory", "status", "--json")
    assert status["entries"] == 2875


def test_each_method_places_real_applicants(db: Path) -> None:
    # before the directory: the export's address, a county in the name, the city or province of the name
    assert placed(db, THUNDERSOFT_BJ) == ("110100", "110108", "110108024", "address")
    assert placed(db, XINCHANG) == ("330600", "330624", None, "name")
    assert placed(db, NETEASE) == ("330100", None, None, "name")
    assert placed(db, DAHUA) == (None, None, None, "name")  # 浙江大华: the province only
    run(db, "directory", "import", str(SZSE_CSV), "--json")
    # 大华 is on the SZSE list: 浙江省杭州市滨江区滨安路1187号
    assert placed(db, DAHUA) == ("330100", "330108", None, "directory")
    assert show(db, DAHUA)["applicants"][0]["region_method"] == "directory"
    assert placed(db, THUNDERSOFT_BJ) == ("110100", "110108", "110108024", "directory")
    # 网易 is not listed (not an A-share company): its registration places it, both spellings
    result = CliRunner().invoke(main, ["--db", str(db), "enterprises", "register", "网易(杭州)网络有限公司",
                                       "91330108MA2CDEM1YA"])
    assert result.exit_code == 0, result.output
    for number in (NETEASE, NETEASE_FULL_WIDTH):
        assert placed(db, number) == ("330100", "330108", None, "registration")
        patent = show(db, number)
        assert patent["placement"]["enterprise_key"] == "uscc:91330108MA2CDEM1YA"
        assert patent["applicants"][0]["region_method"] == "registration"


def test_directory_reimport_moves_patents_from_city_to_county(db: Path) -> None:
    first = run(db, "directory", "import", str(OFFICE_V1), "--json")
    assert {k: first[k] for k in ("read", "loaded", "updated", "unchanged", "quarantined")} == {
        "read": 5, "loaded": 3, "updated": 0, "unchanged": 0, "quarantined": 2}
    assert first["columns"]["name"] == "企业名称" and first["columns"]["township"] == "乡 镇"
    assert placed(db, NETEASE) == ("330100", None, None, "directory")  # the directory says 杭州市 only
    assert placed(db, XINCHANG) == ("330600", "330624", "330624003", "directory")  # 乡镇 七星 → 七星街道
    second = run(db, "directory", "import", str(OFFICE_V2), "--json")
    assert {k: second[k] for k in ("read", "loaded", "updated", "unchanged", "quarantined", "patents_moved")} == {
        "read": 5, "loaded": 0, "updated": 1, "unchanged": 2, "quarantined": 2, "patents_moved": 57}
    assert placed(db, NETEASE) == ("330100", "330108", "330108002", "directory")
    assert show(db, NETEASE)["placement"]["enterprise_key"] == "uscc:91330108MA2CDEM1YA"
    assert run(db, "directory", "status", "--json")["entries"] == 3  # the entry keyed by name became the code's


def test_bad_rows_are_quarantined_with_file_row_field_reason(db: Path) -> None:
    run(db, "directory", "import", str(OFFICE_V1), "--json")
    result = CliRunner().invoke(main, ["--db", str(db), "directory", "quarantine", "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(Path(r["file"]).name, r["row"], r["field"], r["reason"]) for r in rows] == [
        ("office_v1.csv", 6, "uscc",
         "unified social credit code '91330100MA27YM1X0A': check character is A, expected E"),
        ("office_v1.csv", 7, "name", "the enterprise name is empty")]


def test_a_file_without_a_name_column_is_refused(db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(db), "directory", "import",
                                       str(FIXTURES / "directory" / "no_name_column.csv")])
    assert result.exit_code == 1
    assert "no column holds the enterprise name" in result.output


def test_legal_form_spellings_are_one_only_through_the_directory(store: duckdb.DuckDBPyConnection,
                                                                 tmp_path: Path) -> None:
    assert normalize_name("广州市乐工电子实业有限责任公司") != normalize_name("广州市乐工电子实业有限公司")
    index = EnterpriseIndex(store)
    assert index.lookup("广州市乐工电子实业有限公司") == (None, None)
    listed = tmp_path / "directory.csv"
    listed.write_text("企业名称,注册地址\n广州市乐工电子实业有限责任公司,广东省广州市番禺区市桥街道\n",
                      encoding="utf-8")
    import_directory(store, listed)
    directory, registration = EnterpriseIndex(store).lookup("广州市乐工电子实业有限公司")
    assert directory is not None and registration is None
    assert (directory.county, directory.township, directory.key) == (
        "440113", "440113007", "dir:广州市乐工电子实业有限责任公司")


def test_a_pending_registration_places_nothing_until_verified(db: Path) -> None:
    from patentatlas.domain import accounts
    from patentatlas.domain import enterprises as ent
    from patentatlas.domain.approvals import decide_registration

    conn = open_store(db)
    try:
        pending = ent.register_enterprise(conn, "网易(杭州)网络有限公司", "91330108MA2CDEM1YA", pending=True)
        method = conn.execute("SELECT method FROM placements WHERE application_number = ?", [NETEASE]).fetchall()
        assert method == [("name",)]
        admin = accounts.create_user(conn, "admin@test.patentatlas.cn", "admin", password="correct horse battery")
        decide_registration(conn, admin, pending["enterprise_id"], "approve")
        placed_now = conn.execute("SELECT pl.method, p.first_applicant_county_code FROM placements pl "
                                  "JOIN patents p USING (application_number) WHERE application_number = ?",
                                  [NETEASE]).fetchall()
        assert placed_now == [("registration", "330108")]
    finally:
        conn.close()


def test_placing_in_slices_places_as_placing_at_once(samples_db: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Placement goes through a large scope a slice at a time (a million distinct applicants at
    once ran out of the store's memory); 200 first applicants a slice places every patent as one
    slice does."""
    from patentatlas.domain import placement

    def placed_after_directory(name: str) -> tuple[list[Any], list[Any], int]:
        copy = tmp_path / name
        shutil.copy(samples_db, copy)
        with duckdb.connect(str(copy)) as conn:  # as an old store: no placements yet
            conn.execute("DELETE FROM placements")
        run(copy, "directory", "import", str(SZSE_CSV), "--json")
        placed = run(copy, "directory", "place", "--json")["placed"]  # every patent again
        with duckdb.connect(str(copy), read_only=True) as conn:
            placements = conn.execute("SELECT * FROM placements ORDER BY application_number").fetchall()
            regions = conn.execute("SELECT application_number, first_applicant_region_code, "
                                   "first_applicant_county_code FROM patents ORDER BY 1").fetchall()
        return placements, regions, placed

    slices: list[int] = []
    cut = placement._slices

    def counted(conn: duckdb.DuckDBPyConnection, scope: str, at_most: int | None = None) -> list[str]:
        parts = cut(conn, scope, at_most)
        slices.append(len(parts))
        return parts

    monkeypatch.setattr(placement, "_slices", counted)
    at_once = placed_after_directory("once.duckdb")
    monkeypatch.setattr(placement, "SLICE_KEYS", 200)
    sliced = placed_after_directory("sliced.duckdb")
    assert sliced == at_once
    # the directory's import places its names' patents, then `place` every patent: once at once, once in slices
    assert slices == [1, 1, 1, 16]  # about 3,100 distinct first applicants, 200 a slice
    assert len(at_once[0]) == at_once[2] == 8_314  # every patent with an applicant
