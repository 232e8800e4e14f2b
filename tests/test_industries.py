"""Industries of patents on the real exports: SEI codes from the 2021 IPC concordance (expected
codes worked out by hand from ../shared/data/sei_ipc_2021), agreement with incoPat's own label,
the SEI tree, and specialty databases checked against counts made with csv from the files."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from patentatlas.cli import main
from patentatlas.domain.indicators import region_indicators
from patentatlas.domain.industries import (
    define_specialty,
    list_specialties,
    recompute_industries,
    recompute_specialty,
    sei_tree,
    source_agreement,
    specialty_dashboard,
)
from patentatlas.errors import NotFoundError, UsageError
from patentatlas.imports import import_file
from patentatlas.reference.sei import lookup_keys, nic_for_sei, sei_for_ipc
from patentatlas.store import open_store
from tests.conftest import CHATBOT, LENS, THUNDERSOFT, TOYOTA, VR

# (application number, its IPC codes as the export lists them, expected SEI codes, judged).
# Worked out by hand in ipc_sei.csv + sei.csv: for each code the most specific entry wins.
KNOWN = [
    # subgroups listed exactly: G01R31/389, /392, /3842 → 6.5 智能电网产业 (Toyota)
    ("CN202010302257.8", ["G01R31/389", "G01R31/392", "G01R31/3842"], ["6.5"], True),
    # G05D1/02 not listed; its main group G05D1/00 → 2.3 (incoPat labels it 1.5)
    ("CN202210704936.7", ["G05D1/02"], ["2.3"], True),
    # G16H20/30 → subclass G16H 1.5 (not class G16's 1.3); G06F18/* → 1.1; G06N20/00 → 1.4; A61H none
    ("CN202010579022.3", ["G16H20/30", "A61H1/02", "A61H3/00", "G06F18/214", "G06N20/00", "G06F18/23",
                          "G06F18/24"], ["1.1", "1.4", "1.5"], True),
    # G16Y* → only the class entry G16 → 1.3; G16H50/80 → G16H 1.5; G08G1/00 → 1.2; G06Q10/02 → 1.3
    ("CN202210415060.4", ["G16H50/80", "G06Q10/02", "G06Q50/30", "G16Y10/40", "G16Y20/40", "G16Y40/10",
                          "G16Y40/20", "G16Y40/35", "B60H1/24", "B60H3/00", "G08G1/00"], ["1.2", "1.3", "1.5"], True),
    # C08L77/02, C08L23/* → 3.3 and C08K3/28, /38 → 3.4 (not class C08's 3.6); C08K3/04 → 5.3 (not its
    # main group's 3.4); G02B27/01 → 8.1 (not G02B27/00's 3.6); H05K7/20 → 3.6
    ("CN202111464648.0", ["C08L77/02", "C08L23/06", "C08L23/16", "C08L23/08", "C08L23/12", "C08K3/28",
                          "C08K3/04", "C08K3/38", "G02B27/01", "H05K7/20"], ["3.3", "3.4", "3.6", "5.3", "8.1"], True),
    # VR file: G02B27/01 alone → 8.1
    ("CN201420272214.X", ["G02B27/01"], ["8.1"], True),
    # F16J15/34: no entry at any level → judged, not SEI
    ("CN00801183.4", ["F16J15/34"], [], True),
    # only H01L codes: the concordance lacks H01L → not judged
    ("CN201080068904.8", ["H01L23/36", "H01L25/07", "H01L25/18"], [], False),
    # H02N2/00 has no entry, H01L41/09 cannot be judged → not judged (never "not SEI")
    ("CN202210513477.4", ["H02N2/00", "H01L41/09"], [], False),
    # no IPC code at all
    ("TW080307506", [], [], False),
]
# GB/T 4754-2017 小类 tagged 新能源产业 > 智能电网产业 in nic_gbt4754_2017_flat.csv (3821 3823 3824 3831 4420)
SMART_GRID_NIC = ["C3821", "C3823", "C3824", "C3831", "D4420"]
SEPARATORS = re.compile(r"[;|]")
# the four files: columns holding the IPC codes, the applicants and the texts a keyword is sought in
FILE_COLUMNS = {
    TOYOTA: ("IPC", "申请人", ("标题 (中文)", "标题 (英文)", "摘要 (中文)", "摘要 (英文)")),
    CHATBOT: ("IPC", "申请人", ("标题 (中文)", "标题 (英文)", "摘要 (中文)", "摘要 (英文)")),
    VR: ("国际分类", "申请人", ("标题",)),
    THUNDERSOFT: ("国际分类", "申请人", ("标题", "摘要")),
}


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def _numbers(match: object) -> set[str]:
    """Application numbers (as the files write them) of rows of the four files that ``match``."""
    return {row["申请号"] for path, columns in FILE_COLUMNS.items() for row in _csv_rows(path)
            if match(row, *columns)}  # type: ignore[operator]


@pytest.fixture
def writable(loaded_db: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the store holding the four CN files."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(loaded_db, copy)
    conn = open_store(copy)
    yield conn
    conn.close()


# patents of the four real exports in each of the nine strategic emerging industries
TOP_LEVEL_COUNTS = {"1": 7397, "2": 936, "3": 533, "4": 363, "5": 1803, "6": 192, "7": 223, "8": 4596, "9": 1270}


def _by_top_level(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Patents in each top-level industry, counted from the stored SEI codes."""
    return dict(conn.execute("SELECT split_part(code, '.', 1), count(DISTINCT application_number) FROM "
                             "(SELECT application_number, unnest(sei_codes) AS code FROM patents) "
                             "GROUP BY 1 ORDER BY 1").fetchall())


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), *args], env={"COLUMNS": "200"})


