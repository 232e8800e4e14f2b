"""Region reference data and resolving applicants to regions, on real ThunderSoft addresses."""

from __future__ import annotations

import csv
import time
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest

from patentatlas.reference.ipc import iter_ipc
from patentatlas.reference.regions import (
    RegionMatch,
    iter_regions,
    parent_code,
    region_level,
    region_name,
    resolve_region,
)

ROOT = Path(__file__).resolve().parents[1]
THUNDERSOFT = ROOT.parent / "shared" / "data" / "cn_patents" / "patentics_thundersoft_cn_511.csv"
TRUTH = ROOT / "tests" / "fixtures" / "thundersoft_region_truth.csv"


def codes(match: RegionMatch) -> tuple[str | None, ...]:
    return match.province_code, match.city_code, match.county_code, match.township_code


# --------------------------------------------------------------------------- the table


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    path = files("patentatlas.reference") / "data" / "regions.csv"
    with path.open("r", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_regions_csv_levels_and_counts(rows: list[dict[str, str]]) -> None:
    levels = Counter(row["level"] for row in rows)
    # 2,978 NBS county rows less 东莞, 中山, 儋州 (a county row with the city's own code)
    assert levels == {"province": 31, "city": 342, "county": 2975, "township": 41352}
    assert len({row["code"] for row in rows}) == len(rows)


def test_zhejiang_has_90_counties_and_hangzhou_2021_districts(rows: list[dict[str, str]]) -> None:
    zhejiang = [r for r in rows if r["level"] == "county" and r["code"].startswith("33")]
    assert len(zhejiang) == 90
    by_code = {row["code"]: row for row in rows}
    assert by_code["330113"]["name"] == "临平区"
    assert by_code["330113"]["population_2020"] == ""  # created 2021: not in the 2020 census
    assert by_code["330114"]["population_2020"] == ""
    assert by_code["330383"]["name"] == "龙港市"
    assert by_code["110108"]["population_2020"] == "3133469"


def test_municipality_cities_take_the_municipality_name(rows: list[dict[str, str]]) -> None:
    by_code = {row["code"]: row for row in rows}
    assert (by_code["110100"]["name"], by_code["110100"]["parent_code"]) == ("北京市", "110000")
    assert by_code["110108"]["parent_code"] == "110100"
    assert by_code["441900003"]["parent_code"] == "441900"  # 东莞 townships hang off the city


def test_lookups() -> None:
    assert region_name("330113") == "临平区"
    assert region_level("330110005") == "township"
    assert region_name("330110005") == "五常街道"
    assert parent_code("330110005") == "330110"
    assert parent_code("330000") is None
    assert region_name("999999") is None


def test_iter_regions_yields_table_rows() -> None:
    first = next(iter_regions())
    assert first == {
        "code": "110000",
        "name": "北京市",
        "level": "province",
        "parent_code": None,
        "population_2020": 21893095,
        "lng": 116.407394,
        "lat": 39.904211,
    }
    assert sum(1 for _ in iter_regions()) == 44700


def test_iter_ipc() -> None:
    table = {code: (level, zh, en) for code, level, zh, en in iter_ipc()}
    assert len(table) == 80914
    assert table["A01B1/02"] == ("subgroup", "锹；铲", "Spades; Shovels")
    assert table["E01D101/00"] == (
        "main_group",
        "桥梁的材料组成",
        "Material constitution of bridges",
    )
    assert table["H01L"][0:2] == ("subclass", "")  # only in the older English edition
    assert table["H10"][2] == ""  # only in 2026.01
    assert table["A01B1/00"][2] == "Hand tools (edge trimmers for lawns A01G3/06)"


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (
            "100191 北京市海淀区龙翔路甲1号泰翔商务楼4层401-409",
            ("110000", "110100", "110108", None),
        ),
        ("100191北京市海淀区龙翔路甲1号泰翔商务楼4层", ("110000", "110100", "110108", None)),
        ("210012 江苏省南京市雨花台区软件大道109号4幢601室", ("320000", "320100", "320114", None)),
        (
            "710000 陕西省西安市高新区软件新城天谷八路156号云汇谷C1楼701室",
            ("610000", "610100", None, None),
        ),
        ("401120 重庆市渝北区仙桃街道数据谷东路19号", ("500000", "500100", "500112", "500112023")),
        (
            "100083 北京市海淀区清华东路9号创达大厦1层101-105室（东升地区）",
            ("110000", "110100", "110108", "110108024"),
        ),
        (  # 东陵区 was renamed 浑南区 in 2014
            "110167 辽宁省沈阳市东陵区上深沟村860-1号沈阳国际软件园F8A301室",
            ("210000", "210100", "210112", None),
        ),
        (  # province repeated, development zone: no county
            "116023 辽宁省大连市辽宁省大连高新技术产业园区火炬路3号纳米大厦16层1605室",
            ("210000", "210200", None, None),
        ),
        (  # 东湖新技术开发区 must not be read as the township 开发区 of 青山区
            "430071 湖北省武汉市武汉东湖新技术开发区高新大道999号武汉未来科技城起步区C4栋裙楼3层",
            ("420000", "420100", None, None),
        ),
    ],
)
def test_thundersoft_addresses(address: str, expected: tuple[str | None, ...]) -> None:
    match = resolve_region("中科创达软件股份有限公司", address)
    assert codes(match) == expected
    assert (match.country, match.method) == ("CN", "address")


