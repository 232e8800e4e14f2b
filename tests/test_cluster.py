"""Clustering the patents by region: nothing in them changes, only their order on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from patentatlas.cli import main
from patentatlas.domain.indicators import region_indicators
from patentatlas.imports import import_file
from patentatlas.store import open_store
from patentatlas.store.cluster import cluster_patents, needs_clustering
from tests.conftest import LENS

EVERYTHING = "SELECT * FROM patents ORDER BY application_number"


def test_clustering_keeps_every_patent_and_orders_them_by_region(loaded_db: Path, tmp_path: Path) -> None:
    shutil.copy(loaded_db, tmp_path / "store.duckdb")
    conn = open_store(tmp_path / "store.duckdb")
    before, indicators = conn.execute(EVERYTHING).fetchall(), region_indicators(conn, "330000")
    publications = conn.execute("SELECT count(*) FROM publications").fetchall()
    assert needs_clustering(conn)
    summary = cluster_patents(conn)
    assert summary["patents"] == len(before) == 15149
    assert conn.execute(EVERYTHING).fetchall() == before
    assert region_indicators(conn, "330000") == indicators
    assert conn.execute("SELECT count(*) FROM publications").fetchall() == publications  # the views still work
    provinces = [p for (p,) in conn.execute("SELECT first_applicant_province_code FROM patents").fetchall()]
    present = [p for p in provinces if p is not None]
    assert present == sorted(present)  # stored in province order: a province's rows are together
    assert not needs_clustering(conn)
    import_file(conn, LENS)
    assert needs_clustering(conn)  # a new import: the next nightly run clusters again
    conn.close()


def test_optimize_command(loaded_db: Path, tmp_path: Path) -> None:
    shutil.copy(loaded_db, tmp_path / "store.duckdb")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "store.duckdb"), "optimize", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["patents"] == 15149
