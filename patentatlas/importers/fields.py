"""Our canonical fields and the headers that name them in Chinese and English exports.

One table serves every tabular importer: incoPat and Patentics are recognised by their own
signature headers, and anything else with an application-number column is read by the generic
importer, with a small mapping file for headers this table does not know.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path

from patentatlas.errors import InputFileError

# canonical field → headers that name it (compared after normalising case, width and spaces)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "application_number": ("申请号", "专利申请号", "application number", "application_number",
                           "application no", "appl no", "app no", "appln no"),
    "publication_number": ("公开（公告）号", "公开号", "公告号", "公开公告号", "publication number",
                           "publication_number", "publication no", "pub no"),
    "publication_date": ("公开（公告）日", "公开日", "公开/公告日", "公告日", "publication date",
                         "publication_date", "pub date"),
    "publication_type": ("公开类型", "文献类型", "publication type", "kind"),
    "patent_type": ("专利类型", "patent type", "patent_type"),
    "office": ("公开国别", "专利局", "受理局", "office", "country"),
    "title_zh": ("标题 (中文)", "中文标题", "发明名称", "专利名称", "标题", "名称", "title",
                 "title_zh"),
    "title_en": ("标题 (英文)", "英文标题", "title (english)", "english title", "title_en"),
    "abstract_zh": ("摘要 (中文)", "中文摘要", "摘要", "abstract", "abstract_zh"),
    "abstract_en": ("摘要 (英文)", "英文摘要", "abstract (english)", "abstract_en"),
    "main_claim": ("主权项", "首项权利要求", "独立权利要求", "main claim", "first claim",
                   "main_claim"),
    "applicants": ("申请人", "申请(专利权)人", "申请人/专利权人", "专利权人", "applicant",
                   "applicants", "applicant name", "assignee"),
    "inventors": ("发明人", "发明(设计)人", "设计人", "inventor", "inventors"),
    "agencies": ("律师、代理", "代理机构", "代理人", "agency", "agent", "agencies"),
    "filing_date": ("申请日", "申请日期", "filing date", "application date", "filing_date",
                    "application_date"),
    "grant_date": ("授权日", "授权公告日", "授权日期", "grant date", "grant_date"),
    "priority_date": ("优先权日", "最早优先权日", "priority date", "priority_date"),
    "ipc": ("ipc", "国际分类", "ipc分类号", "分类号", "ipc分类", "ipc codes", "ipc_codes"),
    "ipc_main": ("ipc主分类", "国际主分类", "主分类号", "ipc主分类号", "main ipc", "ipc_main"),
    "cpc": ("cpc", "cpc分类", "cpc分类号", "cpc codes", "cpc_codes"),
    "claim_count": ("权利要求数", "权利要求项数", "权项数", "claim count", "claims count",
                    "number of claims", "claim_count"),
    "family_members": ("同族", "同族专利", "简单同族", "family members", "family_members"),
    "family_size": ("同族数", "同族专利数", "简单同族数", "family size", "family_size"),
    "cited": ("引用", "引证专利", "引用专利", "cited patents"),
    "cited_count": ("引用数", "本文引用专利数", "引证次数", "引用专利数", "backward citations",
                    "cited_count"),
    "citing": ("被引用", "被引证专利", "被引用专利", "citing patents"),
    "citing_count": ("被引用数", "引用本文专利数", "被引证次数", "被引用次数", "forward citations",
                     "citing_count", "cited by count"),
    "status_text": ("当前法律状态", "法律状态", "legal status", "status"),
    "validity": ("专利有效性", "有效性", "validity"),
    "legal_events": ("法律描述", "法律状态信息", "法律事件"),
    "address": ("地市", "通信地址", "申请人地址", "地址", "address", "applicant address"),
    "nic": ("国民经济分类", "国民经济行业分类"),
    "sei": ("新兴产业分类", "战略性新兴产业分类"),
}
FIELDS = tuple(SYNONYMS)


def header_key(header: str) -> str:
    """How headers are compared: NFKC, lower case, no spaces or underscores."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").lower()  # a second BOM stays in the text
    return re.sub(r"[\s_]+", "", text)


_BY_KEY = {header_key(h): field for field, names in SYNONYMS.items() for h in names}


def map_headers(headers: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """canonical field → column index; the first column naming a field wins."""
    extra = {header_key(k): v for k, v in (mapping or {}).items()}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        field = extra.get(key) or _BY_KEY.get(key)
        if field and field not in found:
            found[field] = index
    return found


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping file: JSON ``{"header": "field"}`` or a CSV with columns header,field."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputFileError(str(path), f"cannot be read ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFileError(str(path), f"is not valid JSON ({exc})") from None
    else:
        mapping = {row["header"]: row["field"] for row in csv.DictReader(text.splitlines())}
    unknown = sorted(set(mapping.values()) - set(FIELDS))
    if unknown:
        raise InputFileError(
            str(path), f"maps to unknown fields {unknown}; known fields: {', '.join(FIELDS)}"
        )
    return dict(mapping)
