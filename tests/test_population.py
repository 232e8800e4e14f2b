"""The office's own population table (年末常住人口 by year) through the CLI, and what the indicators of a
district created in Hangzhou's 2021 re-districting divide by."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from patentatlas.cli import main


def _run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_office_population_feeds_the_per_10k_figures(loaded_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(loaded_db, db)
    code, out = _run(db, "indicators", "--region", "330113", "--json")
    before = json.loads(out)
    assert (before["population"], before["valid_invention_per_10k"]) == (None, None)  # 临平区: no 2020 census row
    code, out = _run(db, "population", "set", "330113", "2022", "1000000", "--source", "office figure (test)")
    assert code == 0 and out.strip() == "330113 2022: 1,000,000 (office figure (test))"
    after = json.loads(_run(db, "indicators", "--region", "330113", "--as-of", "2023-06-30", "--json")[1])
    assert (after["population"], after["population_year"], after["population_source"]) == (
        1000000, 2022, "office figure (test) (2022)")
    code, out = _run(db, "population", "set", "330103", "2022", "500000", "--source", "x")
    assert code == 1
    assert "330103 (下城区) was abolished on 2021-04-09; its territory is now in 拱墅区 330105" in out


def test_population_import_reports_bad_rows(tmp_path: Path) -> None:
    figures = tmp_path / "population.csv"
    figures.write_text("region_code,year,population,source\n330108,2023,\"547,000\",统计公报\n"
                       "330104,2023,100,统计公报\n330108,1800,5,统计公报\n", encoding="utf-8")
    code, out = _run(tmp_path / "store.duckdb", "population", "import", str(figures), "--json")
    summary = json.loads(out)
    assert (summary["read"], summary["stored"]) == (3, 1)
    assert [r["row"] for r in summary["rejected"]] == [3, 4]
    assert summary["rejected"][1]["reason"] == "year 1800: a calendar year (1949–2100) is expected"