def test_address_confidence_by_level() -> None:
    county = resolve_region("x", "210012 江苏省南京市雨花台区软件大道109号")
    city = resolve_region("x", "610041 四川省成都市高新区交子大道88号")
    assert (county.confidence, city.confidence) == (0.95, 0.9)
    assert county.region_code == "320114"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("311100 浙江省杭州市临平区南苑街道迎宾路1号", ("330000", "330100", "330113", "330113002")),
        ("310018 浙江省杭州市钱塘区白杨街道2号大街", ("330000", "330100", "330114", "330114002")),
        ("325802 浙江省温州市龙港市世纪大道1号", ("330000", "330300", "330383", None)),
        (
            "311121 浙江省杭州市余杭区仓前街道文一西路1500号",
            ("330000", "330100", "330110", "330110012"),
        ),
        ("杭州市余杭区良渚街道古墩路1号", ("330000", "330100", "330110", "330110010")),
        ("余杭区五常街道", ("330000", "330100", "330110", "330110005")),
        ("浙江省义乌市稠城街道", ("330000", "330700", "330782", "330782001")),
        ("浙江桐庐县", ("330000", "330100", "330122", None)),
    ],
)
def test_zhejiang_addresses(address: str, expected: tuple[str | None, ...]) -> None:
    assert codes(resolve_region("某某有限公司", address)) == expected


def test_ambiguous_county_needs_the_postcode() -> None:
    assert resolve_region("x", "朝阳区建国路1号").region_code is None
    beijing = resolve_region("x", "100020 朝阳区建国路1号")
    assert (beijing.county_code, beijing.confidence) == ("110105", 0.9)
    changchun = resolve_region("x", "130000 朝阳区建国路1号")
    assert changchun.county_code == "220104"


