"""China's regions (province → city → county → township) and resolving an applicant to one.

The table itself (``data/regions.csv``) is read by :mod:`patentatlas.reference.region_table`,
whose functions this module also offers.

How :func:`resolve_region` decides, in order:

1. ``country`` given and not ``CN`` → that country (method ``source_country``).
2. ``address`` (Patentics 地市/通信地址: postcode + address) → walk the hierarchy from the
   start of the address: province (浙江省/浙江), city within it (杭州市/杭州), county within the
   city (余杭区; short forms 桐庐/义乌 only for 县 and county-level 市, and only when unique
   there), township within the county (full names). A county or township named later in the
   address (``…高新区…（东升地区）``) is still found inside the city or county already
   matched. The postcode's province breaks ties between places that share a name (method
   ``address``).
3. Foreign markers in the name: 株式会社/Kabushiki Kaisha/K.K./kana → JP, 주식회사/Hangul → KR,
   GmbH → DE, 台湾/臺灣 → TW, 香港 → HK, 澳门 → MO (method ``name``).
4. The name (its first applicant, when several are joined by ``|`` or ``;``): a place at its
   very start (杭州某某科技有限公司, 宁波市鄞州区…) or a whole bracketed place
   (中科创达软件科技（深圳）有限公司, …(昆山)有限公司); never a place in the middle of a name,
   and never a short county name (东方, 江山) outside brackets.
5. Nothing found: ``country="CN"`` given → CN (``source_country``); a Chinese-script name that
   looks like an organisation (有限公司, 大学 …) → CN without codes (``name``, 0.5).
6. Still nothing, a Latin-script name and a national ``office`` other than CNIPA (the US office
   for a US application) → that office's country, as a guess (``filing_office``, 0.4); else
   nothing (``none``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from patentatlas.reference.region_table import (  # noqa: F401 (the table's functions, re-exported)
    LEVELS,
    Region,
    _chain,
    _table,
    chain_of,
    crosswalk,
    iter_regions,
    parent_code,
    region_level,
    region_name,
)

_ADDRESS_CONFIDENCE = {"province": 0.85, "city": 0.9, "county": 0.95, "township": 0.97}
_NAME_CONFIDENCE = {"province": 0.6, "city": 0.7, "county": 0.75, "township": 0.75}
_TIE_BROKEN_PENALTY = 0.05

# Former county names still seen in addresses → current code (the territory is the same, or
# wholly inside the current unit). 东陵区 renamed 浑南区 2014; the others upgraded (县 → 市/区)
# keeping their code, per the 2020 census vs the 2023 codes. Units abolished in a re-districting
# (Hangzhou 2021: 下城区, 江干区) come from the crosswalk (region_table.crosswalk): their main part.
_FORMER_COUNTY_NAMES = {
    "东陵区": "210112",
    "海门市": "320614",
    "芜湖县": "340210",
    "繁昌县": "340212",
    "监利县": "421088",
    "水城县": "520204",
    "同仁县": "632301",
}

# Postcode's first two digits by province (China Post's allocation), used to break ties.
_POSTCODE_PREFIXES = (
    "11:10 12:30 13:05,06,07 14:03,04 15:01,02 21:11,12 22:13 23:15,16 31:20 32:21,22 33:31,32 "
    "34:23,24 35:35,36 36:33,34 37:25,26,27 41:45,46,47 42:43,44 43:41,42 44:51,52 45:53,54 "
    "46:57 50:40 51:61,62,63,64 52:55,56 53:65,66,67 54:85,86 61:71,72 62:73,74 63:81 64:75 "
    "65:83,84"
)
_PROVINCE_BY_POSTCODE = {
    prefix: entry[:2] + "0000"
    for entry in _POSTCODE_PREFIXES.split()
    for prefix in entry[3:].split(",")
}

_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|拉祜|水|"
    "东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|"
    "鄂温克|德昂|保安|裕固|独龙|鄂伦春|各"
)
_AUTONOMOUS = re.compile(rf"^(.+?)(?:(?:{_ETHNIC})族?)+自治(?:州|县|旗)$")
_POSTCODE = re.compile(r"^\s*(\d{6})(?!\d)")
_SPACES = re.compile(r"\s+")
_BRACKETED = re.compile(r"\(([^()]{2,12})\)")
_NOT_A_PLACE_AFTER = ("路", "街", "道", "大道", "巷", "桥")
_DISTINCTIVE_TOWNSHIP = re.compile(r"..(街道|镇|乡|地区|苏木)$")
_APPLICANT_SEPARATOR = re.compile(r"\s*[|;；]\s*")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ORGANISATION = re.compile(r"公司|集团|大学|学院|研究院|研究所|研究中心|医院|工厂|厂$|中心$|合作社")
_FOREIGN = (
    (
        re.compile(r"株式会社|kabushiki\s+kaisha|\bk\.\s?k\.|[\u3041-\u3096\u30a1-\u30fa]", re.I),
        "JP",
    ),
    (re.compile(r"주식회사|[\uac00-\ud7a3]"), "KR"),
    (re.compile(r"\bgmbh\b", re.I), "DE"),
    (re.compile(r"台湾|臺灣|台灣|臺湾"), "TW"),
    (re.compile(r"香港"), "HK"),
    (re.compile(r"澳门|澳門"), "MO"),
)
_ANY_FOREIGN = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _FOREIGN), re.I)
_TAIWAN_CODE = "710000"


@dataclass(frozen=True, slots=True)
class RegionMatch:
    """Where an applicant is: country and the codes of each level found, with how and how sure."""

    country: str | None
    province_code: str | None = None
    city_code: str | None = None
    county_code: str | None = None
    township_code: str | None = None
    method: str = "none"
    confidence: float = 0.0

    @property
    def region_code(self) -> str | None:
        """The most specific code found, e.g. ``"330110"`` for an address in 余杭区."""
        return self.township_code or self.county_code or self.city_code or self.province_code


# --------------------------------------------------------------------------- name indexes


class _Names:
    """Place names → codes, matched at a position or searched for in a text."""

    __slots__ = ("codes", "lengths")

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, ...]] = {}
        # the lengths of the names starting with each character, longest first: a look-up at a
        # position tries only those (most characters start no name: none at all)
        self.lengths: dict[str, tuple[int, ...]] = {}

    def add(self, name: str, code: str) -> None:
        known = self.codes.get(name, ())
        if code not in known:
            self.codes[name] = (*known, code)
        lengths = self.lengths.get(name[:1], ())
        if len(name) not in lengths:
            self.lengths[name[:1]] = tuple(sorted((*lengths, len(name)), reverse=True))

    def at(self, text: str, pos: int) -> tuple[int, tuple[str, ...]]:
        """Longest name starting at ``pos``: (length, codes), or (0, ()) if none."""
        room = len(text) - pos
        for length in self.lengths.get(text[pos : pos + 1], ()):
            if length > room:
                continue
            codes = self.codes.get(text[pos : pos + length])
            if codes:
                return length, codes
        return 0, ()

    def search(self, text: str, pos: int) -> tuple[int, int, tuple[str, ...]]:
        """First name at or after ``pos`` not followed by a street word: (start, length, codes)."""
        for start in range(pos, len(text)):
            length, codes = self.at(text, start)
            if length and not text.startswith(_NOT_A_PLACE_AFTER, start + length):
                return start, length, codes
        return -1, 0, ()


def _short_names(region: Region) -> list[str]:
    """The short forms a region goes by: 浙江省 → 浙江, 杭州市 → 杭州, 延边朝鲜族自治州 → 延边."""
    name = region.name
    autonomous = _AUTONOMOUS.match(name)
    if autonomous:
        return [autonomous.group(1)] if len(autonomous.group(1)) >= 2 else []
    if region.level == "province":
        short = re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", name)
    elif region.level == "city":
        short = re.sub(r"(市|地区|盟)$", "", name)
    elif region.level == "county":
        short = re.sub(r"(县|市)$", "", name)  # never 区: 西湖区 vs 西湖大道
    else:
        return []
    return [short] if short != name and len(short) >= 2 else []


def _is_pseudo_city(region: Region, table: dict[str, Region]) -> bool:
    """A municipality's 市辖区/县 half or a 省直辖县级行政区划 group: not a place name."""
    province = table[region.parent_code or ""]
    return region.name.startswith(province.name) or "直辖" in region.name


