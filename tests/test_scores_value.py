"""Patent value scores (issue 13 §1) through the command line on the four real exports: components of
real patents whose citation counts the Patentics export gives, normalised by hand within their cohort."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
from click.testing import CliRunner, Result

from patentatlas.cli import main
from patentatlas.domain.value import stored_value
from patentatlas.rules import packaged_rule_set
from tests.conftest import THUNDERSOFT

# 智能机姿态测定及虚拟现实漫游方法 (刘进), VR export row: 权利要求数 9, 本文引用专利数 7, 引用本文专利数 11,
# 同族专利数 12, 有效, filed 2014-04-23, granted 2017-11-03, IPC G01C21/08 G01C21/10 G01C21/20 G06F3/01 G06T17/00
# H04W4/02 H04W4/021 (4 subclasses). Its cohort G01C × 2014 holds three patents of the four exports:
#   CN201410431586.7 (东华大学, 驳回): forward 7, backward 0, family 0, claims 4, scope 1, not granted
#   CN201410273415.6 (Thundersoft export): forward 16, backward 6, family 1, no claim count, scope 2, lag 973 days
SMART_PHONE = "CN201410163542.0"


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), *args], env={"COLUMNS": "200"})


def component(data: dict, name: str) -> dict:
    return next(c for c in data["components"] if c["name"] == name)


def test_value_of_a_real_patent_by_hand(loaded_db: Path) -> None:
    result = run(loaded_db, "value", SMART_PHONE, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data)[:6] == ["score", "legal", "technical", "economic", "components", "missing"]
    assert data["cohort"] == {"ipc_subclass": "G01C", "filing_year": 2014, "patents": 3,
                              "definition": "main IPC subclass (4 characters) × filing year"}
    assert data["as_of"] == "2023-05-11"  # the store's data date
    # the cap is the cohort's 99th percentile, linear between ranks (position 0.99 × (n − 1)):
    # forward [7, 11, 16]: 11 + 0.98 × 5 = 15.9; 11 / 15.9 = 0.6918
    forward = component(data, "forward_citations")
    assert (forward["raw"], forward["cohort_cap"], forward["normalised"], forward["weight"]) == (11.0, 15.9, 0.6918,
                                                                                                0.35)
    # backward [0, 6, 7]: 6 + 0.98 × 1 = 6.98; 7 is cut to 6.98 → 1
    assert (component(data, "backward_citations")["raw"], component(data, "backward_citations")["cohort_cap"],
            component(data, "backward_citations")["normalised"]) == (7.0, 6.98, 1.0)
    # scope [1, 2, 4]: 2 + 0.98 × 2 = 3.96 → 1; claims [4, 9] (one has none): 4 + 0.99 × 5 = 8.95 → 1
    assert component(data, "scope")["raw"] == 4.0 and component(data, "scope")["cohort_cap"] == 3.96
    assert component(data, "claims")["cohort_cap"] == 8.95 and component(data, "claims")["normalised"] == 1.0
    # grant lag [973, 1290] days: cap 973 + 0.99 × 317 = 1286.83; the longer lag scores 1 − 1 = 0
    assert (component(data, "grant_lag")["raw"], component(data, "grant_lag")["cohort_cap"],
            component(data, "grant_lag")["normalised"]) == (1290.0, 1286.83, 0.0)
    # family [0, 1, 12]: cap 1 + 0.98 × 11 = 11.78 → 1; overseas family: the VR export does not say
    assert component(data, "family_size")["normalised"] == 1.0
    assert data["missing"] == ["overseas_family"]
    assert data["missing_reasons"]["overseas_family"] == "the source export does not say whether it has family abroad"
    # remaining life from 2023-05-11 to the term's end 2034-04-23: 4,000 days / 365.25 = 10.9514 years; the
    # cohort's [0 (lapsed), 10.9514, 11.1047]: cap 10.9514 + 0.98 × 0.1533 = 11.1016; 10.9514 / 11.1016 = 0.9865
    life = component(data, "remaining_life")
    assert life["raw"] == 10.9514 and life["normalised"] == 0.9865
    # legal 100 × (0.4 × 1 + 0.4 × 0.98647 + 0.2 × 1) = 99.46; technical 100 × (0.35 × 0.69182 + 0.15 × 1 +
    # 0.3 × 1 + 0.2 × 0) = 69.21; economic: family alone (overseas missing, its weight dropped) = 100
    assert (data["legal"], data["technical"], data["economic"]) == (99.46, 69.21, 100.0)
    # score 0.3 × 99.4586 + 0.4 × 69.2138 + 0.3 × 100 = 87.52
    assert data["score"] == 87.52
    assert data["rule_set"]["name"] == "patent_value" and data["rule_set"]["version"] == 1


def test_lapsed_refused_application_scores_low_and_says_why(loaded_db: Path) -> None:
    data = json.loads(run(loaded_db, "value", "201410431586.7", "--json").output)
    assert data["application_number"] == "CN201410431586.7"
    assert component(data, "legal_status")["raw"] == 0.0 and component(data, "remaining_life")["raw"] == 0.0
    assert data["missing"] == ["grant_lag"]
    assert data["missing_reasons"]["grant_lag"] == "not granted, or no grant date in the source"
    # legal: status 0, life 0, claims 4 / 8.95 = 0.4469 → 100 × 0.2 × 0.44693 = 8.94
    assert data["legal"] == 8.94


def test_incopat_rows_have_citations_missing_not_zero(loaded_db: Path) -> None:
    conn = duckdb.connect(str(loaded_db), read_only=True)
    number = conn.execute("SELECT application_number FROM patents WHERE forward_citation_count IS NULL AND "
                          "patent_type = 'invention' AND status = 'in_force' ORDER BY 1 LIMIT 1").fetchall()[0][0]
    conn.close()
    data = json.loads(run(loaded_db, "value", number, "--json").output)
    assert {"forward_citations", "backward_citations", "family_size", "claims"} <= set(data["missing"])
    assert component(data, "forward_citations")["normalised"] is None
    assert data["missing_reasons"]["forward_citations"] == "the source export carries no citation counts"
    assert data["score"] is not None  # scored from what the export does carry


def test_refresh_stores_every_patent_and_source_figures_correlate(loaded_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(loaded_db, db)
    result = run(db, "refresh-values", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    conn = duckdb.connect(str(db), read_only=True)
    patents = conn.execute("SELECT count(*) FROM patents").fetchall()[0][0]
    stored = conn.execute("SELECT round(score, 2), round(legal, 2) FROM patent_values "
                          "WHERE application_number = ?", [SMART_PHONE]).fetchall()
    explained = stored_value(conn, SMART_PHONE)
    conn.close()
    assert summary["scored"] == patents and summary["as_of"] == "2023-05-11"
    assert stored == [(87.52, 99.46)]  # the whole-store query gives the same as the one-cohort one
    # the stored score explains itself from its cohort's stored rows as the live one does (the caps
    # and normalised values of test_value_of_a_real_patent_by_hand)
    assert explained is not None and explained["cohort"]["patents"] == 3 and explained["score"] == 87.52
    forward, lag = component(explained, "forward_citations"), component(explained, "grant_lag")
    assert (forward["raw"], forward["cohort_cap"], forward["normalised"]) == (11.0, 15.9, 0.6918)
    assert (lag["raw"], lag["cohort_cap"], lag["normalised"]) == (1290.0, 1286.83, 0.0)
    assert explained["missing"] == ["overseas_family"] and explained["rule_version"] == 1
    result = run(db, "source-figures", str(THUNDERSOFT), "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["kept"] == 511 and figures["figures"] == ["价值1", "价值2", "价值3", "质量", "专利度"]
    rho = {(r["source_figure"], r["our_score"]): r for r in figures["correlations"]}
    assert rho[("价值1", "score")]["patents"] == 511
    assert -1 <= rho[("价值1", "score")]["spearman"] <= 1
    # the figures are kept beside the score of each patent
    one = json.loads(run(db, "value", "CN201410273415.6", "--json").output)
    assert one["source_figures"][0]["value1"] == 27.0 and one["source_figures"][0]["value2"] == 86.0


def test_weights_that_do_not_sum_to_one_are_refused(loaded_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(loaded_db, db)
    body = json.loads(json.dumps(packaged_rule_set("patent_value")))
    body["dimensions"]["technical"]["components"]["scope"] = 0.5  # technical now sums to 1.2
    conn = duckdb.connect(str(db))
    conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('patent_value', 2, 'test', ?)",
                 [json.dumps(body)])
    conn.close()
    result = run(db, "value", SMART_PHONE, "--json")
    assert result.exit_code == 1
    assert "rule set patent_value v2: the technical component weights must be non-negative and sum to 1; " \
           "they sum to 1.2" in result.output


def test_unknown_and_malformed_numbers(loaded_db: Path) -> None:
    assert "is not in the store" in run(loaded_db, "value", "CN201910000001.9").output
    assert "is not an application number" in run(loaded_db, "value", "banana").output


def test_migration_20_keeps_stored_scores_explained(loaded_db: Path, tmp_path: Path) -> None:
    """A store from before 20 kept each patent's normalised components, cohort size and missing ones:
    the columns go, and a stored score still explains itself, from its cohort's stored rows."""
    from patentatlas.domain.value import refresh_values
    from patentatlas.store import open_store
    from patentatlas.store.schema import migrate
    from tests.conftest import copied_store

    conn = open_store(copied_store(loaded_db, tmp_path))
    refresh_values(conn)
    before = conn.execute("SELECT count(*), sum(score) FROM patent_values").fetchall()
    dropped = ["cohort_size INTEGER", *(f"n_{name} DOUBLE" for name in (
        "forward_citations", "backward_citations", "family_size", "overseas_family", "claims", "scope",
        "grant_lag", "remaining_life", "legal_status")), "missing VARCHAR[]"]
    for column in dropped:
        conn.execute(f"ALTER TABLE patent_values ADD COLUMN {column}")
    conn.execute("DELETE FROM schema_migrations WHERE version = 20")
    assert migrate(conn) == [20]
    columns = {c for (c,) in conn.execute("SELECT column_name FROM duckdb_columns() "
                                          "WHERE table_name = 'patent_values'").fetchall()}
    assert not columns & {"cohort_size", "n_forward_citations", "n_legal_status", "missing"}
    assert conn.execute("SELECT count(*), sum(score) FROM patent_values").fetchall() == before
    explained = stored_value(conn, SMART_PHONE)
    conn.close()
    assert explained is not None and (explained["score"], explained["cohort"]["patents"]) == (87.52, 3)
    assert component(explained, "forward_citations")["normalised"] == 0.6918


def test_a_stored_score_explains_itself_by_the_rule_set_it_was_scored_by(loaded_db: Path, tmp_path: Path) -> None:
    """An office's new rule set (v2, another trim) after the refresh: the stored score is still
    explained by v1, its caps the 99th percentile; scoring now (``value``) follows v2."""
    from patentatlas.domain.value import refresh_values
    from patentatlas.store import open_store
    from tests.conftest import copied_store

    db = copied_store(loaded_db, tmp_path)
    conn = open_store(db)
    refresh_values(conn)
    body = json.loads(json.dumps(packaged_rule_set("patent_value")))
    body["trim_quantile"] = 0.5
    conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('patent_value', 2, 'test', ?)",
                 [json.dumps(body)])
    stored = stored_value(conn, SMART_PHONE)
    conn.close()
    assert stored is not None and stored["rule_set"]["version"] == 1 and stored["score"] == 87.52
    assert component(stored, "forward_citations")["cohort_cap"] == 15.9  # [7, 11, 16] at 0.99
    now = json.loads(run(db, "value", SMART_PHONE, "--json").output)
    forward = component(now, "forward_citations")
    assert now["rule_set"]["version"] == 2 and (forward["cohort_cap"], forward["normalised"]) == (11.0, 1.0)