# --------------------------------------------------------------------------- SEI of a patent


@pytest.mark.parametrize(("number", "ipc", "sei", "judged"), KNOWN, ids=[k[0] for k in KNOWN])
def test_sei_codes_of_real_patents(loaded: duckdb.DuckDBPyConnection, number: str, ipc: list[str],
                                   sei: list[str], judged: bool) -> None:
    row = loaded.execute("SELECT ipc_codes, sei_codes, sei_judged FROM patents WHERE application_number = ?",
                         [number]).fetchone()
    assert row == (ipc, sei, judged)
    assert sei_for_ipc(tuple(ipc)) == (tuple(sei), judged)


def test_nic_codes_follow_the_sei_codes(loaded: duckdb.DuckDBPyConnection) -> None:
    sei, source = loaded.execute("SELECT sei_codes, source_nic_codes FROM patents "
                                 "WHERE application_number = 'CN202010302257.8'").fetchone() or (None, None)
    assert list(nic_for_sei(tuple(sei))) == SMART_GRID_NIC
    assert source == ["C4012", "C4320", "C4028", "C4390", "C4360", "C4350", "C4090"]  # incoPat's, kept beside


def test_lookup_goes_from_the_subgroup_up_to_the_class() -> None:
    assert lookup_keys("G06F16/583") == ("G06F16/583", "G06F16/00", "G06F", "G06")
    assert lookup_keys("G06F16/00") == ("G06F16/00", "G06F", "G06")
    assert lookup_keys("C08") == ("C08",)


def test_every_stored_patent_has_the_industries_of_its_merged_ipc_codes(loaded: duckdb.DuckDBPyConnection) -> None:
    # incoPat lists an A and a B publication per application: the merged IPC codes decide
    # patents, judged (some IPC code in the concordance's scope), in an SEI industry, SEI codes in all
    assert loaded.execute("SELECT count(*), count_if(sei_judged), count_if(len(sei_codes) > 0), "
                          "sum(len(sei_codes)) FROM patents").fetchall() == [(15149, 15049, 13209, 20999)]
    assert _by_top_level(loaded) == TOP_LEVEL_COUNTS