class _Index:
    """Name indexes built once, keyed by (ancestor code, level of the names).

    ``full`` and ``short`` are for names written right after their parent, ``loose`` for names
    searched for further on in an address. The ancestor ``""`` stands for the whole country.
    Townships are indexed only under their county and city, short county names (桐庐, 义乌)
    only under their city and province.
    """

    def __init__(self, table: dict[str, Region]) -> None:
        self.full: dict[tuple[str, str], _Names] = {}
        self.short: dict[tuple[str, str], _Names] = {}
        self.loose: dict[tuple[str, str], _Names] = {}
        self.implied_city: dict[str, str] = {}
        self.bracketed_counties = _Names()  # 昆山 alone names a place only inside brackets
        self.district_short: dict[str, _Names] = {}  # 滨江 for 滨江区, only right after its city in a name
        # each code's level and parent: what resolving asks of the table (a process with a kept index
        # reads no table: 0.2 s before an import's helper parses its first chunk)
        self.regions: dict[str, tuple[str, str | None]] = {code: (r.level, r.parent_code) for code, r in table.items()}
        for region in table.values():
            if region.level == "city" and _is_pseudo_city(region, table):
                self._add_pseudo_city(region)
            else:
                self._add_region(region)
        self._add_former_names(table)
        for province in list(self.implied_city):
            if not self.implied_city[province] or (province, "city") in self.full:
                del self.implied_city[province]

    def _names(self, kind: dict[tuple[str, str], _Names], key: tuple[str, str]) -> _Names:
        return kind.setdefault(key, _Names())

    def _add_pseudo_city(self, region: Region) -> None:
        # A municipality with one city-level half (北京市 → 110100) implies it; Chongqing has
        # two (districts, counties), provinces with real cities have their own.
        province = region.parent_code or ""
        self.implied_city[province] = "" if province in self.implied_city else region.code

    def _add_region(self, region: Region) -> None:
        ancestors = [code for level, code in _chain(region.code).items() if level != region.level]
        if region.level == "township":
            self._add_township(region, ancestors)
            return
        for ancestor in [*ancestors, ""]:
            self._names(self.full, (ancestor, region.level)).add(region.name, region.code)
            if region.level == "county" and not ancestor:
                names = self.bracketed_counties  # alone, 东方 or 江山 is too often a plain word
            else:
                names = self._names(self.short, (ancestor, region.level))
            for short in _short_names(region):
                names.add(short, region.code)
        if region.level == "county" and region.name.endswith("区") and len(region.name) >= 3:
            self.district_short.setdefault(region.parent_code or "", _Names()).add(region.name[:-1], region.code)
        if region.level == "county" and len(region.name) >= 3:  # not 城区, 郊区
            self._names(self.loose, (region.parent_code or "", "county")).add(
                region.name, region.code
            )

    def _add_township(self, region: Region, ancestors: list[str]) -> None:
        # Right after its county any township name counts (…武进区高新区…); elsewhere only
        # distinctive ones (良渚街道, 东升地区), never 开发区 or 城区.
        distinctive = _DISTINCTIVE_TOWNSHIP.search(region.name) is not None
        for ancestor in ancestors:
            if ancestor.endswith("0000"):
                continue
            if ancestor == region.parent_code or distinctive:
                self._names(self.full, (ancestor, "township")).add(region.name, region.code)
            if distinctive:
                self._names(self.loose, (ancestor, "township")).add(region.name, region.code)

    def _add_former_names(self, table: dict[str, Region]) -> None:
        former = dict(_FORMER_COUNTY_NAMES)
        for old_code, rows in crosswalk().items():
            if old_code not in table:  # abolished: its name now means its main part
                former.setdefault(rows[0].old_name, rows[0].new_code)
        for name, code in former.items():
            if code not in table:
                continue
            for ancestor in [*_chain(code).values(), ""]:
                names = self._names(self.full, (ancestor, "county"))
                if ancestor != code and name not in names.codes:
                    names.add(name, code)

    def match(self, text: str, pos: int, ancestor: str, level: str) -> tuple[int, tuple[str, ...]]:
        """Longest full or (unambiguous) short name of ``level`` under ``ancestor`` at ``pos``."""
        full = self.full.get((ancestor, level))
        length, codes = full.at(text, pos) if full else (0, ())
        short = self.short.get((ancestor, level))
        if short:
            short_length, short_codes = short.at(text, pos)
            if short_length > length and len(short_codes) == 1:
                return short_length, short_codes
        return length, codes


