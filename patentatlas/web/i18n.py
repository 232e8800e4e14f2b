"""Interface words in Simplified Chinese (default) and English."""

from __future__ import annotations

LANGS = ("zh", "en")

WORDS: dict[str, dict[str, str]] = {
    "app_name": {"zh": "专利监测服务平台", "en": "Patent Monitoring Platform"},
    "overview": {"zh": "总览", "en": "Overview"},
    "patents": {"zh": "专利", "en": "Patents"},
    "total_patents": {"zh": "专利总数", "en": "Patents in store"},
    "quarantined_rows": {"zh": "隔离行数", "en": "Quarantined rows"},
    "by_type": {"zh": "按类型", "en": "By type"},
    "by_status": {"zh": "按法律状态", "en": "By legal status"},
    "by_province": {"zh": "按第一申请人省份", "en": "By first applicant's province"},
    "filings_by_year": {"zh": "历年申请量", "en": "Applications by filing year"},
    "search": {"zh": "检索", "en": "Search"},
    "keyword": {"zh": "关键词（标题、申请人、申请号）", "en": "Keyword (title, applicant, number)"},
    "all": {"zh": "全部", "en": "All"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "application_number": {"zh": "申请号", "en": "Application no."},
    "title": {"zh": "名称", "en": "Title"},
    "patent_type": {"zh": "类型", "en": "Type"},
    "status": {"zh": "法律状态", "en": "Legal status"},
    "filing_date": {"zh": "申请日", "en": "Filing date"},
    "grant_date": {"zh": "授权日", "en": "Grant date"},
    "ipc_main": {"zh": "IPC主分类", "en": "Main IPC"},
    "first_applicant": {"zh": "第一申请人", "en": "First applicant"},
    "region": {"zh": "地区", "en": "Region"},
    "year": {"zh": "申请年", "en": "Filing year"},
    "results": {"zh": "条结果", "en": "results"},
    "prev": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
    "page": {"zh": "页", "en": "page"},
    "invention": {"zh": "发明", "en": "Invention"},
    "utility_model": {"zh": "实用新型", "en": "Utility model"},
    "design": {"zh": "外观设计", "en": "Design"},
    "pending": {"zh": "审中", "en": "Pending"},
    "in_force": {"zh": "有效", "en": "In force"},
    "lapsed": {"zh": "失效", "en": "Lapsed"},
    "unknown": {"zh": "未知", "en": "Unknown"},
    "applicants": {"zh": "申请人", "en": "Applicants"},
    "inventors": {"zh": "发明人", "en": "Inventors"},
    "abstract": {"zh": "摘要", "en": "Abstract"},
    "publications": {"zh": "公开文献", "en": "Publications"},
    "legal_events": {"zh": "法律事件", "en": "Legal events"},
    "source_status": {"zh": "来源原文", "en": "source wording"},
    "error": {"zh": "出错了", "en": "Error"},
    "back": {"zh": "返回", "en": "Back"},
    "json": {"zh": "JSON 数据", "en": "JSON data"},
    "switch_lang": {"zh": "English", "en": "中文"},
}


def translator(lang: str) -> dict[str, str]:
    """All words in one language, falling back to the key itself."""
    lang = lang if lang in LANGS else "zh"
    return {key: forms[lang] for key, forms in WORDS.items()}
