"""Regional indicators, high-value criteria, the map's figures and the enterprises of a region,
checked against counts computed independently from the source CSV files (the csv module, not the
store), the census file in ../shared/data, and small stores built for the edge cases."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from patentatlas.cli import main
from patentatlas.domain.high_value import explain
from patentatlas.domain.indicators import map_data, region_enterprises, region_indicators
from patentatlas.errors import NotFoundError, UsageError
from patentatlas.i18n import translate
from patentatlas.imports import import_file
from patentatlas.normalize.appno import with_check_digit
from patentatlas.rules import load_rule_set, packaged_rule_set
from patentatlas.store import open_store
from patentatlas.store.reference import ensure_reference
from tests.conftest import DATA, THUNDERSOFT, VR

CENSUS = DATA / "china_census2020_county" / "census2020_county_key_columns.csv"
LAPSE_EVENT = re.compile(r"(\d{4})\.(\d{2})\.(\d{2}) \S*(终止|届满|放弃专利权|全部无效)")


# --------------------------------------------------------------------------- independent counts


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def day(text: str) -> dt.date | None:
    """2022/07/15, 20220715 or 2022-07-15 → a date."""
    digits = re.sub(r"\D", "", text)
    return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])) if len(digits) >= 8 else None


def census_population(code: str) -> int:
    return next(int(r["人口数_合计"]) for r in rows_of(CENSUS) if r["区划代码"] == code)


def thundersoft_rows(place: str) -> dict[str, dict[str, str]]:
    """ThunderSoft rows whose 地市 address is in ``place``, one per application (the last wins, as in the store)."""
    return {r["申请号"]: r for r in rows_of(THUNDERSOFT) if place in r["地市"]}


def thundersoft_lapse(row: dict[str, str]) -> dt.date | None:
    """The date of the first lapse event written in 法律描述 (e.g. 2021.11.12 未缴年费专利权终止)."""
    dates = [dt.date(int(y), int(m), int(d)) for y, m, d, _ in LAPSE_EVENT.findall(row["法律描述"])]
    return min(dates) if dates else None


def thundersoft_valid(place: str, as_of: dt.date) -> set[str]:
    """Valid inventions by the rule, straight from the file: granted by ``as_of``, within 20 years of
    filing, and 有效 now, or 失效 with a dated lapse after ``as_of``."""
    valid = set()
    for number, r in thundersoft_rows(place).items():
        granted, filed = day(r["授权日"]), day(r["申请日"])
        if "发明" not in r["专利类型"] or granted is None or granted > as_of or filed is None:
            continue
        if as_of >= filed.replace(year=filed.year + 20):
            continue
        lapse = thundersoft_lapse(r)
        if r["法律状态"] == "有效" or (r["法律状态"] == "失效" and lapse is not None and lapse > as_of):
            valid.add(number)
    return valid


def vr_first_applicant_rows(place: str) -> dict[str, dict[str, str]]:
    """VR rows whose first applicant is named after ``place``: 杭州… or a bracketed （杭州）."""
    bracketed = re.compile(rf"[（(]{place}[)）]")
    return {r["申请号"]: r for r in rows_of(VR)
            if (name := r["申请人"].split("|")[0].strip()).startswith(place) or bracketed.search(name)}


def is_invention(number: str) -> bool:
    digits = number.removeprefix("CN").split(".")[0]
    return (digits[4] if len(digits) == 12 else digits[2]) in "18"


# --------------------------------------------------------------------------- stores


def _store_of(path: Path, *sources: Path) -> Path:
    conn = open_store(path)
    ensure_reference(conn)
    for source in sources:
        import_file(conn, source)
    conn.close()
    return path


@pytest.fixture(scope="module")
def thundersoft(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A store holding only the Patentics ThunderSoft export (511 rows, addresses, legal events)."""
    path = _store_of(tmp_path_factory.mktemp("ts") / "store.duckdb", THUNDERSOFT)
    conn = duckdb.connect(str(path), read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def vr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A store holding only the Patentics VR export (7,805 rows, regions from applicant names)."""
    path = _store_of(tmp_path_factory.mktemp("vr") / "store.duckdb", VR)
    conn = duckdb.connect(str(path), read_only=True)
    yield conn
    conn.close()


def data_date(conn: duckdb.DuckDBPyConnection) -> dt.date:
    return dt.date.fromisoformat(region_indicators(conn, "100000")["as_of"])


# --------------------------------------------------------------------------- real regions


def test_haidian_valid_inventions_are_the_thundersoft_files(loaded: duckdb.DuckDBPyConnection) -> None:
    figures = region_indicators(loaded, "110108")
    expected = thundersoft_valid("北京市海淀区", data_date(loaded))
    assert len(expected) == 118  # 有效 发明 rows at 北京市海淀区 addresses
    assert figures["region_name"] == "海淀区" and figures["level"] == "county"
    assert figures["valid_invention_count"] == len(expected)
    population = census_population("110108")
    assert figures["population"] == population == 3_133_469
    assert figures["valid_invention_per_10k"] == round(len(expected) * 10_000 / population, 4) == 0.3766
    assert figures["high_value_invention_per_10k"] == round(figures["high_value_invention_count"] * 10_000
                                                            / population, 4)
    assert figures["population_note"] is None
    assert "first applicant" in figures["counting_rule"]["en"] and "第一申请人" in figures["counting_rule"]["zh"]


def test_a_past_statistics_date_counts_only_what_was_granted_by_then(loaded: duckdb.DuckDBPyConnection) -> None:
    for as_of in (dt.date(2020, 12, 31), dt.date(2017, 6, 30)):
        figures = region_indicators(loaded, "110108", as_of=as_of.isoformat())
        assert figures["as_of"] == as_of.isoformat()
        assert figures["valid_invention_count"] == len(thundersoft_valid("北京市海淀区", as_of))
    assert region_indicators(loaded, "110108", as_of="2020-12-31")["valid_invention_count"] == 93


def test_lapsed_patents_count_until_their_dated_lapse(thundersoft: duckdb.DuckDBPyConnection) -> None:
    # three Chengdu inventions lapsed for unpaid fees in Oct-Nov 2021 (legal events in 法律描述)
    lapsed = {n for n, r in thundersoft_rows("四川省成都市").items() if r["法律状态"] == "失效"}
    assert len(lapsed) == 3
    counts = {}
    for as_of in ("2021-06-30", "2021-10-29", "2021-11-12", "2022-12-31"):
        expected = thundersoft_valid("四川省成都市", dt.date.fromisoformat(as_of))
        counts[as_of] = region_indicators(thundersoft, "510100", as_of=as_of)["valid_invention_count"]
        assert counts[as_of] == len(expected), as_of
    assert counts["2021-06-30"] - counts["2022-12-31"] >= 3  # the lapses are seen, dated


def test_hangzhou_valid_inventions_are_the_vr_files(vr: duckdb.DuckDBPyConnection) -> None:
    as_of = data_date(vr)
    rows = vr_first_applicant_rows("杭州")
    expected = {n for n, r in rows.items() if r["法律状态"] == "有效" and is_invention(n)
                and (day(r["授权公告日"]) or as_of) <= as_of}
    figures = region_indicators(vr, "330100")
    assert figures["valid_invention_count"] == len(expected) == 44  # 26 of them 网易（杭州）网络有限公司
    assert figures["valid_invention_per_10k"] == round(len(expected) * 10_000 / census_population("330100"), 4)
    # applications by filing year: every row of the region, whatever its type or status
    by_year: dict[str, int] = {}
    for r in rows.values():
        year = r["申请日"][:4]
        by_year[year] = by_year.get(year, 0) + 1
    assert figures["applications_by_year"] == dict(sorted(by_year.items()))


def test_series_growth_and_grant_rate_match_the_file(thundersoft: duckdb.DuckDBPyConnection) -> None:
    rows = thundersoft_rows("北京市海淀区")
    figures = region_indicators(thundersoft, "110108", as_of="2022-12-31")
    kinds = {"发明公布": "invention", "实用新型": "utility_model"}
    applications: dict[str, dict[str, int]] = {}
    grants: dict[str, dict[str, int]] = {}
    for r in rows.values():
        kind = kinds[r["专利类型"]]
        year = r["申请日"][:4]
        applications.setdefault(kind, {})[year] = applications.setdefault(kind, {}).get(year, 0) + 1
        if r["授权日"] and day(r["授权日"]) <= dt.date(2022, 12, 31):  # type: ignore[operator]
            year = r["授权日"][:4]
            grants.setdefault(kind, {})[year] = grants.setdefault(kind, {}).get(year, 0) + 1
    assert figures["applications_by_type"] == {k: dict(sorted(v.items())) for k, v in applications.items()}
    assert figures["grants_by_type"] == {k: dict(sorted(v.items())) for k, v in grants.items()}
    growth = figures["growth"]
    assert (growth["year"], growth["previous_year"]) == (2022, 2021)  # 2022-12-31 closes 2022
    apps_2022 = sum(v.get("2022", 0) for v in applications.values())
    apps_2021 = sum(v.get("2021", 0) for v in applications.values())
    assert growth["applications"] == {"value": apps_2022, "previous": apps_2021, "change": apps_2022 - apps_2021,
                                      "rate": round((apps_2022 - apps_2021) / apps_2021, 4)}
    # grant rate: inventions granted ÷ (granted + refused or withdrawn), pending left out
    inventions = [r for r in rows.values() if "发明" in r["专利类型"]]
    granted = sum(1 for r in inventions if r["授权日"])
    refused = sum(1 for r in inventions if r["法律状态"] in ("驳回", "撤回"))
    rate = figures["grant_rate"]
    assert (rate["granted"], rate["refused_or_withdrawn"]) == (granted, refused)
    assert rate["value"] == round(granted / (granted + refused), 4)
    assert rate["undecided"] == len(inventions) - granted - refused


def test_top_applicants_and_ipc_subclasses(thundersoft: duckdb.DuckDBPyConnection) -> None:
    rows = thundersoft_rows("北京市海淀区")
    figures = region_indicators(thundersoft, "110108")
    first = figures["top_applicants"][0]
    names = [r["申请人"].split("|")[0].strip() for r in rows.values()]
    assert first["name"] == max(set(names), key=names.count) == "中科创达软件股份有限公司"
    assert first["patents"] == names.count(first["name"])
    subclasses = [r["国际主分类"].replace(" ", "")[:4] for r in rows.values() if r["国际主分类"]]
    top = figures["top_ipc"][0]
    assert top["subclass"] == max(set(subclasses), key=subclasses.count) == "G06F"
    assert top["patents"] == subclasses.count("G06F")
    assert top["title_zh"].startswith("电数字数据处理") and top["title_en"].startswith("ELECTRIC DIGITAL")


def test_high_value_criteria_counts(thundersoft: duckdb.DuckDBPyConnection) -> None:
    figures = region_indicators(thundersoft, "110108")
    section = figures["high_value"]
    valid = figures["valid_invention_count"]
    for criterion in section["criteria"]:
        assert criterion["met"] + criterion["not_met"] + criterion["not_judged"] == valid
    by_key = {c["key"]: c for c in section["criteria"]}
    assert by_key["high_pledge_amount"]["not_judged"] == valid and by_key["award"]["not_judged"] == valid
    # maintained > 10 years: the valid ones filed more than 10 years before the statistics date
    as_of = dt.date.fromisoformat(figures["as_of"])
    rows, cutoff = thundersoft_rows("北京市海淀区"), as_of.replace(year=as_of.year - 10)
    old = [n for n in thundersoft_valid("北京市海淀区", as_of) if day(rows[n]["申请日"]) < cutoff]  # type: ignore[operator]
    assert by_key["maintained_over_10_years"]["met"] == len(old) > 0
    assert section["union"] == figures["high_value_invention_count"] >= by_key["maintained_over_10_years"]["met"]


def test_the_aggregate_is_what_each_patents_explanation_says(thundersoft: duckdb.DuckDBPyConnection) -> None:
    for as_of in ("2021-06-30", None):  # Chengdu: three inventions lapsed in between
        figures = region_indicators(thundersoft, "510100", as_of=as_of)
        numbers = [n for (n,) in thundersoft.execute(
            "SELECT application_number FROM patents WHERE first_applicant_city_code = '510100'").fetchall()]
        explained = [explain(thundersoft, n, figures["as_of"]) for n in numbers]
        assert sum(e["valid"] for e in explained) == figures["valid_invention_count"] > 0
        assert sum(e["high_value"] for e in explained) == figures["high_value_invention_count"]
        assert all(e["high_value"] == (e["valid"] and any(c["result"] == "met" for c in e["criteria"]))
                   for e in explained)


def test_explain_says_why_for_each_criterion(thundersoft: duckdb.DuckDBPyConnection) -> None:
    number = "CN201410725372.0"  # granted 2018-03-20, lapsed for unpaid fees 2021-11-12
    then = explain(thundersoft, "201410725372.0", "2020-12-31")
    assert then["application_number"] == number and then["valid"] is True
    assert "2018-03-20" in then["valid_reason"]
    now = explain(thundersoft, number)
    assert now["valid"] is False and now["high_value"] is False
    assert "2021-11-12" in now["valid_reason"]
    results = {c["key"]: c for c in then["criteria"]}
    assert [c["id"] for c in then["criteria"]] == [1, 2, 3, 4, 5]
    assert results["maintained_over_10_years"]["result"] == "not_met"
    assert "2014-12-03" in results["maintained_over_10_years"]["reason"]
    assert results["high_pledge_amount"]["result"] == "not_judged"
    assert "10,000,000" in results["high_pledge_amount"]["reason"]
    assert results["award"]["result"] == "not_judged"
    assert then["rule_set"]["name"] == "high_value" and then["rule_set"]["version"] >= 1
    with pytest.raises(NotFoundError, match="not in the store"):
        explain(thundersoft, with_check_digit("202099999999"))
    with pytest.raises(UsageError, match="not an application number"):
        explain(thundersoft, "hello")


def test_china_counts_mainland_first_applicants(loaded: duckdb.DuckDBPyConnection) -> None:
    figures = region_indicators(loaded, "100000")
    assert (figures["region_name"], figures["level"]) == ("全国", "country")
    provinces = sum(int(r["人口数_合计"]) for r in rows_of(CENSUS) if re.fullmatch(r"\d\d0000", r["区划代码"]))
    assert figures["population"] == provinces == 1_409_778_724
    expected = loaded.execute("SELECT count(*) FROM patents WHERE first_applicant_country = 'CN' "
                              "AND filing_date <= ?", [figures["as_of"]]).fetchall()[0][0]
    assert sum(figures["applications_by_year"].values()) == expected


# --------------------------------------------------------------------------- population


def test_redistricted_and_new_districts_have_no_per_10k(loaded: duckdb.DuckDBPyConnection) -> None:
    linping = region_indicators(loaded, "330113")
    assert linping["population"] is None and linping["valid_invention_per_10k"] is None
    notice = ("浙江省人民政府《关于调整杭州市部分行政区划的通知》，2021-04-09，落实国务院 2021 年批复",
              "Zhejiang Provincial People's Government, Notice on Adjusting Part of the Administrative Divisions of "
              "Hangzhou, 2021-04-09, implementing the State Council's 2021 approval")
    # what changed and the notice, in the language it is read in: never both at once
    assert translate(linping["population_note"], "zh").endswith(
        "2021-04-09 行政区划调整：以原余杭区临平、东湖、南苑、星桥、运河、乔司、崇贤街道和塘栖镇设立"
        "（" + notice[0] + "）")
    assert translate(linping["population_note"], "en").endswith(
        "2021-04-09: new district from eight subdistricts and towns of old Yuhang (" + notice[1] + ")")
    yuhang = region_indicators(loaded, "330110")  # in the census, but for the pre-2021 district
    assert yuhang["population"] is None and yuhang["valid_invention_per_10k"] is None
    assert "2,402,514" in yuhang["population_note"] and "old boundaries" in yuhang["population_note"]
    assert translate(yuhang["population_note"], "zh") == (
        "2021-04-09 行政区划调整（撤销原余杭区，以其西部 12 个镇街设立新的余杭区（东部划入临平区））：2020 年人口 "
        "2,402,514 对应调整前的辖区，每万人指标不计算。来源：" + notice[0])
    assert translate(yuhang["population_note"], "en") == (
        "re-districted on 2021-04-09 (old Yuhang split: its western 12 towns form the new Yuhang, the east the new "
        "Linping): the 2020 figure (2,402,514) describes the old boundaries, so per-10,000 figures are not "
        "computed. Source: " + notice[1])
    xihu = region_indicators(loaded, "330106")  # unchanged in 2021
    assert xihu["population"] == census_population("330106") and xihu["population_note"] is None
    township = region_indicators(loaded, "110108024")
    assert township["level"] == "township" and township["population"] is None
    assert township["valid_invention_per_10k"] is None and "townships" in township["population_note"]


def test_the_offices_population_table_replaces_the_census(tmp_path: Path) -> None:
    conn = open_store(_store_of(tmp_path / "store.duckdb", THUNDERSOFT))
    conn.execute("INSERT INTO population VALUES ('110108', 2022, 3128000, '海淀区统计局'), "
                 "('330110', 2021, 1450000, '余杭区统计公报')")
    figures = region_indicators(conn, "110108", as_of="2022-12-31")
    assert figures["population"] == 3_128_000 and figures["population_year"] == 2022
    assert figures["population_source"] == "海淀区统计局 (2022)"
    assert figures["valid_invention_per_10k"] == round(figures["valid_invention_count"] * 10_000 / 3_128_000, 4)
    assert region_indicators(conn, "110108", as_of="2021-12-31")["population"] == 3_133_469  # census before 2022
    yuhang = region_indicators(conn, "330110", as_of="2022-12-31")  # a post-2021 figure: comparable
    assert yuhang["population"] == 1_450_000 and yuhang["population_note"] is None
    conn.close()


# --------------------------------------------------------------------------- industries


def test_an_industry_is_a_prefix_of_the_patents_codes(loaded: duckdb.DuckDBPyConnection) -> None:
    rows = loaded.execute("SELECT sei_codes, filing_date FROM patents WHERE first_applicant_county_code = '110108'"
                          ).fetchall()
    # the import assigns industries: 284 of 海淀区's 313 patents have IPC codes in the 2021 concordance
    assert (len(rows), sum(1 for codes, _ in rows if codes)) == (313, 284)
    as_of = data_date(loaded)
    expected = {  # industry: (name, applications, valid inventions)
        "1": ("新一代信息技术产业", 215, 86),
        "1.4": ("互联网与云计算、大数据服务", 34, 15),
        "1.5": ("人工智能", 20, 9),
    }
    for industry, (name, applications, valid) in expected.items():
        figures = region_indicators(loaded, "110108", industry=industry)
        assert figures["industry"] == {"code": industry, "name": name}
        assert (sum(figures["applications_by_year"].values()), figures["valid_invention_count"]) == (
            applications, valid)
        # the same count from the stored codes: an industry is a prefix of the patent's codes
        assert applications == sum(1 for codes, filed in rows if filed <= as_of and any(
            c == industry or c.startswith(industry + ".") for c in codes or []))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"region_code": "999999"}, NotFoundError, "not a 2023 division code"),
    ({"region_code": "hangzhou"}, UsageError, "6-digit adcode"),
    ({"region_code": "110108", "industry": "77"}, NotFoundError, "not a 2021 strategic emerging industry"),
    ({"region_code": "110108", "industry": "AI"}, UsageError, "write it like 1 or 1.4"),
    ({"region_code": "110108", "as_of": "2999-01-01"}, UsageError, "in the future"),
    ({"region_code": "110108", "as_of": "1950-01-01"}, UsageError, "before any data"),
    ({"region_code": "110108", "as_of": "2022-02-30"}, UsageError, "YYYY-MM-DD"),
])
def test_bad_input_is_a_clear_error(loaded: duckdb.DuckDBPyConnection, kwargs: dict[str, Any],
                                    error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        region_indicators(loaded, **kwargs)


def test_an_empty_store_says_to_import_first(store: duckdb.DuckDBPyConnection) -> None:
    ensure_reference(store)
    with pytest.raises(UsageError, match="import files first"):
        region_indicators(store, "330100")


# --------------------------------------------------------------------------- the map


def test_zhejiang_map_lists_its_11_cities_with_their_own_indicators(loaded: duckdb.DuckDBPyConnection) -> None:
    data = map_data(loaded, "330000")
    assert data["parent"] == {"code": "330000", "name": "浙江省", "level": "province"}
    assert data["ancestors"] == [{"code": "100000", "name": "全国"}]
    assert data["child_level"] == "city" and data["has_boundaries"] is True
    assert len(data["regions"]) == 11 and data["regions"][0]["name"] == "杭州市"
    for row in data["regions"]:
        own = region_indicators(loaded, row["code"])
        assert row["value"] == own["valid_invention_per_10k"]
        assert row["valid_invention_count"] == own["valid_invention_count"]
        assert row["high_value_invention_count"] == own["high_value_invention_count"]
        assert row["applications"] == sum(own["applications_by_year"].values())
        assert row["population"] == own["population"]
    province = region_indicators(loaded, "330000")
    assert (sum(r["applications"] for r in data["regions"]) + data["unassigned"]["applications"]
            == sum(province["applications_by_year"].values()))


def test_map_levels_and_indicators(loaded: duckdb.DuckDBPyConnection) -> None:
    china = map_data(loaded, "100000", "valid_invention_count")
    assert china["child_level"] == "province" and len(china["regions"]) == 31 and china["ancestors"] == []
    assert china["has_boundaries"] is True  # the packaged boundaries: China's provinces, Zhejiang's cities, counties
    assert map_data(loaded, "440000")["has_boundaries"] is False  # until scripts/build_geo.py adds Guangdong
    beijing = next(r for r in china["regions"] if r["code"] == "110000")
    assert beijing["value"] == region_indicators(loaded, "110000")["valid_invention_count"]
    hangzhou = map_data(loaded, "330100", "applications", as_of="2021-12-31")
    assert hangzhou["child_level"] == "county" and hangzhou["has_boundaries"] is True
    assert [a["code"] for a in hangzhou["ancestors"]] == ["100000", "330000"]
    linping = next(r for r in hangzhou["regions"] if r["code"] == "330113")
    assert linping["population"] is None and linping["valid_invention_per_10k"] is None
    haidian = map_data(loaded, "110108")
    assert haidian["child_level"] == "township" and haidian["has_boundaries"] is False
    town = next(r for r in haidian["regions"] if r["code"] == "110108024")
    assert town["valid_invention_count"] == region_indicators(loaded, "110108024")["valid_invention_count"] > 0
    with pytest.raises(UsageError, match="not one the map shows"):
        map_data(loaded, "330000", "patents_per_km2")
    with pytest.raises(UsageError, match="no sub-regions"):
        map_data(loaded, "110108024")


# --------------------------------------------------------------------------- enterprises


def test_enterprises_of_a_region(thundersoft: duckdb.DuckDBPyConnection) -> None:
    data = region_enterprises(thundersoft, "110108", limit=2)
    top = region_indicators(thundersoft, "110108")["top_applicants"]
    first = data["enterprises"][0]
    assert {k: first[k] for k in top[0]} == top[0]
    assert sum(first["applications_by_year"].values()) == first["patents"]
    names = {r["申请人"].split("|")[0].strip() for r in thundersoft_rows("北京市海淀区").values()}
    assert data["total"] == len(names) and len(data["enterprises"]) == 2
    assert region_enterprises(thundersoft, "110108", offset=99)["enterprises"] == []
    with pytest.raises(UsageError):
        region_enterprises(thundersoft, "110108", limit=0)


# --------------------------------------------------------------------------- rules and evidence


def test_rules_are_versioned_data_an_office_can_replace(tmp_path: Path) -> None:
    packaged = packaged_rule_set("high_value")
    assert packaged["version"] >= 1 and packaged["source"] and packaged["pledge_amount_threshold_yuan"] > 0
    conn = open_store(_store_of(tmp_path / "store.duckdb", THUNDERSOFT))
    before = region_indicators(conn, "110108")
    body = {**packaged, "maintained_years_more_than": 5}
    conn.execute("INSERT INTO rule_sets (name, version, source, body) VALUES ('high_value', 2, 'office test', ?)",
                 [json.dumps(body)])
    assert load_rule_set(conn, "high_value")["version"] == 2
    after = region_indicators(conn, "110108")
    assert after["rule_sets"]["high_value"] == {"version": 2, "source": "office test"}
    assert after["high_value_invention_count"] > before["high_value_invention_count"]
    conn.close()


def test_a_status_change_between_imports_dates_the_lapse(tmp_path: Path) -> None:
    number = with_check_digit("201510000001")
    export = "申请号,申请日,授权日,专利类型,法律状态,申请人\n{},2015-03-02,2017-06-01,发明,{},杭州某某科技有限公司\n"
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(export.format(number, "有效"), encoding="utf-8")
    second.write_text(export.format(number, "未缴年费"), encoding="utf-8")
    conn = open_store(tmp_path / "store.duckdb")
    ensure_reference(conn)
    import_file(conn, first, observed_on=dt.date(2021, 1, 10))
    import_file(conn, second, observed_on=dt.date(2022, 3, 1))
    count = {d: region_indicators(conn, "330100", as_of=d)["valid_invention_count"]
             for d in ("2017-05-31", "2017-06-01", "2022-02-28", "2022-03-01")}
    assert count == {"2017-05-31": 0, "2017-06-01": 1, "2022-02-28": 1, "2022-03-01": 0}
    assert "2022-03-01" in explain(conn, number, "2022-06-30")["valid_reason"]
    conn.close()


def test_an_undated_grant_counts_only_from_the_data_date(tmp_path: Path) -> None:
    number = with_check_digit("201810000002")
    path = tmp_path / "export.csv"
    path.write_text(f"申请号,申请日,公开日,专利类型,法律状态,申请人\n{number},2018-03-02,2019-09-03,发明,授权,"
                    "杭州某某科技有限公司\n", encoding="utf-8")
    conn = open_store(tmp_path / "store.duckdb")
    ensure_reference(conn)
    import_file(conn, path)
    now = region_indicators(conn, "330100")
    assert now["as_of"] == "2019-09-03" and now["valid_invention_count"] == 1
    assert any("no grant date" in note for note in now["data_notes"])
    assert region_indicators(conn, "330100", as_of="2019-09-02")["valid_invention_count"] == 0
    conn.close()


# --------------------------------------------------------------------------- the command line


def test_cli_prints_the_indicators_as_json(loaded_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(loaded_db), "indicators", "--region", "110108", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("region_code", "region_name", "as_of", "population", "valid_invention_count",
                "valid_invention_per_10k", "high_value_invention_count", "applications_by_year", "grants_by_year"):
        assert key in data
    assert data["valid_invention_count"] == 118
    past = CliRunner().invoke(main, ["--db", str(loaded_db), "indicators", "--region", "110108",
                                     "--as-of", "2020-12-31", "--json"])
    assert json.loads(past.output)["valid_invention_count"] == 93
    table = CliRunner().invoke(main, ["--db", str(loaded_db), "indicators", "--region", "110108"])
    assert table.exit_code == 0 and "海淀区" in table.output and "118" in table.output


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "999999"], "not a 2023 division code"),
    (["--region", "110108", "--industry", "99"], "not a 2021 strategic emerging industry"),
    (["--region", "110108", "--as-of", "2999-12-31"], "in the future"),
])
def test_cli_errors_are_one_line(loaded_db: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["--db", str(loaded_db), "indicators", *args, "--json"])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("as_of", ["2020-12-31", None])
def test_china_map_provinces_equal_their_own_indicators(loaded_db: Path, tmp_path: Path, as_of: str | None) -> None:
    # the China map takes a faster path (candidate valid inventions first): it must count as the
    # indicators do, also on a store where status changes date the lapses
    shutil.copy(loaded_db, tmp_path / "store.duckdb")
    conn = open_store(tmp_path / "store.duckdb")
    lapsed = conn.execute("SELECT application_number FROM patents WHERE status = 'in_force' AND patent_type = "
                          "'invention' ORDER BY application_number LIMIT 40").fetchall()
    conn.execute("INSERT INTO status_changes SELECT unnest(?), 1, DATE '2020-06-30', 'in_force', 'lapsed', "
                 "'有效', '未缴年费'", [[n for (n,) in lapsed]])
    conn.execute("UPDATE patents SET status = 'lapsed', status_text = '未缴年费' WHERE application_number IN "
                 "(SELECT application_number FROM status_changes)")
    data = map_data(conn, "100000", as_of=as_of)
    assert sum(r["valid_invention_count"] for r in data["regions"]) > 0
    for row in data["regions"]:
        own = region_indicators(conn, row["code"], as_of=as_of)
        assert (row["valid_invention_count"], row["high_value_invention_count"], row["grants"] or 0) == (
            own["valid_invention_count"], own["high_value_invention_count"],
            sum(own["grants_by_year"].values())), row["code"]
    conn.close()
