"""Party names: splitting a cell of several applicants, normalising an enterprise's name, and
telling what kind of party a name belongs to.

>>> split_names("北京乐客灵境科技有限公司 | 广州市乐工电子实业有限责任公司")
('北京乐客灵境科技有限公司', '广州市乐工电子实业有限责任公司')
>>> normalize_name("中科创达软件科技（深圳）有限公司 ")
'中科创达软件科技(深圳)有限公司'
>>> party_kind("浙江大学")
'university'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_SPLIT = re.compile(r"\s*(?:;;|[;|；\n])\s*")
_CJK = r"\u3400-\u9fff"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}()])\s+|\s+(?=[{_CJK}()])")
_LATIN = re.compile(r"[A-Za-z]")
_CJK_CHAR = re.compile(rf"[{_CJK}]")

_ENTERPRISE_END = re.compile(
    r"(公司|株式会社|会社|厂|集团|商行|合作社|工作室|事务所|企业|门市部|经营部|商店|"
    r"\b(?:CO|LTD|LIMITED|INC|INCORPORATED|LLC|L\.L\.C|CORP|CORPORATION|COMPANY|GMBH|AG|SA|S\.A|"
    r"SE|PLC|BV|B\.V|NV|N\.V|SPA|S\.P\.A|KK|K\.K|AB|AS|OY|SAS|SRL|PTE|PTY|LP|LLP|KG|HOLDINGS?|"
    r"TECHNOLOGIES|TECHNOLOGY|GROUP)\.?)\)?$",
    re.IGNORECASE,
)
_ENTERPRISE_ANY = re.compile(r"公司|株式会社|주식회사|\bCO\.?,? ?LTD\b|\bINC\b|\bGMBH\b|\bCORP", re.I)
_UNIVERSITY = re.compile(r"大学|(?<!科)学院|学校|UNIVERSITY|UNIVERSITÄT|UNIVERSITE|COLLEGE|SCHOOL|POLYTECHNIC", re.I)
_RESEARCH = re.compile(
    r"研究院|研究所|研究中心|科学院|实验室|设计院|研究会|INSTITUTE|LABORATOR|RESEARCH|FRAUNHOFER|"
    r"CNRS|COMMISSARIAT|ACADEMY",
    re.I,
)
_GOVERNMENT = re.compile(
    r"政府|管理局|委员会|^国家.*局|公安|海关|解放军|部队|MINISTRY|DEPARTMENT OF|GOVERNMENT|"
    r"REPRESENTED BY|SECRETARY OF|NAVY|ARMY|AIR FORCE|AGENCY",
    re.I,
)
_PERSON_CJK = re.compile(rf"^(?:[A-Z]·)*[{_CJK}·•]{{2,5}}$")
_PERSON_LATIN = re.compile(r"^[A-Z][A-Z'\-.]*(?:,? [A-Z][A-Z'\-.]*){1,4}$", re.I)


def clean_text(value: str) -> str:
    """Excel artefacts out, whitespace tidied: ``_x000D_`` and friends never reach the store."""
    if "_x" in value:
        value = re.sub(r"_x000[DdAa9]_", " ", value)
    return value.strip()


def split_names(cell: str | None) -> tuple[str, ...]:
    """Names from one cell: ``;``, ``|``, ``;;``, ``；`` and newlines separate them."""
    if not cell:
        return ()
    text = str(cell).strip().strip("[]")
    return tuple(dict.fromkeys(p.strip() for p in _SPLIT.split(text) if p.strip()))


_LIST_SPLIT = re.compile(r"[,;，；\n]+")


def split_list(values: Any) -> list[str]:
    """The items a person typed into one field, or sent as a list: commas, semicolons (ASCII or
    full-width) and lines separate them; blanks and repeats are dropped, the order is kept.

    >>> split_list("G06F，H04W; G06F,,"), split_list([" 内镜 ", ""])
    (['G06F', 'H04W'], ['内镜'])
    """
    items = _LIST_SPLIT.split(values) if isinstance(values, str) else [str(v) for v in values or ()]
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


@lru_cache(maxsize=131072)
def normalize_name(name: str) -> str:
    """One canonical spelling: half-width letters and brackets, no stray spaces, Latin upper-case."""
    text = unicodedata.normalize("NFKC", name).replace("〔", "(").replace("〕", ")")
    text = text.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    text = re.sub(r"\s+", " ", text).strip(" .,;")
    if _CJK_CHAR.search(text):
        text = _SPACE_IN_CJK.sub("", text)
        # 有限责任公司 and 有限公司 stay apart here: two registrations may differ only in this; they
        # are one enterprise only where the directory or a credit code says so (legal_form_key)
    if _LATIN.search(text) and not _CJK_CHAR.search(text):
        text = text.upper()
    return text


_LONG_FORM = "有限责任公司"


def legal_form_key(normalized: str) -> str:
    """A normalised name with 有限责任公司 written 有限公司 (one legal form, Company Law art. 7): the
    key under which two spellings *may* be one enterprise; only the directory or a credit code
    confirms that they are (see :mod:`patentatlas.domain.placement`).

    >>> legal_form_key("广州市乐工电子实业有限责任公司")
    '广州市乐工电子实业有限公司'
    """
    if normalized.endswith(_LONG_FORM):
        return normalized[: -len(_LONG_FORM)] + "有限公司"
    return normalized


@lru_cache(maxsize=131072)
def party_kind(name: str) -> str:
    """individual / enterprise / university / research_institute / government / other."""
    text = normalize_name(name)
    if _ENTERPRISE_END.search(text):
        return "enterprise"
    for pattern, kind in (
        (_UNIVERSITY, "university"),
        (_RESEARCH, "research_institute"),
        (_GOVERNMENT, "government"),
        (_ENTERPRISE_ANY, "enterprise"),
    ):
        if pattern.search(text):
            return kind
    if _PERSON_CJK.match(text) or _PERSON_LATIN.match(text):
        return "individual"
    return "other"