@functools.cache
def _index() -> _Index:
    """The name indexes, built once (kept between processes: :mod:`patentatlas.reference.cache`)."""
    from patentatlas.reference import region_table
    from patentatlas.reference.cache import DATA, cached

    return cached("region-index", lambda: _Index(_table()), DATA / "regions.csv", DATA / "region_crosswalk.csv",
                  Path(__file__), Path(region_table.__file__))


# --------------------------------------------------------------------------- walking a text


def _prefer(codes: tuple[str, ...], province_hint: str | None) -> tuple[str | None, bool]:
    """One code out of several sharing a name, using the postcode's province: (code, tie_broken)."""
    if len(codes) == 1:
        return codes[0], False
    if province_hint:
        hinted = [code for code in codes if code[:2] == province_hint[:2]]
        if len(hinted) == 1:
            return hinted[0], True
    return None, False


def _start(text: str, hint: str | None) -> tuple[str | None, int, bool]:
    """The place a text starts with, any level: (code, end, tie_broken); longest name wins."""
    index = _index()
    best: tuple[int, tuple[str, ...]] = (0, ())
    for level in LEVELS[:3]:  # on a tie in length the higher level wins
        found = index.match(text, 0, "", level)
        if found[0] > best[0]:
            best = found
    if not best[0]:
        return None, 0, False
    code, tie_broken = _prefer(best[1], hint)
    return code, (best[0] if code else 0), tie_broken