def test_record_importers_fill_the_industries_too(store: duckdb.DuckDBPyConnection) -> None:
    import_file(store, LENS)
    assert store.execute("SELECT count(*), count_if(sei_judged), count_if(len(sei_codes) > 0), "
                         "sum(len(sei_codes)) FROM patents").fetchall() == [(9025, 8922, 7403, 12024)]
    assert store.execute("SELECT ipc_codes, sei_codes, sei_judged FROM patents "
                         "WHERE application_number = 'AU1945/019981A'").fetchall() == [
        (["G01S1/02", "G01S19/15", "G01S19/44", "G01S19/51"], ["1.1", "2.3"], True)]
    assert _by_top_level(store) == {"1": 3343, "2": 2750, "3": 343, "4": 579, "5": 389, "6": 227, "7": 197,
                                    "8": 1197, "9": 1060}


def test_recompute_industries(writable: duckdb.DuckDBPyConnection) -> None:
    assert recompute_industries(writable) == 0
    writable.execute("UPDATE patents SET sei_codes = NULL, sei_judged = NULL "
                     "WHERE application_number IN ('CN202010302257.8', 'CN201080068904.8')")
    assert recompute_industries(writable) == 2
    assert writable.execute("SELECT sei_codes, sei_judged FROM patents WHERE application_number = "
                            "'CN202010302257.8'").fetchone() == (["6.5"], True)


# --------------------------------------------------------------------------- agreement with incoPat


def test_agreement_with_incopat_on_the_toyota_file(loaded: duckdb.DuckDBPyConnection) -> None:
    agreement = source_agreement(loaded, TOYOTA.name)
    # the floor: a plain lookup overlaps incoPat's label on 95% of labelled CN patents
    assert agreement["overlap_share"] >= 0.95
    assert agreement == {"labelled": 3304, "not_judged": 6, "judged": 3298, "equal": 2879, "overlap": 3154,
                         "equal_share": 0.873, "overlap_share": 0.9563}


def test_labelled_cn_patents_counted_from_the_file(loaded: duckdb.DuckDBPyConnection) -> None:
    labelled = {r["申请号"] for r in _csv_rows(TOYOTA) if r["申请号"].startswith("CN") and r["新兴产业分类"].strip()}
    # (the one quarantined row's application is also listed in a good row)
    assert source_agreement(loaded, TOYOTA.name)["labelled"] == len(labelled) == 3304


# --------------------------------------------------------------------------- the SEI tree


def test_sei_tree_counts(loaded: duckdb.DuckDBPyConnection) -> None:
    tree = sei_tree(loaded)
    assert {n["code"]: n["patents"] for n in tree["industries"]} == TOP_LEVEL_COUNTS
    assert (tree["as_of"], tree["patents"], tree["not_judged"], tree["judged_not_sei"], tree["sei_patents"]) == (
        "2023-05-11", 15149, 100, 1840, 13209)
    total = loaded.execute("SELECT count(*) FROM patents WHERE filing_date <= ?", [tree["as_of"]]).fetchone()
    assert tree["patents"] == (total or [0])[0]
    assert tree["not_judged"] + tree["judged_not_sei"] + tree["sei_patents"] == tree["patents"]
    for node in tree["industries"]:
        children = node["children"]
        assert max(c["patents"] for c in children) <= node["patents"] <= sum(c["patents"] for c in children)
        for child in children:
            n = loaded.execute("SELECT count(*) FROM patents WHERE list_contains(sei_codes, ?) AND filing_date <= ?",
                               [child["code"], tree["as_of"]]).fetchone()
            assert child["patents"] == (n or [0])[0]


