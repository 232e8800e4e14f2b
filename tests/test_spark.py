"""The indicators on Apache Spark (PySpark, local mode, one session for the module) equal DuckDB's
exactly on the demo store's Parquet export: the summary tables, every region's figures and the
map's counts; loaded back into a store, its pages read what Spark counted. A folder from another
schema version, a missing reference table and an unreachable master are refused before any work."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from patentatlas.analytics import figures
from patentatlas.analytics.dataset import SCHEMA_VERSION, open_dataset
from patentatlas.analytics.dialect import DUCKDB
from patentatlas.analytics.spark import MAP_CHILDREN, map_table, run_job, spark_session
from patentatlas.analytics.summaries import TABLES, refresh_summaries, serves_summaries, store_basis, summary_state
from patentatlas.cli import main
from patentatlas.domain.indicators import map_data, region_indicators
from patentatlas.store import open_store
from patentatlas.store.schema import MIGRATIONS
from tests.conftest import parquet_export
from tests.servers import free_port

PROVINCES = ("110000", "440000", "330000", "310000")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def store_path(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with status changes seen between imports (dated grants and lapses), summarised."""
    path = tmp_path_factory.mktemp("spark") / "store.duckdb"
    shutil.copy(loaded_db, path)
    conn = open_store(path)
    lapsing = ("FROM patents WHERE first_applicant_province_code = '110000' AND status = 'in_force' "
               "AND patent_type = 'invention' AND grant_date IS NOT NULL AND filing_date < DATE '2016-01-01'")
    conn.execute(f"INSERT INTO status_changes SELECT application_number, 1, DATE '2021-06-30', 'in_force', "
                 f"'lapsed', NULL, '未缴年费专利权终止' {lapsing}")
    conn.execute(f"UPDATE patents SET status = 'lapsed', status_text = '未缴年费专利权终止' "
                 f"WHERE application_number IN (SELECT application_number {lapsing})")
    conn.execute("INSERT INTO status_changes SELECT application_number, 1, DATE '2020-03-02', 'pending', "
                 "'in_force', NULL, NULL FROM patents WHERE status = 'in_force' AND grant_date IS NULL "
                 "AND patent_type = 'invention'")
    assert conn.execute("SELECT count(*) FROM status_changes").fetchall()[0][0] > 20
    refresh_summaries(conn)
    conn.close()
    return path