def _level(code: str) -> str:
    """A known code's level (from the index: a process with a kept index need not read the table)."""
    return _index().regions[code][0]


def _known(code: str) -> bool:
    return code in _index().regions


def _ancestors(code: str) -> dict[str, str]:
    """Level → code for a region and all its ancestors (region_table._chain, from the index)."""
    return chain_of(code, _index().regions.get)


def _child_levels(code: str) -> tuple[str, ...]:
    """Levels to look for right after a place: a province's cities, else its counties, …"""
    level = _level(code)
    if level == "province":
        return ("city", "county")
    if level == "city":
        return ("county", "township")
    if level == "county":
        return ("township",)
    return ()


def _descend(text: str, code: str, pos: int) -> tuple[str, int]:
    """Follow child names written right after each other: 浙江省|杭州市|余杭区|良渚街道."""
    index = _index()
    while True:
        best: tuple[int, tuple[str, ...]] = (0, ())
        for level in _child_levels(code):
            found = index.match(text, pos, code, level)
            if found[0] > best[0]:
                best = found
        if not best[0] or len(best[1]) != 1:
            return code, pos
        code, pos = best[1][0], pos + best[0]


def _search_below(text: str, code: str, pos: int) -> str:
    """A county (in a city) or township (in a county) named further on in an address."""
    index = _index()
    level = _level(code)
    wanted = {"city": ("county", "township"), "county": ("township",)}.get(level, ())
    for child_level in wanted:
        names = index.loose.get((code, child_level))
        if names is None:
            continue
        start, length, codes = names.search(text, pos)
        if length and len(codes) == 1:
            found, end = _descend(text, codes[0], start + length)
            return _search_below(text, found, end)
    return code


