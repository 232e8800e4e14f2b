"""Search over the four real Chinese exports: exact hits checked by hand against the CSV files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from patentatlas.cli import main
from patentatlas.errors import UsageError
from patentatlas.imports import import_file
from patentatlas.search import SearchOptions, search
from patentatlas.search.index import index_path
from patentatlas.store import open_store
from tests import search_support
from tests.conftest import THUNDERSOFT, VR
from tests.search_support import ENDOSCOPES

indexed_db, indexed = search_support.indexed_db, search_support.indexed  # the shared fixtures

def numbers(result: dict) -> set[str]:
    return {h["application_number"] for h in result["hits"]}


def like_titles(conn: duckdb.DuckDBPyConnection, word: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT application_number FROM patents WHERE title_zh LIKE ?",
                                       [f"%{word}%"]).fetchall()}


def test_a_chinese_word_finds_exactly_its_patents(indexed: duckdb.DuckDBPyConnection) -> None:
    result = search(indexed, "内窥镜")
    assert result["total"] == 2
    assert numbers(result) == ENDOSCOPES
    assert result["hits"][0]["application_number"] == "CN201410722564.6"  # 虚拟现实胶囊内窥镜: the shorter title
    assert "<mark>内窥镜</mark>" in result["hits"][0]["title_html"]


def test_a_title_word_finds_what_like_finds(indexed: duckdb.DuckDBPyConnection) -> None:
    # 手术 inside 外科手术, 手术室, 微创手术: jieba's search mode keeps the shorter word, so nothing is lost
    result = search(indexed, "title:手术", SearchOptions(limit=100))
    assert numbers(result) == like_titles(indexed, "手术")
    assert result["total"] == 63


def test_fields_booleans_phrases_and_ranges(indexed: duckdb.DuckDBPyConnection) -> None:
    surgery = like_titles(indexed, "手术")
    training = search(indexed, "title:手术 AND title:训练", SearchOptions(limit=100))
    assert numbers(training) == surgery & like_titles(indexed, "训练")
    without = search(indexed, "title:手术 NOT title:训练", SearchOptions(limit=100))
    assert numbers(without) == surgery - like_titles(indexed, "训练")
    either = search(indexed, "title:(内窥镜 OR 牙科)", SearchOptions(limit=100))
    assert numbers(either) == ENDOSCOPES | like_titles(indexed, "牙科")
    dated = search(indexed, "title:手术 filed:2019..2019", SearchOptions(limit=100))
    assert numbers(dated) == {r[0] for r in indexed.execute(
        "SELECT application_number FROM patents WHERE title_zh LIKE '%手术%' AND year(filing_date) = 2019").fetchall()}
    assert dated["total"] == 9
    phrase = search(indexed, 'title:"图像处理方法"', SearchOptions(limit=100))
    assert numbers(phrase) == like_titles(indexed, "图像处理方法")


def test_numbers_ipc_and_english(indexed: duckdb.DuckDBPyConnection) -> None:
    assert numbers(search(indexed, "pn:CN110750616B")) == {"CN201910985485.7"}
    assert numbers(search(indexed, "pn:CN110750616")) == {"CN201910985485.7"}
    assert numbers(search(indexed, "an:201910985485")) == {"CN201910985485.7"}
    assert numbers(search(indexed, "an:ZL201910985485.7")) == {"CN201910985485.7"}
    g06f3 = indexed.execute("SELECT count(*) FROM patents WHERE len(list_filter(list_append(ipc_codes, ipc_main), "
                            "lambda c: starts_with(c, 'G06F3/'))) > 0").fetchall()[0][0]
    assert search(indexed, "ipc:G06F3")["total"] == g06f3
    assert search(indexed, "ipc:g06f3/0")["total"] <= g06f3
    vehicles = search(indexed, "title:vehicles", SearchOptions(limit=5))  # stemmed: vehicle, vehicles
    assert vehicles["total"] == indexed.execute(
        "SELECT count(*) FROM patents WHERE regexp_matches(lower(title_en), '\\bvehicles?\\b')").fetchall()[0][0]


def test_filters_facets_and_sorting(indexed: duckdb.DuckDBPyConnection) -> None:
    result = search(indexed, "title:手术", SearchOptions(patent_type="utility_model", limit=100, sort="date"))
    assert numbers(result) == {r[0] for r in indexed.execute(
        "SELECT application_number FROM patents WHERE title_zh LIKE '%手术%' AND patent_type = 'utility_model'")
        .fetchall()}
    dates = [h["filing_date"] for h in result["hits"]]
    assert dates == sorted(dates, reverse=True)
    facets = search(indexed, "title:手术")["facets"]
    assert sum(b["count"] for b in facets["type"]) == 63
    assert {b["value"]: b["count"] for b in facets["year"]}[2019] == 9


@pytest.mark.parametrize("query, notice", [
    ('"内窥镜', "a quote was not closed"),
    ("(内窥镜 OR 牙科", "a parenthesis was not closed"),
    ("内窥镜) 胶囊", "a closing parenthesis had no opening one"),
    ("colour:内窥镜", "unknown field 'colour'"),
    ("title:手术 filed:2021..2019", "the range's ends were swapped"),
])
def test_bad_input_is_read_sensibly_and_said(indexed: duckdb.DuckDBPyConnection, query: str, notice: str) -> None:
    result = search(indexed, query)
    assert any(notice in n for n in result["notices"]), result["notices"]
    assert result["total"] > 0


def test_empty_long_and_unreadable_queries(indexed: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UsageError, match="the query is empty"):
        search(indexed, "  ")
    assert search(indexed, "", SearchOptions(patent_type="design"))["total"] == 18  # a filter alone browses
    paragraph = ("一种基于虚拟现实的手术训练系统，包括头戴显示器、力反馈手柄和手术模拟模块。" * 300)[:10_000]
    result = search(indexed, paragraph, SearchOptions(limit=10))
    assert "searched as a paragraph" in result["notices"][0]
    assert result["total"] > 0 and "手术" in result["terms"]
    with pytest.raises(UsageError, match="not a date"):
        search(indexed, "filed:2019-13..2020")
    with pytest.raises(UsageError, match="nested more than"):
        search(indexed, "(" * 40 + "a" + ")" * 40)


def test_the_index_follows_imports(tmp_path: Path) -> None:
    conn = open_store(tmp_path / "store.duckdb")
    import_file(conn, THUNDERSOFT)
    path = index_path(conn)
    assert path is not None and not path.exists()  # never searched: no index built yet
    assert search(conn, "内窥镜")["total"] == 0  # the first search builds it
    import_file(conn, VR)  # an index exists: the import brings it up to date
    state = json.loads((path / "state.json").read_text())
    assert state["batch"] == 2
    assert numbers(search(conn, "内窥镜")) == ENDOSCOPES
    conn.close()


def test_cli_search_json(indexed_db: Path) -> None:
    answer = CliRunner().invoke(main, ["--db", str(indexed_db), "search", "内窥镜", "--limit", "1", "--json"])
    assert answer.exit_code == 0, answer.output
    data = json.loads(answer.output)
    assert data["total"] == 2
    assert data["hits"] == [{"application_number": "CN201410722564.6", "title": "虚拟现实胶囊内窥镜",
                             "score": data["hits"][0]["score"]}]
    empty = CliRunner().invoke(main, ["--db", str(indexed_db), "search", "", "--json"])
    assert empty.exit_code == 1 and "the query is empty" in empty.output


def test_sorting_by_value_score(indexed: duckdb.DuckDBPyConnection) -> None:
    result = search(indexed, "title:手术", SearchOptions(sort="value", limit=100))
    scores = dict(indexed.execute("SELECT application_number, score FROM patent_values").fetchall())
    shown = [scores.get(h["application_number"]) for h in result["hits"]]
    assert [s for s in shown if s is not None] == sorted((s for s in shown if s is not None), reverse=True)
    assert shown[0] == max(scores[n] for n in like_titles(indexed, "手术") if scores.get(n) is not None)


def test_workers_that_cannot_start_lose_no_patent(loaded_db: Path, tmp_path: Path) -> None:
    # a script read from standard input cannot be re-imported by worker processes: the pool breaks
    # at the first chunk, and every chunk (the one it broke on too) is built in the process itself
    db = tmp_path / "store.duckdb"
    shutil.copy(loaded_db, db)
    script = ("import json, duckdb\nfrom patentatlas.search import rebuild_index\n"
              f"print(json.dumps(rebuild_index(duckdb.connect({str(db)!r}, read_only=True), workers=2)))\n")
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parents[1], check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["patents"] == 15149  # the four exports: 8 chunks of 2,000 rows
    conn = duckdb.connect(str(db), read_only=True)
    try:
        assert search(conn, "内窥镜")["total"] == 2
        assert search(conn, None, SearchOptions(patent_type="invention", facets=False))["total"] == int(
            conn.execute("SELECT count(*) FROM patents WHERE patent_type = 'invention'").fetchall()[0][0])
    finally:
        conn.close()
