"""Citations as a table of their own (issue 15 §5): one row per publication a patent's record lists,
written by the import for the patents it inserts or replaces (never twice), moved from the lists of
stores made before it, read by the citation network of a result set, exported as Parquet
partitioned by the office of the publication named."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from patentatlas.imports import import_file
from patentatlas.search.analysis import analyse, citation_network
from patentatlas.store import open_store
from patentatlas.store.schema import migrate
from tests import search_support
from tests.conftest import THUNDERSOFT, copied_store, parquet_export

indexed_db = search_support.indexed_db  # the shared fixture
# every publication the patents' lists name, as the view before migration 17 gave them
LISTED = ("SELECT application_number, 'backward' AS direction, unnest(cited_publications) AS publication_number "
          "FROM patents UNION ALL SELECT application_number, 'forward', unnest(citing_publications) FROM patents")
# the network as it was drawn from the lists before the table (the reference its answers must equal)
LISTS_NETWORK = """
WITH m AS (SELECT * FROM patents WHERE application_number IN (SELECT unnest(?))),
pubs AS (SELECT DISTINCT application_number, pn FROM (
           SELECT application_number, unnest([p.publication_number FOR p IN coalesce(publications, [])]) AS pn FROM m
           UNION ALL SELECT application_number, publication_number FROM m) WHERE pn IS NOT NULL),
cites AS (SELECT application_number AS citing, unnest(cited_publications) AS pn FROM m
          UNION ALL SELECT c.application_number, m2.pn FROM
            (SELECT application_number, unnest(citing_publications) AS citing_pn FROM m) x
            JOIN pubs c ON c.pn = x.citing_pn JOIN pubs m2 ON m2.application_number = x.application_number)
SELECT DISTINCT c.citing, p.application_number FROM cites c JOIN pubs p ON p.pn = c.pn
WHERE c.citing <> p.application_number ORDER BY 1, 2"""


def _rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str, str]]:
    return sorted(conn.execute(sql).fetchall())


def _listed(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return _rows(conn, f"SELECT * FROM ({LISTED}) WHERE publication_number IS NOT NULL")


def test_the_network_of_a_result_set_is_the_one_the_lists_drew(indexed_db: Path) -> None:
    conn = duckdb.connect(str(indexed_db), read_only=True)
    try:
        analysis = analyse(conn, "applicant:中科创达")
        network = analysis["network"]
        members = [p["application_number"] for p in analysis["patents"]]
        everyone = [p for (p,) in conn.execute("SELECT application_number FROM patents").fetchall()]
        for group in (members, everyone):
            edges = [(e["citing"], e["cited"]) for e in citation_network(conn, group)[1]]
            assert edges == conn.execute(LISTS_NETWORK, [group]).fetchall()
    finally:
        conn.close()
    assert network["patents_considered"] == 511  # ThunderSoft's patents cite each other 25 times
    assert [(e["citing"], e["cited"]) for e in network["edges"]] == [
        ("CN201310065030.6", "CN201110312529.3"), ("CN201310553204.3", "CN201210466350.8"),
        ("CN201410784664.1", "CN201410287681.4"), ("CN201510353392.4", "CN201210540020.9"),
        ("CN201510456708.2", "CN201510016645.9"), ("CN201510792359.1", "CN201510379331.5"),
        ("CN201510867359.3", "CN201410840818.4"), ("CN201511021587.5", "CN201510459433.8"),
        ("CN201511030843.7", "CN201510290344.5"), ("CN201610481659.2", "CN201210540020.9"),
        ("CN201610519218.7", "CN201310745662.7"), ("CN201611237515.9", "CN201510997755.8"),
        ("CN201611238395.4", "CN201511032485.3"), ("CN201611238395.4", "CN201610048847.6"),
        ("CN201611238395.4", "CN201610789614.1"), ("CN201710069085.2", "CN201510791679.5"),
        ("CN201711012036.1", "CN201610944652.X"), ("CN201711135538.3", "CN201511032485.3"),
        ("CN201810073876.7", "CN201610834787.0"), ("CN201811130989.2", "CN201611234280.8"),
        ("CN201811130989.2", "CN201710438134.5"), ("CN201811130989.2", "CN201810067262.8"),
        ("CN201811383561.9", "CN201410309495.6"), ("CN201910768466.9", "CN201910273364.X"),
        ("CN202010182385.3", "CN201910272900.4")]


def _edited(folder: Path, changed_rows: int) -> tuple[Path, list[str]]:
    """THUNDERSOFT with the 引用 (cited) column of its first ``changed_rows`` citing rows replaced."""
    with THUNDERSOFT.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    cited = rows[0].index("引用")
    edited = []
    for row in rows[1:]:
        if row[cited] and len(edited) < changed_rows:
            row[cited] = "CN999999999A"
            edited.append(row[rows[0].index("申请号")])
    path = folder / "patentics_thundersoft_cn_511_edited.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path, edited


def test_each_import_writes_the_rows_of_the_patents_it_inserts_or_changes(store: duckdb.DuckDBPyConnection,
                                                                          tmp_path: Path) -> None:
    import_file(store, THUNDERSOFT)
    first = _rows(store, "SELECT * FROM citations")
    assert first == _listed(store) and len(first) == 2062 + 2531  # the export's 引用 and 被引用 columns
    again = import_file(store, THUNDERSOFT)  # the same file: nothing changes, nothing is written twice
    assert again.unchanged == 511 and _rows(store, "SELECT * FROM citations") == first
    path, edited = _edited(tmp_path, 5)
    changed = import_file(store, path)  # five patents' cited publications replaced: their rows follow
    assert changed.updated == 5
    assert _rows(store, "SELECT * FROM citations") == _listed(store) != first
    assert store.execute("SELECT count(*), count(DISTINCT application_number) FROM citations WHERE "
                         "publication_number = 'CN999999999A' AND direction = 'backward'").fetchall()[0] == (5, 5)
    assert {a for (a,) in store.execute("SELECT application_number FROM citations WHERE publication_number = "
                                        "'CN999999999A'").fetchall()} == set(edited)


def test_a_store_from_before_the_table_moves_its_lists_into_it(loaded_db: Path, tmp_path: Path) -> None:
    conn = open_store(copied_store(loaded_db, tmp_path))
    expected = _listed(conn)
    conn.execute(f"DROP TABLE citations; CREATE VIEW citations AS {LISTED}; "
                 "DELETE FROM schema_migrations WHERE version = 17")  # as migration 1 left it
    assert migrate(conn) == [17]
    assert conn.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'citations'"
                        ).fetchall() == [("BASE TABLE",)]
    assert _rows(conn, "SELECT * FROM citations") == expected and len(expected) == 4593
    conn.close()


@pytest.fixture(scope="module")
def exported(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return parquet_export(loaded_db, tmp_path_factory.mktemp("citations_export"))


def test_the_parquet_export_holds_them_partitioned_by_office(exported: Path, loaded: duckdb.DuckDBPyConnection
                                                             ) -> None:
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["citations"].startswith("citations/ (partitioned by office")
    offices = sorted(p.name for p in (exported / "citations").iterdir())
    assert "office=CN" in offices and all(p.startswith("office=") for p in offices)
    read = duckdb.connect().execute(
        f"SELECT application_number, direction, publication_number, office FROM read_parquet("
        f"'{exported / 'citations'}/**/*.parquet', hive_partitioning = true)").fetchall()
    assert sorted(r[:3] for r in read) == _rows(loaded, "SELECT * FROM citations")
    assert len(read) == 4593 and all(r[2].upper().startswith(r[3]) or r[3] == "other" for r in read)