def test_sei_tree_of_a_region_agrees_with_the_indicators(loaded: duckdb.DuckDBPyConnection) -> None:
    tree = sei_tree(loaded, "330000", "2022-12-31")
    assert tree["region"] == {"code": "330000", "name": "浙江省", "level": "province"}
    ai = next(n for n in tree["industries"] if n["code"] == "1")
    assert ai["valid_inventions"] == region_indicators(loaded, "330000", "1", "2022-12-31")["valid_invention_count"]
    zhejiang = loaded.execute("SELECT count(*) FROM patents WHERE first_applicant_province_code = '330000' "
                              "AND filing_date <= DATE '2022-12-31'").fetchone()
    assert tree["patents"] == (zhejiang or [0])[0] > 0


def test_sei_tree_bad_region(loaded: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NotFoundError, match="999999"):
        sei_tree(loaded, "999999")
    with pytest.raises(UsageError):
        sei_tree(loaded, "hangzhou")


# --------------------------------------------------------------------------- specialty databases


def _contains_word(word: str) -> object:
    return lambda row, _ipc, _app, texts: any(word in row[c] for c in texts)


def test_keyword_database_over_the_real_files(writable: duckdb.DuckDBPyConnection) -> None:
    expected = _numbers(_contains_word("虚拟现实"))
    assert len(expected) == 7813  # 7,803 VR titles (two write 虚拟-现实), 1 Toyota, 7 chatbot, 2 more ThunderSoft
    result = define_specialty(writable, "vr", "虚拟现实产业", keywords=["虚拟现实"])
    assert (result["version"], result["members"]) == (1, len(expected))
    dashboard = specialty_dashboard(writable, "vr")
    assert dashboard["by_criterion"] == {"ipc": 0, "keyword": 7813, "applicant": 0}
    vr_rows = [r for r in _csv_rows(VR) if "虚拟现实" in r["标题"]]
    assert dashboard["by_year"]["2016"] == sum(r["申请日"].startswith("2016") for r in vr_rows)
    assert dashboard["top_applicants"][0] == {"name": "京东方科技集团股份有限公司", "patents": 134}


def test_ipc_and_applicant_database(writable: duckdb.DuckDBPyConnection) -> None:
    boe = "京东方科技集团股份有限公司"
    by_ipc = _numbers(lambda row, ipc, _a, _t: any(c.replace(" ", "").startswith("G02B27/01")
                                                   for c in SEPARATORS.split(row[ipc])))
    by_applicant = _numbers(lambda row, _i, app, _t: boe in [a.strip() for a in SEPARATORS.split(row[app])])
    define_specialty(writable, "hmd", "头戴显示", ipc_codes=["G02B 27/01"], applicants=[boe])
    dashboard = specialty_dashboard(writable, "hmd")
    assert dashboard["ipc_codes"] == ["G02B27/01"]
    assert dashboard["members"] == len(by_ipc | by_applicant) == 1901
    assert dashboard["by_criterion"] == {"ipc": len(by_ipc), "keyword": 0, "applicant": len(by_applicant)}
    both = writable.execute("SELECT count(*) FROM specialty_members WHERE db_id = 'hmd' AND matched_by = "
                            "'applicant,ipc'").fetchone()
    assert (both or [0])[0] == len(by_ipc & by_applicant) == 65


def test_a_main_group_covers_its_subgroups(writable: duckdb.DuckDBPyConnection) -> None:
    by_group = _numbers(lambda row, ipc, _a, _t: any(re.match(r"G02B\s*27/", c.strip())
                                                     for c in SEPARATORS.split(row[ipc])))
    assert define_specialty(writable, "g02b27", "G02B27", ipc_codes=["G02B27/00"])["members"] == len(by_group)


def test_new_versions_and_recompute(writable: duckdb.DuckDBPyConnection) -> None:
    define_specialty(writable, "vr", "虚拟现实", keywords=["虚拟现实"])
    second = define_specialty(writable, "vr", "虚拟现实（头盔）", keywords=["头盔"])
    assert (second["version"], second["name"]) == (2, "虚拟现实（头盔）")
    helmets = _numbers(_contains_word("头盔"))
    assert second["members"] == len(helmets)
    versions = writable.execute("SELECT version, keywords FROM specialty_databases WHERE db_id = 'vr' "
                                "ORDER BY version").fetchall()
    assert versions == [(1, ["虚拟现实"]), (2, ["头盔"])]
    writable.execute("DELETE FROM specialty_members")
    assert recompute_specialty(writable) == {"vr": len(helmets)}
    assert [(d["db_id"], d["version"], d["members"]) for d in list_specialties(writable)] == [
        ("vr", 2, len(helmets))]


