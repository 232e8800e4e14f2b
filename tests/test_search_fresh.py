"""The index follows the store between imports: a placement moves a patent to its new county in the
region filter at once, a value refresh reorders the sort by value, and only the changed patents are
indexed again."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from patentatlas.cli import main
from patentatlas.domain.value import refresh_values
from patentatlas.rules import packaged_rule_set
from patentatlas.search import SearchOptions, rebuild_index, search
from patentatlas.search.freshness import sync_index
from patentatlas.store import open_store
from tests.conftest import FIXTURES, THUNDERSOFT, VR, built_store

OFFICE_V1 = FIXTURES / "directory" / "office_v1.csv"  # 网易(杭州)网络有限公司: 杭州市 only
OFFICE_V2 = FIXTURES / "directory" / "office_v2.csv"  # the same, now in 滨江区 (330108)
NETEASE = "CN201911230702.8"  # 网易(杭州)网络有限公司
BINJIANG = "330108"


@pytest.fixture(scope="module")
def indexed_v1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The VR and ThunderSoft exports, the office directory's first version, the index built."""
    path = built_store(tmp_path_factory.mktemp("fresh") / "store.duckdb", (VR, THUNDERSOFT))
    run(path, "directory", "import", str(OFFICE_V1), "--json")
    conn = open_store(path)
    rebuild_index(conn)
    conn.close()
    return path


@pytest.fixture
def db(indexed_v1: Path, tmp_path: Path) -> Iterator[Path]:
    shutil.copy(indexed_v1, tmp_path / "store.duckdb")
    shutil.copytree(Path(str(indexed_v1) + ".search"), tmp_path / "store.duckdb.search")
    yield tmp_path / "store.duckdb"


def run(db: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads([line for line in result.output.splitlines() if line.startswith("{")][-1])


def in_county(db: Path, county: str) -> set[str]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in conn.execute("SELECT application_number FROM patents "
                                           "WHERE first_applicant_county_code = ?", [county]).fetchall()}
    finally:
        conn.close()


def test_a_directory_move_shows_in_the_region_filter_at_once(db: Path) -> None:
    binjiang = in_county(db, BINJIANG)
    before = run(db, "search", "--region", BINJIANG, "--limit", "1000", "--json")
    assert {h["application_number"] for h in before["hits"]} == binjiang
    assert before["total"] == 5 and NETEASE not in binjiang  # 网易 is placed to 杭州市 only
    assert run(db, "search", "--region", BINJIANG, "--json", "网易")["total"] == 0
    moved = run(db, "directory", "import", str(OFFICE_V2), "--json")
    assert moved["patents_moved"] == 57
    # the next search finds them in their new county, with no rebuild
    after = run(db, "search", "--region", BINJIANG, "--limit", "1000", "--json")
    assert after["total"] == 62
    assert {h["application_number"] for h in after["hits"]} == in_county(db, BINJIANG)
    assert NETEASE in {h["application_number"] for h in after["hits"]}
    assert run(db, "search", "--region", BINJIANG, "--json", "网易")["total"] == 57


def test_only_the_moved_patents_are_indexed_again(db: Path) -> None:
    run(db, "directory", "import", str(OFFICE_V2), "--json")
    synced = run(db, "search-index", "sync", "--json")
    assert (synced["changed"], synced["gone"]) == (57, 0)
    again = run(db, "search-index", "sync", "--json")
    assert (again["changed"], again["gone"]) == (0, 0)
    conn = open_store(db, read_only=True)
    try:
        assert sync_index(conn, force=False) is None  # nothing marked since: not even looked at
    finally:
        conn.close()


def _values_in_order(conn: duckdb.DuckDBPyConnection, numbers: list[str]) -> list[float]:
    values = dict(conn.execute("SELECT application_number, round(score, 2) FROM patent_values "
                               "WHERE application_number IN (SELECT unnest(?))", [numbers]).fetchall())
    return [float(values[n]) for n in numbers]


def _top_values(conn: duckdb.DuckDBPyConnection) -> list[float]:
    return [float(r[0]) for r in conn.execute(
        "SELECT round(v.score, 2) FROM patent_values v JOIN patents p USING (application_number) "
        "WHERE p.patent_type = 'invention' AND v.score IS NOT NULL ORDER BY 1 DESC LIMIT 10").fetchall()]


def test_sorting_by_value_follows_a_refresh(db: Path) -> None:
    conn = open_store(db)
    try:
        by_value = SearchOptions(patent_type="invention", sort="value", limit=10, facets=False)
        first = [h["application_number"] for h in search(conn, None, by_value)["hits"]]
        assert _values_in_order(conn, first) == _top_values(conn)
        # the office moves the weight to the economic dimension (version 2 of the rules)
        body = json.loads(json.dumps(packaged_rule_set("patent_value")))
        body["version"] = 2
        for name, weight in (("legal", 0.1), ("technical", 0.1), ("economic", 0.8)):
            body["dimensions"][name]["weight"] = weight
        conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('patent_value', 2, 'test', ?)",
                     [json.dumps(body)])
        refresh_values(conn)
        expected = _top_values(conn)
        assert _values_in_order(conn, first) != expected  # the old order is wrong now
        again = [h["application_number"] for h in search(conn, None, by_value)["hits"]]
        assert _values_in_order(conn, again) == expected
    finally:
        conn.close()
