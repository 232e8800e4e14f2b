"""Summary tables: refreshed by each import, read by the indicators, the map and the enterprise
listing and the placement panel, and exactly equal to the figures computed from the patents (the demo
store's four real exports). A question the summaries do not describe (another statistics date, data changed since)
is answered from the patents."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from patentatlas.analytics.summaries import (
    current_summaries,
    refresh_summaries,
    serves_summaries,
    store_basis,
    summary_state,
)
from patentatlas.cli import main
from patentatlas.domain.indicators import map_data, region_enterprises, region_indicators
from patentatlas.domain.placement import place_patents
from patentatlas.domain.region_placement import region_placement
from patentatlas.imports import import_file
from patentatlas.store import open_store, transaction
from patentatlas.store.reference import ensure_reference
from tests.conftest import THUNDERSOFT, copied_store

LEVEL_COLUMNS = {"province": "first_applicant_province_code", "city": "first_applicant_city_code",
                 "county": "first_applicant_county_code", "township": "first_applicant_region_code"}


@pytest.fixture(scope="module")
def demo(loaded_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect(str(loaded_db), read_only=True)
    yield conn
    conn.close()


def _regions_with_patents(conn: duckdb.DuckDBPyConnection, levels: tuple[str, ...] = tuple(LEVEL_COLUMNS),
                           most: int = 1000) -> list[str]:
    """China and the region codes of ``levels`` some patent's first applicant is in (known to the
    store), at most ``most`` of each level, those with most patents first."""
    codes = []
    for level in levels:
        column = LEVEL_COLUMNS[level]
        codes += [code for (code,) in conn.execute(
            f"SELECT {column} FROM patents WHERE {column} IN (SELECT code FROM regions WHERE level = ?) "
            f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?", [level, most]).fetchall()]
    return ["100000", *codes]


def test_the_import_leaves_summaries_of_the_data_date(demo: duckdb.DuckDBPyConnection) -> None:
    state = summary_state(demo)
    assert state is not None
    assert (state["as_of"], state["data_date"], state["patents"], state["engine"]) == (
        dt.date(2023, 5, 11), dt.date(2023, 5, 11), 15149, "duckdb")
    assert serves_summaries(demo, store_basis(demo))
    # what a page reads: China's valid inventions straight from the summary table
    valid = demo.execute("SELECT sum(patents) FROM summary_facts WHERE country_cn AND industry = '' AND valid"
                         ).fetchall()[0][0]
    assert valid == region_indicators(demo, "100000", summaries=False)["valid_invention_count"] == 1358


def test_every_region_reads_from_summaries_what_the_patents_say(demo: duckdb.DuckDBPyConnection) -> None:
    assert serves_summaries(demo, store_basis(demo))  # (else both sides would read the patents)
    codes = _regions_with_patents(demo, ("province",)) + _regions_with_patents(
        demo, ("city", "county", "township"), 12)[1:]
    assert len(codes) == 60  # China, 31 provinces, the 12 cities and counties with most patents, 4 townships
    for code in codes:
        assert region_indicators(demo, code) == region_indicators(demo, code, summaries=False), code


def test_industries_read_from_summaries_what_the_patents_say(demo: duckdb.DuckDBPyConnection) -> None:
    industries = [c for (c,) in demo.execute("SELECT code FROM sei_industries ORDER BY code").fetchall()]
    assert len(industries) == 49  # 9 industries and their 40 sub-industries
    counted = 0
    for industry in industries:  # every industry over China, the top-level ones over a province and a city
        for code in ("100000", *(("110000", "440300") if "." not in industry else ())):
            figures = region_indicators(demo, code, industry)
            assert figures == region_indicators(demo, code, industry, summaries=False), (code, industry)
            counted += figures["valid_invention_count"] > 0
    assert counted > 30  # most of them count something


def test_the_map_reads_from_summaries_what_the_patents_say(demo: duckdb.DuckDBPyConnection) -> None:
    parents = _regions_with_patents(demo, ("province",)) + _regions_with_patents(demo, ("city", "county"), 5)[1:]
    for parent in parents:  # China and every province; the cities and counties with most patents
        for industry in (None, "1") if parent in parents[:3] else (None,):
            assert map_data(demo, parent, industry=industry) == map_data(demo, parent, industry=industry,
                                                                         summaries=False), (parent, industry)
    china = map_data(demo, "100000", "valid_invention_count")
    assert {r["code"]: r["value"] for r in china["regions"]}["110000"] == 283


def test_the_enterprise_listing_reads_from_summaries_what_the_patents_say(demo: duckdb.DuckDBPyConnection) -> None:
    for code, industry, offset in (("100000", None, 0), ("100000", None, 100), ("440300", None, 0),
                                   ("110108", "1", 0), ("330000", None, 0)):
        kept = region_enterprises(demo, code, industry, offset=offset)
        assert kept == region_enterprises(demo, code, industry, offset=offset, summaries=False), (code, offset)
    first = region_enterprises(demo, "100000")["enterprises"][0]
    assert (first["name"], first["patents"]) == ("中科创达软件股份有限公司", 309)


def test_another_statistics_date_reads_the_patents(demo: duckdb.DuckDBPyConnection) -> None:
    basis = store_basis(demo)
    earlier = type(basis)(dt.date(2020, 12, 31), basis.data_date, basis.rules, basis.hv, basis.evidence)
    assert not serves_summaries(demo, earlier)
    figures = region_indicators(demo, "110000", as_of="2020-12-31")
    assert figures["as_of"] == "2020-12-31"
    assert figures == region_indicators(demo, "110000", as_of="2020-12-31", summaries=False)


def test_changed_data_is_read_from_the_patents_until_a_refresh(loaded_db: Path, tmp_path: Path) -> None:
    shutil.copy(loaded_db, tmp_path / "store.duckdb")
    conn = open_store(tmp_path / "store.duckdb")
    before = region_indicators(conn, "110000")
    # a status change seen by an import: Beijing's in-force inventions lapse
    conn.execute("INSERT INTO status_changes SELECT application_number, 1, DATE '2021-06-30', 'in_force', 'lapsed', "
                 "NULL, NULL FROM patents WHERE first_applicant_province_code = '110000' AND status = 'in_force' "
                 "AND patent_type = 'invention'")
    conn.execute("UPDATE patents SET status = 'lapsed' WHERE first_applicant_province_code = '110000' "
                 "AND status = 'in_force' AND patent_type = 'invention'")
    assert not serves_summaries(conn, store_basis(conn))
    after = region_indicators(conn, "110000")
    assert after["valid_invention_count"] == 0 != before["valid_invention_count"]
    assert refresh_summaries(conn)["summary_facts"] > 0
    assert serves_summaries(conn, store_basis(conn))
    assert region_indicators(conn, "110000") == after == region_indicators(conn, "110000", summaries=False)
    # placing the patents again marks the summaries stale; the nightly job or optimize refreshes them
    with transaction(conn):
        place_patents(conn)
    assert summary_state(conn)["stale"] and not serves_summaries(conn, store_basis(conn))  # type: ignore[index]
    conn.close()
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "store.duckdb"), "optimize", "--json"])
    assert result.exit_code == 0, result.output
    conn = open_store(tmp_path / "store.duckdb", read_only=True)
    assert serves_summaries(conn, store_basis(conn))
    conn.close()


def test_each_import_refreshes_them(store: duckdb.DuckDBPyConnection) -> None:
    ensure_reference(store)
    assert summary_state(store) is None
    import_file(store, THUNDERSOFT)
    state = summary_state(store)
    assert state is not None and state["patents"] == 511 and not state["stale"]
    assert region_indicators(store, "110108") == region_indicators(store, "110108", summaries=False)


def _region_without_patents(conn: duckdb.DuckDBPyConnection) -> str:
    return conn.execute("SELECT min(code) FROM regions WHERE level = 'county' AND code NOT IN (SELECT "
                        "first_applicant_county_code FROM patents WHERE first_applicant_county_code IS NOT NULL)"
                        ).fetchall()[0][0]


def test_the_placement_panel_reads_from_summaries_what_the_patents_say(demo: duckdb.DuckDBPyConnection) -> None:
    assert serves_summaries(demo, store_basis(demo))
    empty = _region_without_patents(demo)
    codes = ["100000", "330000", "330100", "110108", *_regions_with_patents(demo, ("city", "county", "township"),
                                                                               3)[1:], empty]
    for code in codes:  # China, a province, a city, a county (Haidian), the most-filing cities, counties and
        for limit in (50, 2):  # townships, a county without patents; the unplaced applicants cut or not
            assert region_placement(demo, code, limit) == region_placement(demo, code, limit, summaries=False), code
    figures = {code: region_placement(demo, code) for code in ("100000", "330100", "110108", empty)}
    assert {code: (f["patents"], f["placed_to_county"], f["placed_to_township"], f["unplaced"]["applicants_total"])
            for code, f in figures.items()} == {"100000": (7980, 447, 83, 2626), "330100": (173, 0, 0, 58),
                                                "110108": (313, 313, 64, 3), empty: (0, 0, 0, 0)}
    # the summary holds every patent once, the applicants only of patents not placed to both levels
    assert demo.execute("SELECT sum(patents), count_if(applicant_key IS NOT NULL AND county AND township) "
                        "FROM summary_placement WHERE country_cn").fetchall()[0] == (
        region_placement(demo, "100000", summaries=False)["patents"], 0)


def test_the_placement_panel_reads_the_patents_once_they_are_placed_again(loaded_db: Path, tmp_path: Path) -> None:
    conn = open_store(copied_store(loaded_db, tmp_path))
    conn.execute("DELETE FROM summary_placement")  # what a page reads while the summaries are current
    assert region_placement(conn, "110108")["patents"] == 0
    with transaction(conn):
        place_patents(conn)  # marks the summaries stale: the panel counts the patents
    assert region_placement(conn, "110108") == region_placement(conn, "110108", summaries=False)
    assert region_placement(conn, "110108")["placed_to_township"] == 64
    refresh_summaries(conn)
    assert current_summaries(conn) is not None
    assert region_placement(conn, "110108") == region_placement(conn, "110108", summaries=False)
    conn.close()
