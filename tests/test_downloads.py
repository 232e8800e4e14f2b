"""Formula injection (issue 10 §3): every CSV/XLSX the platform writes goes through one writer,
which neutralises text a spreadsheet would run, keeps numbers as numbers and long identifiers as
text. Attacked through the front door: a crafted export imported with the CLI, then downloaded
from the web and exported with ``patentatlas export``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from patentatlas.cli import main
from patentatlas.store.export import table_bytes
from tests.conftest import THUNDERSOFT
from tests.web_support import client_on_copy

HYPERLINK = '=HYPERLINK("http://x","y")'
TS_NUMBER, TS_TITLE = 1, 7  # ThunderSoft (Patentics): 申请号 column 2, 标题 column 8
ATTACKS = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


def _cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def crafted_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """ThunderSoft's first six rows, their titles replaced by formulas, imported with the CLI;
    returns the store and each attacked patent's title."""
    folder = tmp_path_factory.mktemp("downloads")
    with THUNDERSOFT.open(encoding="utf-8", newline="") as fh:
        rows = [row for _, row in zip(range(len(ATTACKS) + 1), csv.reader(fh), strict=False)]
    for row, attack in zip(rows[1:], ATTACKS, strict=True):
        row[TS_TITLE] = attack
    source = folder / "crafted.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    db = folder / "store.duckdb"
    _cli(db, "import", "--json", str(source))
    # the importer trims a cell's surrounding white space (tab, CR): what is stored is the rest
    return db, {row[TS_NUMBER]: attack.strip() for row, attack in zip(rows[1:], ATTACKS, strict=True)}


@pytest.fixture(scope="module")
def client(crafted_db: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_on_copy(crafted_db[0], tmp_path_factory.mktemp("downloads_web")) as test_client:
        yield test_client


def test_the_region_patents_csv_download_neutralises_formulas(client: TestClient,
                                                              crafted_db: tuple[Path, dict[str, str]]) -> None:
    answer = client.get("/regions/100000/patents", params={"format": "csv"})
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    titles = {r["申请号"]: r["专利名称"] for r in rows}  # headers in the page's language (zh)
    assert {n: titles[n] for n in crafted_db[1]} == {n: "'" + attack for n, attack in crafted_db[1].items()}


def test_the_region_patents_xlsx_download_holds_plain_text_cells(client: TestClient,
                                                                 crafted_db: tuple[Path, dict[str, str]]) -> None:
    answer = client.get("/regions/100000/patents", params={"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
    start = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "申请号")  # below the title
    header = [c.value for c in sheet[start]]
    number, title = header.index("申请号"), header.index("专利名称")
    cells = {row[number].value: row[title] for row in sheet.iter_rows(min_row=start + 1)}
    attacked = [cells[n] for n in crafted_db[1]]
    assert [(c.data_type, c.value) for c in attacked] == [("s", "'" + a) for a in crafted_db[1].values()]
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_patentatlas_export_csv_and_xlsx_neutralise_formulas(crafted_db: tuple[Path, dict[str, str]],
                                                              tmp_path: Path) -> None:
    db, attacks = crafted_db
    _cli(db, "export", "--format", "csv", "-o", str(tmp_path / "patents.csv"))
    with (tmp_path / "patents.csv").open(encoding="utf-8-sig", newline="") as fh:
        exported = {r["application_number"]: r for r in csv.DictReader(fh)}
    assert {n: exported[n]["title_en"] for n in attacks} == {n: "'" + a for n, a in attacks.items()}
    assert all(r["claim_count"] == "" or r["claim_count"].isdigit() for r in exported.values())
    assert {r["has_overseas_family"] for r in exported.values()} <= {"true", "false", ""}

    _cli(db, "export", "--format", "xlsx", "-o", str(tmp_path / "patents.xlsx"))
    sheet = openpyxl.load_workbook(tmp_path / "patents.xlsx")["patents"]
    header = [c.value for c in sheet[1]]
    by_number = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    titles = [by_number[n][header.index("title_en")] for n in attacks]
    assert [(c.data_type, c.value) for c in titles] == [("s", "'" + a) for a in attacks.values()]
    claims = {by_number[n][header.index("claim_count")].data_type for n in attacks}
    assert claims <= {"n"}  # numbers stay numbers


def test_numbers_stay_numbers_and_long_identifiers_stay_text() -> None:
    rows = [{"name": "-负债", "delta": -5, "share": -0.25, "uscc_number": 913301001234567890,
             "uscc": "91330100MA2H123456", "id20": 12345678901234567890, "plain": "杭州", "none": None,
             "list": ["=a", "b"]}]
    sheet = openpyxl.load_workbook(io.BytesIO(table_bytes(rows, "xlsx")))["data"]
    cells = [(c.data_type, c.value) for c in sheet[2]]
    assert cells == [("s", "'-负债"), ("n", -5), ("n", -0.25), ("s", "913301001234567890"),
                     ("s", "91330100MA2H123456"), ("s", "12345678901234567890"), ("s", "杭州"), ("n", None),
                     ("s", "'=a; b")]
    text = table_bytes(rows, "csv").decode("utf-8-sig")
    assert text == ("name,delta,share,uscc_number,uscc,id20,plain,none,list\r\n"
                    "'-负债,-5,-0.25,913301001234567890,91330100MA2H123456,12345678901234567890,杭州,,'=a; b\r\n")