@pytest.fixture(scope="module")
def export(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return parquet_export(store_path, tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def job(spark: Any, export: Path) -> dict[str, Any]:
    basis, tables = run_job(spark, open_dataset(export), "indicators")
    rows = {name: Counter(tuple(r) for r in frame.collect()) for name, frame in tables.items() if name not in TABLES}
    # the summary tables' columns in the order of the store's tables
    for name in TABLES:
        rows[name] = Counter(tuple(r) for r in tables[name].select(*_columns(name)).collect())
    return {"basis": basis, **rows, "map_counts": Counter(tuple(r) for r in map_table(spark).collect())}


def _columns(table: str) -> list[str]:
    with duckdb.connect() as conn:
        for version in (11, 16):  # the summary tables and summary_placement
            conn.execute(next(sql for v, _name, sql in MIGRATIONS if v == version))
        return [d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description]


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect(str(store_path), read_only=True)
    yield conn
    conn.close()


def _duckdb_rows(conn: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> Counter[tuple[Any, ...]]:
    text, bound = DUCKDB.bind(sql, params)
    return Counter(conn.execute(text, bound).fetchall())


def test_spark_builds_the_summary_tables_the_store_built(job: dict[str, Any], store: duckdb.DuckDBPyConnection,
                                                         export: Path) -> None:
    assert job["basis"].evidence and job["basis"].as_of.isoformat() == "2023-05-11"
    manifest = json.loads((export / "manifest.json").read_text())  # the rules the export was counted by
    assert manifest["rule_sets"]["indicators"]["version"] == 1 and manifest["status_changes"] > 20
    assert manifest["rule_sets"]["annual_fees"]["term_years"]["invention"] == 20  # the term counted by
    for table in TABLES:
        assert job[table] == _duckdb_rows(store, f"SELECT * FROM {table}"), table
    # China's valid inventions, counted from Spark's summary rows
    assert sum(r[-1] for r in job["summary_facts"] if r[0] and r[5] == "" and r[11]) == 1254


def test_every_regions_indicators_from_spark_equal_duckdbs(job: dict[str, Any],
                                                           store: duckdb.DuckDBPyConnection) -> None:
    every = [figures.every(level) for level in figures.LEVELS]
    queries = {"region_head": figures.head_sql(every), "region_series": figures.series_sql(every),
               "region_top_applicants": figures.top_applicants_sql(every),
               "region_top_ipc": figures.with_ipc_titles(figures.top_ipc_sql(every))}
    for name, sql in queries.items():
        assert job[name] == _duckdb_rows(store, sql, top_n=10), name
    map_sql = " UNION ALL ".join(figures.map_counts_sql(p, c) for p, cs in MAP_CHILDREN.items() for c in cs)
    assert job["map_counts"] == _duckdb_rows(store, map_sql)
    # and they are the figures the patents give: each province's valid and high-value inventions
    heads = {r[:3]: r for r in job["region_head"]}  # (level, region_code, industry) → the row
    for level, code in (("country", "100000"), *(("province", p) for p in PROVINCES)):
        figures_now = region_indicators(store, code, summaries=False)
        row = heads[(level, code, "")]
        assert (row[3], row[4]) == (figures_now["valid_invention_count"], figures_now["high_value_invention_count"])
    assert heads[("province", "110000", "")][3] == 179  # Beijing's valid inventions once 104 lapsed (283 before)


def test_spark_summaries_in_a_store_serve_its_pages(export: Path, store_path: Path, store: duckdb.DuckDBPyConnection,
                                                    tmp_path: Path, spark: Any) -> None:
    target = tmp_path / "served.duckdb"
    shutil.copy(store_path, target)
    with open_store(target) as conn:
        conn.execute("DELETE FROM summary_facts")  # what the store had is gone: only Spark's can serve
    result = CliRunner().invoke(main, ["--db", str(target), "spark", "map", "--input", str(export), "--output",
                                       str(tmp_path / "out"), "--master", "local[2]", "--format", "csv",
                                       "--into-store", "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.output)
    assert written["into_store"]["summary_facts"] == written["tables"]["summary_facts"] > 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["map_counts", *sorted(TABLES)]
    served = duckdb.connect(str(target), read_only=True)
    try:
        assert summary_state(served)["engine"] == "spark"  # type: ignore[index]
        assert serves_summaries(served, store_basis(served))
        for code in ("100000", *PROVINCES):
            assert region_indicators(served, code) == region_indicators(store, code, summaries=False), code
        assert map_data(served, "100000") == map_data(store, "100000", summaries=False)
    finally:
        served.close()


def _spark_cli(export: Path, tmp_path: Path, *more: str) -> Any:
    return CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "spark", "indicators", "--input",
                                     str(export), "--output", str(tmp_path / "out"), *more])


def _said(result: Any) -> str:
    """The command's output as one line (the console wraps long messages)."""
    return " ".join(result.output.split())


def test_a_folder_from_another_schema_version_is_refused(export: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(export, old)
    manifest = json.loads((old / "manifest.json").read_text())
    (old / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 9}))
    result = _spark_cli(old, tmp_path)
    assert result.exit_code == 1
    assert f"exported by schema version 9; this PatentAtlas reads version {SCHEMA_VERSION}" in _said(result)
    assert not (tmp_path / "out").exists()  # refused before any work


def test_a_missing_reference_table_is_named(export: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(export, partial)
    (partial / "regions.parquet").unlink()
    result = _spark_cli(partial, tmp_path)
    assert result.exit_code == 1
    assert "lacks the table regions.parquet that the indicators read" in _said(result)
    assert not (tmp_path / "out").exists()


def test_a_master_that_cannot_be_reached_is_named(export: Path, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    result = _spark_cli(export, tmp_path, "--master", f"spark://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert (f"the Spark master spark://127.0.0.1:{port} cannot be reached: 127.0.0.1:{port} (Connection refused)"
            in _said(result))
    assert not (tmp_path / "out").exists()


def test_a_manifest_without_the_fee_rules_is_refused(export: Path, tmp_path: Path) -> None:
    """The invention term is counted by the annual-fee rules: an export that lacks them is named."""
    old = tmp_path / "old"
    shutil.copytree(export, old)
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["rule_sets"]["annual_fees"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    result = _spark_cli(old, tmp_path)
    assert result.exit_code == 1
    assert "names no annual_fees rule set" in _said(result)
    assert not (tmp_path / "out").exists()