def _implied_city(code: str) -> str:
    """A municipality with a single city-level half implies it: 110000 → 110100."""
    return _index().implied_city.get(code) or code


def _walk(text: str, hint: str | None, search: bool) -> tuple[str | None, bool]:
    """The most specific place a text starts with: (code, tie_broken)."""
    code, end, tie_broken = _start(text, hint)
    if code is None:
        return None, False
    code, end = _descend(text, code, end)
    code = _implied_city(code)
    if search:
        code = _search_below(text, code, end)
    return code, tie_broken


def _match(code: str, country: str, method: str, confidence: float) -> RegionMatch:
    chain = _ancestors(code)
    return RegionMatch(
        country,
        chain.get("province"),
        chain.get("city"),
        chain.get("county"),
        chain.get("township"),
        method,
        confidence,
    )


# --------------------------------------------------------------------------- resolving


def _clean(text: str) -> str:
    """Drop spaces, make brackets half-width and drop a leading 中国/中华人民共和国."""
    text = _SPACES.sub("", text).replace("（", "(").replace("）", ")")
    for prefix in ("中华人民共和国", "中国"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


@functools.cache
def _township_codes() -> dict[tuple[str, str], str]:
    """(county code, township name) → township code."""
    return {(r.parent_code or "", r.name): r.code for r in _table().values() if r.level == "township"}


def _redistricted(text: str, code: str) -> tuple[str, bool]:
    """An address written before a re-districting (Hangzhou 2021): a township the old unit handed
    to a new one moves there (余杭区临平街道 → 临平区); an abolished unit named without such a
    township stays in its main part, marked uncertain (江干区 → 上城区, unless 下沙/白杨街道)."""
    county = _ancestors(code).get("county")
    for old_code, rows in crosswalk().items():
        if rows[0].new_code != county or rows[0].old_name not in text:
            continue
        for row in rows[1:]:
            for town in row.townships:
                if town in text and (row.new_code, town) in _township_codes():
                    return _township_codes()[(row.new_code, town)], False
        if not _known(old_code) and len(rows) > 1 and code == county:
            return code, True
    return code, False


@functools.lru_cache(maxsize=1 << 16)  # an applicant is resolved with and without its country: read once
def _from_address(address: str) -> RegionMatch | None:
    """Resolve a postcode + address string; None when no place is found."""
    postcode = _POSTCODE.match(address)
    hint = _PROVINCE_BY_POSTCODE.get(postcode.group(1)[:2]) if postcode else None
    text = _clean(address[postcode.end() :] if postcode else address)
    code, tie_broken = _walk(text, hint, search=True)
    if code is None:
        return None
    code, split_unit = _redistricted(text, code)
    confidence = _ADDRESS_CONFIDENCE[_level(code)]
    if tie_broken or split_unit:
        confidence = round(confidence - _TIE_BROKEN_PENALTY, 2)
    return _match(code, "CN", "address", confidence)


def _bracketed_place(text: str) -> str | None:
    """A bracket holding nothing but a place: 中科创达软件科技(深圳)有限公司 → 440300."""
    for inside in _BRACKETED.findall(text):
        code, end, _ = _start(inside, None)
        if code is not None:
            code, end = _descend(inside, code, end)
        if code is not None and end == len(inside):
            return _implied_city(code)
        counties = _index().bracketed_counties.codes.get(inside, ())
        if len(counties) == 1:
            return counties[0]
    return None


def _first_applicant(name: str) -> str:
    """The first of several applicants in one field (Patentics joins them with ``|``)."""
    return _APPLICANT_SEPARATOR.split(name.strip(), maxsplit=1)[0]


def _district_after_city(text: str, code: str, end: int) -> str:
    """A district's short name right after its city in a name: 杭州滨江… → 滨江区 (never a street)."""
    names = _index().district_short.get(code)
    if names is None:
        return code
    length, codes = names.at(text, end)
    if length and len(codes) == 1 and not text.startswith(_NOT_A_PLACE_AFTER, end + length):
        return codes[0]
    return code


@functools.lru_cache(maxsize=1 << 16)
def _from_chinese_name(name: str) -> RegionMatch | None:
    """Resolve a place at the start of a name (a city's district by its short name too: 杭州滨江…)
    or a whole bracketed place in it."""
    text = _clean(name)
    code, end, _ = _start(text, None)
    if code is not None:
        code, end = _descend(text, code, end)
        code = _implied_city(code)
        if _level(code) == "city":
            code = _district_after_city(text, code, end)
    code = code or _bracketed_place(text)
    if code is None:
        return None
    return _match(code, "CN", "name", _NAME_CONFIDENCE[_level(code)])


def _from_foreign_markers(name: str) -> RegionMatch | None:
    """A country told by the name itself: 株式会社 → JP, 주식회사 → KR, GmbH → DE, 台湾 → TW."""
    if not _ANY_FOREIGN.search(name):  # most names: one search, not one per country
        return None
    for pattern, country in _FOREIGN:
        if pattern.search(name):
            if country == "TW" and _known(_TAIWAN_CODE):
                return RegionMatch(country, _TAIWAN_CODE, method="name", confidence=0.8)
            return RegionMatch(country, method="name", confidence=0.8)
    return None


@functools.lru_cache(maxsize=1 << 18)
def resolve_region(
    name: str, address: str | None = None, country: str | None = None, office: str | None = None
) -> RegionMatch:
    """Resolve an applicant (name, optional address and country) to a region; ``office``, the
    country of the application's patent office, is the last resort for a foreign applicant.

    >>> resolve_region("中科创达软件股份有限公司", "100191 北京市海淀区龙翔路甲1号").county_code
    '110108'
    >>> resolve_region("杭州某某科技有限公司").city_code
    '330100'
    >>> resolve_region("Toyota Jidosha Kabushiki Kaisha").country
    'JP'
    """
    country = country.strip().upper() if country and country.strip() else None
    if country and country != "CN":
        return RegionMatch(country, method="source_country", confidence=0.9)
    name = _first_applicant(name or "")
    found = _from_address(address) if address else None
    found = found or _from_foreign_markers(name) or _from_chinese_name(name)
    if found:
        return found
    if country == "CN":
        return RegionMatch("CN", method="source_country", confidence=0.9)
    if _HAN.search(name) and _ORGANISATION.search(name):
        return RegionMatch("CN", method="name", confidence=0.5)
    if office and office not in _REGIONAL_OFFICES and not _HAN.search(name):
        # most filings at a national office come from its own country: a guess, said to be one
        return RegionMatch(office, method="filing_office", confidence=0.4)
    return RegionMatch(None)


def record_region(name: str, address: str | None, office: str | None) -> RegionMatch:
    """Where a record puts an applicant: by its name and address, the office as a last resort, never
    the source's own country (placing again from the store does not know it). The parties, placement
    and the helper process reading an import all ask this one question, so their answers agree.

    >>> record_region("中科创达软件股份有限公司", "100191 北京市海淀区龙翔路甲1号", "CN").county_code
    '110108'
    """
    return resolve_region(name, address, None, office)


# offices that grant for several countries: their filings say nothing of the applicant's
_REGIONAL_OFFICES = frozenset({"CN", "WO", "EP", "EA", "AP", "OA", "GC", "IB"})
