"""The command line through the front door (click's CliRunner, in process) on the real exports:
import counts, show, quarantine, info, export, and the errors a person meets."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner, Result

from patentatlas.cli import main
from patentatlas.normalize.appno import with_check_digit
from tests.conftest import THUNDERSOFT, TOYOTA, copied_store

COUNT_KEYS = ("file", "read", "loaded", "updated", "unchanged", "quarantined")
IMPORT_KEYS = {*COUNT_KEYS, "quarantined_share", "coverage", "warnings"}
EXPORT_COLUMNS = [
    "application_number", "country", "patent_type", "filing_date", "publication_number", "publication_date",
    "grant_date", "priority_date", "title_zh", "title_en", "ipc_main", "ipc_codes", "cpc_codes", "claim_count",
    "family_size", "has_overseas_family", "backward_citation_count", "forward_citation_count", "status",
    "status_text", "applicants", "inventors", "first_applicant_region_code", "first_applicant_country",
    "abstract_zh", "abstract_en",
]
# counted in patentics_thundersoft_cn_511.csv itself: 专利类型 发明公布 481 / 实用新型 30;
# 法律状态 有效 195, 驳回 194 + 失效 3 + 撤回 2 = 199, 公开 117; 申请日 years below
THUNDERSOFT_YEARS = {"2011": 3, "2012": 5, "2013": 27, "2014": 93, "2015": 90, "2016": 72, "2017": 40,
                     "2018": 27, "2019": 30, "2020": 26, "2021": 74, "2022": 24}
TOYOTA_QUARANTINE_REASON = "'B60R/' is not an IPC/CPC symbol (e.g. G06F16/583)"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(db: Path, *args: str, columns: int = 200) -> Result:
    """The CLI in process; ``columns`` is the terminal width Rich lays tables out for."""
    return CliRunner().invoke(main, ["--db", str(db), *args], env={"COLUMNS": str(columns)})


def table_rows(output: str) -> list[list[str]]:
    """The body rows of a Rich table; a cell folded over several lines is joined back together."""
    rows: list[list[str]] = []
    for line in _ANSI.sub("", output).splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if rows and not any(cells[1:]):  # a continuation line of a folded first cell
            rows[-1][0] += cells[0]
        else:
            rows.append(cells)
    return rows


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def thundersoft_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the ThunderSoft export alone, imported through the CLI (read only)."""
    db = tmp_path_factory.mktemp("cli") / "thundersoft.duckdb"
    result = run(db, "import", "--json", str(THUNDERSOFT))
    assert result.exit_code == 0, result.output
    return db


# ---- import -------------------------------------------------------------------------------------

@pytest.mark.parametrize("columns", [200, 80])
def test_import_table_shows_counts_per_file(tmp_path: Path, columns: int) -> None:
    result = run(tmp_path / "store.duckdb", "import", str(TOYOTA), str(THUNDERSOFT), columns=columns)
    assert result.exit_code == 0, result.output
    # at 80 columns the file names fold over lines instead of being cut short
    assert table_rows(result.stdout) == [
        ["incopat_toyota_autodrive_5048.csv", "incopat", "5048", "4041", "1006", "0", "1"],
        ["patentics_thundersoft_cn_511.csv", "patentics", "511", "511", "0", "0", "0"],
    ]


def test_import_json_one_object_per_file_and_reimport_is_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    first = run(db, "import", "--json", str(TOYOTA), str(THUNDERSOFT))
    assert first.exit_code == 0, first.output
    reports = json_lines(first.stdout)
    assert [set(r) for r in reports] == [IMPORT_KEYS, IMPORT_KEYS]
    assert [{k: r[k] for k in COUNT_KEYS} for r in reports] == [
        {"file": str(TOYOTA), "read": 5048, "loaded": 4041, "updated": 1006, "unchanged": 0, "quarantined": 1},
        {"file": str(THUNDERSOFT), "read": 511, "loaded": 511, "updated": 0, "unchanged": 0, "quarantined": 0},
    ]
    again = run(db, "import", "--json", str(TOYOTA))
    assert again.exit_code == 0, again.output
    assert [{k: r[k] for k in COUNT_KEYS} for r in json_lines(again.stdout)] == [
        {"file": str(TOYOTA), "read": 5048, "loaded": 0, "updated": 0, "unchanged": 5047, "quarantined": 1}]


def test_import_of_a_missing_file_names_it_and_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_export.csv"
    result = run(tmp_path / "store.duckdb", "import", str(missing))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {missing}: no such file"
    assert result.stdout == ""


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    missing = tmp_path / "export[final].csv"  # brackets are not Rich markup
    result = run(tmp_path / "store.duckdb", "import", str(missing), str(THUNDERSOFT))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {missing}: no such file"
    assert table_rows(result.stdout) == [["patentics_thundersoft_cn_511.csv", "patentics", "511", "511", "0", "0", "0"]]