def test_short_district_names_are_not_read_in_addresses() -> None:
    # 西湖大道 is a road in 上城区, not 西湖区
    assert resolve_region("x", "310000 浙江省杭州市西湖大道1号").region_code == "330100"


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "expected", "confidence"),
    [
        ("杭州万维镜像科技有限公司", ("330000", "330100", None, None), 0.7),
        ("中科创达软件科技（深圳）有限公司", ("440000", "440300", None, None), 0.7),
        ("中科创达软件科技(深圳)有限公司", ("440000", "440300", None, None), 0.7),
        ("北京小鸟看看科技有限公司", ("110000", "110100", None, None), 0.7),
        ("宁波市鄞州区某某电器有限公司", ("330000", "330200", "330212", None), 0.75),
        ("浙江大学", ("330000", None, None, None), 0.6),
        ("吉林市某某有限公司", ("220000", "220200", None, None), 0.7),
        ("延边某某有限公司", ("220000", "222400", None, None), 0.7),
        ("浦立泽智能科技(昆山)有限公司", ("320000", "320500", "320583", None), 0.75),
        ("中国科学院自动化研究所", (None, None, None, None), 0.5),
        ("国网浙江省电力有限公司", (None, None, None, None), 0.5),  # place in the middle
        ("华通州际物流有限公司", (None, None, None, None), 0.5),  # 通州 in the middle
        ("东方电气股份有限公司", (None, None, None, None), 0.5),  # 东方市 only as 东方市
    ],
)
def test_names(name: str, expected: tuple[str | None, ...], confidence: float) -> None:
    match = resolve_region(name)
    assert codes(match) == expected
    assert (match.country, match.method, match.confidence) == ("CN", "name", confidence)


def test_first_of_several_applicants() -> None:
    assert resolve_region("浙江大学 | 杭州光粒科技有限公司").region_code == "330000"


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("丰田自动车株式会社", "JP"),
        ("Canon Kabushiki Kaisha", "JP"),
        ("JEインターナショナル株式会社", "JP"),
        ("주식회사 브릿지코드", "KR"),
        ("Robert Bosch GmbH", "DE"),
        ("台湾电力股份有限公司", "TW"),
    ],
)
def test_foreign_names(name: str, country: str) -> None:
    match = resolve_region(name)
    assert (match.country, match.method, match.region_code) == (country, "name", None)


def test_latin_names_and_people_stay_unknown() -> None:
    assert resolve_region("SAMSUNG ELECTRONICS CO., LTD.") == RegionMatch(None, method="none")
    assert resolve_region("张成敏 | 巩磊").country is None


def test_source_country() -> None:
    assert resolve_region("Apple Inc.", country="us") == RegionMatch(
        "US", method="source_country", confidence=0.9
    )
    assert resolve_region("张三", country="CN").country == "CN"
    # an address beats the name; a non-CN country beats both
    assert resolve_region("杭州某公司", "210012 江苏省南京市雨花台区").city_code == "320100"
    assert resolve_region("杭州某公司", country="JP").region_code is None


# --------------------------------------------------------------------------- accuracy, speed


def thundersoft_rows() -> list[dict[str, str]]:
    with THUNDERSOFT.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_thundersoft_accuracy_floor() -> None:
    """The figures measured by benchmarks/region_accuracy.py must not get worse."""
    with TRUTH.open(encoding="utf-8", newline="") as handle:
        truth = {row["address"]: row for row in csv.DictReader(handle)}
    correct: Counter[str] = Counter()
    labelled: Counter[str] = Counter()
    for row in thundersoft_rows():
        match = resolve_region(row["申请人"], row["地市"])
        for level in ("province", "city", "county"):
            want = truth[row["地市"]][f"{level}_code"]
            labelled[level] += bool(want)
            correct[level] += bool(want) and want == getattr(match, f"{level}_code")
            if not want:  # development zones: the resolver must not invent a county
                assert getattr(match, f"{level}_code") is None
    assert labelled == {"province": 511, "city": 511, "county": 408}
    assert correct["province"] == 511
    assert correct["city"] == 511
    assert correct["county"] >= 406  # 2 rows (前海, no county named) are missed


def test_thundersoft_province_agrees_with_the_file() -> None:
    for row in thundersoft_rows():
        match = resolve_region(row["申请人"], row["地市"])
        assert region_name(match.province_code or "") == row["省市"]


def test_cached_calls_are_fast() -> None:
    inputs = [(row["申请人"], row["地市"]) for row in thundersoft_rows()]
    started = time.perf_counter()
    for _ in range(400):
        for applicant, address in inputs:
            resolve_region(applicant, address)
    assert time.perf_counter() - started < 2.0  # ≈ 200,000 calls; measured ≈ 0.03 s