def test_imports_recompute_the_databases(store: duckdb.DuckDBPyConnection) -> None:
    define_specialty(store, "vr", "虚拟现实", keywords=["虚拟现实"])
    assert specialty_dashboard(store, "vr")["members"] == 0
    import_file(store, THUNDERSOFT)
    assert specialty_dashboard(store, "vr")["members"] == len(
        {r["申请号"] for r in _csv_rows(THUNDERSOFT) if "虚拟现实" in r["标题"] + r["摘要"]})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ipc_codes": ["G06F16/XYZ"]}, "'G06F16/XYZ' is not an IPC code"),
    ({"ipc_codes": ["hello"], "keywords": ["笔"]}, "'hello' is not an IPC code"),
    ({}, "is empty"),
    ({"ipc_codes": [" "], "keywords": [""], "applicants": []}, "is empty"),
])
def test_bad_definitions(store: duckdb.DuckDBPyConnection, kwargs: dict[str, list[str]], message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        define_specialty(store, "pens", "制笔", **kwargs)
    assert store.execute("SELECT count(*) FROM specialty_databases").fetchone() == (0,)


def test_bad_ids_and_names(store: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UsageError, match="without spaces"):
        define_specialty(store, "my pens", "制笔", keywords=["笔"])
    with pytest.raises(UsageError, match="give it a name"):
        define_specialty(store, "pens", " ", keywords=["笔"])
    with pytest.raises(NotFoundError, match="pens"):
        specialty_dashboard(store, "pens")


# --------------------------------------------------------------------------- the command line


def test_show_json_has_the_industries(loaded_db: Path) -> None:
    result = run(loaded_db, "show", "CN202010302257.8", "--json")
    assert result.exit_code == 0, result.output
    patent = json.loads(result.output)
    assert (patent["sei_codes"], patent["sei_judged"], patent["nic_codes"]) == (["6.5"], True, SMART_GRID_NIC)
    assert patent["source_sei_labels"] == ["6.5 (智能电网产业)"]


def test_industries_command(loaded_db: Path) -> None:
    result = run(loaded_db, "industries", "--region", "330000", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["region"]["name"] == "浙江省"
    table = run(loaded_db, "industries")
    assert table.exit_code == 0 and "新一代信息技术产业" in table.output and "not judged" in table.output
    bad = run(loaded_db, "industries", "--region", "999999")
    assert bad.exit_code == 1 and "999999" in bad.output


def test_specialty_commands(loaded_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(loaded_db, db)
    defined = run(db, "specialty", "define", "vr", "--name", "虚拟现实", "--keyword", "虚拟现实", "--ipc", "G02B27/01")
    assert defined.exit_code == 0 and "vr version 1" in defined.output
    shown = run(db, "specialty", "show", "vr", "--json")
    assert json.loads(shown.output)["members"] == len(_numbers(_contains_word("虚拟现实")) | _numbers(
        lambda row, ipc, _a, _t: any(c.replace(" ", "").startswith("G02B27/01") for c in SEPARATORS.split(row[ipc]))))
    listed = run(db, "specialty", "list")
    assert listed.exit_code == 0 and "虚拟现实" in listed.output
    bad = run(db, "specialty", "define", "pens", "--name", "制笔", "--ipc", "B43K/")
    assert bad.exit_code == 1 and "'B43K/' is not an IPC code" in bad.output
    empty = run(db, "specialty", "define", "pens", "--name", "制笔")
    assert empty.exit_code == 1 and "is empty" in empty.output