@pytest.fixture
def store_held_by_another_process(tmp_path: Path) -> Iterator[Path]:
    """A store file that another process (as the web server would) holds open for writing."""
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)",
         str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield db
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("command", [["import", str(THUNDERSOFT)], ["info"], ["show", "CN202010302257.8"]])
def test_store_in_use_by_another_process_is_a_clear_error(store_held_by_another_process: Path,
                                                          command: list[str]) -> None:
    db = store_held_by_another_process
    result = run(db, *command, columns=80)
    assert result.exit_code == 1
    assert result.stderr == (f"error: {db} is in use by another process (is the web server running?). "
                             "Stop it, or do this through the web server.\n")


@pytest.mark.parametrize("command", [["info"], ["show", "CN202010302257.8"], ["quarantine"],
                                     ["export", "--format", "csv", "-o", "out.csv"]])
def test_reading_commands_do_not_create_a_store(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "mistyped.duckdb"
    result = run(db, *command)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: no store at {db}: import files first (patentatlas --db {db} import FILE...)")
    assert not db.exists()


# ---- show ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["CN202010302257.8", "2020103022578", "ZL202010302257.8"])
def test_show_json_any_written_form(loaded_db: Path, written: str) -> None:
    result = run(loaded_db, "show", written, "--json")
    assert result.exit_code == 0, result.output
    patent = json.loads(result.stdout)
    assert {k: patent[k] for k in ("application_number", "filing_date", "patent_type", "status", "status_text",
                                   "ipc_main", "grant_date", "publication_number", "title_zh")} == {
        "application_number": "CN202010302257.8", "filing_date": "2020-04-16", "patent_type": "invention",
        "status": "in_force", "status_text": "授权", "ipc_main": "G01R31/389", "grant_date": "2023-03-17",
        "publication_number": "CN111856303B", "title_zh": "电池电阻测量装置"}
    # a Japanese 株式会社 with no address: the country comes from the name, there is no Chinese region
    assert patent["applicants"] == [{
        "name": "丰田自动车株式会社", "normalized_name": "丰田自动车株式会社", "kind": "enterprise",
        "region_code": None, "country": "JP", "region_method": "name", "region_confidence": 0.8}]


def test_show_resolves_the_applicants_address(loaded_db: Path) -> None:
    result = run(loaded_db, "show", "CN202210836006.7", "--json")
    assert result.exit_code == 0, result.output
    patent = json.loads(result.stdout)
    # 710000 陕西省西安市高新区…: 高新区 is a development zone, not a county, so the city (西安市) it is
    assert patent["first_applicant_address"].startswith("710000 陕西省西安市高新区")
    assert patent["applicants"] == [{
        "name": "西安中科创达软件有限公司", "normalized_name": "西安中科创达软件有限公司", "kind": "enterprise",
        "region_code": "610100", "country": "CN", "region_method": "address", "region_confidence": 0.9}]
    assert (patent["first_applicant_province_code"], patent["first_applicant_city_code"],
            patent["first_applicant_county_code"]) == ("610000", "610100", None)


def test_show_table(loaded_db: Path) -> None:
    result = run(loaded_db, "show", "ZL202010302257.8")
    assert result.exit_code == 0, result.output
    rows = {key: value for key, value in table_rows(result.stdout)}
    assert rows["title_zh"] == "电池电阻测量装置"
    assert rows["status_text"] == "授权"
    assert rows["applicants"] == "丰田自动车株式会社 (enterprise, JP)"


def test_show_unknown_number_is_one_line_naming_it(loaded_db: Path) -> None:
    unknown = with_check_digit("202099999999")
    result = run(loaded_db, "show", unknown, columns=40)  # a narrow terminal does not wrap the message
    assert result.exit_code == 1
    assert result.stderr == f"error: application {unknown} is not in the store\n"
    assert result.stdout == ""


def test_show_bad_check_digit(loaded_db: Path) -> None:
    result = run(loaded_db, "show", "CN202010302257.9", "--json", columns=40)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "check digit of 'CN202010302257.9' is 9, the number's digits give 8" in result.stderr
    assert result.stdout == ""


# ---- quarantine, info ---------------------------------------------------------------------------

def test_quarantine_lists_the_toyota_row(loaded_db: Path) -> None:
    result = run(loaded_db, "quarantine")
    assert result.exit_code == 0, result.output
    assert table_rows(result.stdout) == [
        ["incopat_toyota_autodrive_5048.csv", "", "4788", "IPC", TOYOTA_QUARANTINE_REASON]]


def test_quarantine_json(loaded_db: Path) -> None:
    result = run(loaded_db, "quarantine", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json_lines(result.stdout)
    raw = json.loads(row.pop("raw"))
    assert row == {"batch_id": 1, "file": str(TOYOTA), "sheet": None, "row": 4788, "field": "IPC",
                   "reason": TOYOTA_QUARANTINE_REASON}
    assert (raw["申请号"], raw["IPC"].split("; ")[0]) == ("TW094111778", "B60R/")
    assert run(loaded_db, "quarantine", "--json", "--file", "thundersoft").stdout == ""


def test_info_json_thundersoft(thundersoft_db: Path) -> None:
    result = run(thundersoft_db, "info", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert (info["patents"], info["quarantined_rows"]) == (511, 0)
    assert info["by_type"] == {"invention": 481, "utility_model": 30}
    assert info["by_status"] == {"in_force": 195, "lapsed": 199, "pending": 117}
    assert info["by_country"] == {"CN": 511}
    assert info["by_filing_year"] == THUNDERSOFT_YEARS
    assert sum(info["by_province"].values()) == 511


def test_info_table(thundersoft_db: Path) -> None:
    result = run(thundersoft_db, "info")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("patents: 511   quarantined rows: 0\n")
    rows = table_rows(result.stdout)
    assert ["utility_model", "30"] in rows and ["pending", "117"] in rows and ["2014", "93"] in rows


# ---- export -------------------------------------------------------------------------------------

def _store_years(db: Path) -> dict[int, int]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return dict(conn.execute(
            "SELECT coalesce(year(filing_date), 0), count(*) FROM patents GROUP BY ALL").fetchall())


def _exported_years(out: Path) -> dict[int, int]:
    """Patents per filing year in a Parquet export, read from its partitions."""
    with duckdb.connect() as conn:
        return dict(conn.execute(
            f"SELECT filing_year, count(*) FROM read_parquet('{out}/patents/*/*.parquet', hive_partitioning=true) "
            "GROUP BY ALL").fetchall())


def test_export_parquet_partitioned_by_filing_year(thundersoft_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(thundersoft_db, "export", "--format", "parquet", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "patents").iterdir()) == sorted(
        f"filing_year={y}" for y in THUNDERSOFT_YEARS)
    per_year = _exported_years(out)
    with duckdb.connect() as conn:
        parties = conn.execute(f"SELECT count(*) FROM '{out}/patent_parties.parquet'").fetchall()[0][0]
    assert per_year == _store_years(thundersoft_db)
    assert per_year == {int(y): n for y, n in THUNDERSOFT_YEARS.items()}
    assert parties > 511
    for table in ("parties", "status_changes", "import_batches", "quarantine", "regions", "ipc"):
        assert (out / f"{table}.parquet").is_file()


def test_export_parquet_stays_within_the_memory_limit(observed_db: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A partition at a time: the four exports (15,149 patents, 20 filing years) export in 24 MB of
    DuckDB memory, where DuckDB's own PARTITION_BY ran out of 32 MB (and of 512 MB at 20M patents)."""
    monkeypatch.setenv("PATENTATLAS_MEMORY_LIMIT", "24MB")
    out = tmp_path / "out"
    result = run(copied_store(observed_db, tmp_path), "export", "--format", "parquet", "-o", str(out))
    assert result.exit_code == 0, result.output
    per_year = _exported_years(out)
    with duckdb.connect() as conn:
        cited = conn.execute(f"SELECT count(*) FROM read_parquet('{out}/citations/*/*.parquet')").fetchall()[0][0]
    assert per_year == _store_years(observed_db)
    assert sum(per_year.values()) == 15_149
    with duckdb.connect(str(observed_db), read_only=True) as conn:
        assert cited == conn.execute("SELECT count(*) FROM citations").fetchall()[0][0] > 0


def test_export_csv(thundersoft_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "patents.csv"
    result = run(thundersoft_db, "export", "--format", "csv", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {target}\n"
    assert target.read_bytes()[:3] == b"\xef\xbb\xbf"  # the BOM Excel needs to read UTF-8 Chinese
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == EXPORT_COLUMNS
    assert len(rows) == 1 + 511
    by_number = {r[0]: dict(zip(EXPORT_COLUMNS, r, strict=True)) for r in rows[1:]}
    row = by_number["CN202210836006.7"]
    assert (row["status"], row["status_text"], row["applicants"], row["first_applicant_region_code"]) == (
        "pending", "公开", "西安中科创达软件有限公司", "610100")


def test_export_xlsx(thundersoft_db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "patents.xlsx"
    result = run(thundersoft_db, "export", "--format", "xlsx", "-o", str(target))
    assert result.exit_code == 0, result.output
    book = load_workbook(target, read_only=True)
    rows = list(book["patents"].iter_rows(values_only=True))
    book.close()
    assert list(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 1 + 511
    assert sorted(r[0] for r in rows[1:])[0] == "CN201110312529.3"


def test_every_setting_is_documented_in_the_readme() -> None:
    from patentatlas.config import SETTINGS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert [s.name for s in SETTINGS if f"| `PATENTATLAS_{s.name.upper()}` | `{s.default}` |" not in readme] == []
