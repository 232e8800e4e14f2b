"""Downloads an office can forward (issue 11 §3): headers and coded values in the page's language
(Chinese by default, the words of the catalogues, :mod:`patentatlas.i18n`), times in Beijing time, and for
XLSX a title block (title, region, statistics date, counting rule, data source and date, when
exported) above the table, on a sheet named after the table. The bytes come from the one table
writer, :func:`patentatlas.store.export.table_bytes`.

>>> download_rows([{"patent_type": "invention", "reduced": True}], translator("zh"))[1]
[{'patent_type': '发明', 'reduced': '是'}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from patentatlas.beijing_time import beijing
from patentatlas.domain.accounts import now
from patentatlas.i18n import Message, translate
from patentatlas.store.export import table_bytes
from patentatlas.web.i18n import Words, translator

# columns whose text values are codes, and where their words are in i18n (the first found)
CODED = {"patent_type": ("{}",), "status": ("{}",), "state": ("fee_{}",), "outcome": ("fu_{}",),
         "last_outcome": ("fu_{}",), "applicant_kind": ("kind_{}",), "indicator": ("col_{}", "{}"),
         "level": ("level_{}", "{}"), "result": ("{}",), "listing_stage": ("stage_{}",)}


def column_label(t: Words, key: str) -> str:
    """A column's header: its download word (``col_…``), else the page's word for the key, else the key."""
    for word in (f"col_{key}", key):
        if word in t:
            return t[word]
    head, _, tail = key.rpartition("_")  # applications_2019, grants_invention: 专利申请量（2019）
    if head and (tail.isdigit() or tail in t) and (f"col_{head}" in t or head in t):
        left, right = ("（", "）") if t.lang == "zh" else (" (", ")")
        return f"{column_label(t, head)}{left}{t.get(tail, tail)}{right}"
    return key


def cell_word(t: Words, key: str, value: Any) -> Any:
    """A value as the page shows it: yes/no for booleans, words for codes, Beijing time for times."""
    if isinstance(value, bool):
        return t["dl_yes"] if value else t["dl_no"]
    if isinstance(value, dt.datetime):
        return beijing(value, seconds=True)
    if isinstance(value, Message):
        return translate(value, t.lang)
    for pattern in CODED.get(key, ()) if isinstance(value, str) else ():
        if pattern.format(value) in t:
            return t[pattern.format(value)]
    return value


def download_rows(rows: Sequence[dict[str, Any]], t: Words,
                  columns: Sequence[str] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns (every key in the order first seen, unless given) and the rows in words."""
    keys = list(columns) if columns is not None else list(dict.fromkeys(k for row in rows for k in row))
    return keys, [{k: cell_word(t, k, row.get(k)) for k in keys} for row in rows]


def title_block(t: Words, title: str, meta: dict[str, Any] | None, lang: str = "zh") -> list[str]:
    """The lines above an XLSX table: what it is, where, as of when, counted how, from which data."""
    meta = meta or {}
    colon, left, right = ("：", "（", "）") if lang == "zh" else (": ", " (", ")")
    lines = [title]
    if meta.get("region"):
        lines.append(f"{t['dl_region']}{colon}{meta['region']}")
    if meta.get("as_of"):
        lines.append(f"{t['dl_as_of']}{colon}{meta['as_of']}")
    if meta.get("counting_rule"):
        rule = meta["counting_rule"]
        rule = rule.get(lang, rule.get("zh")) if isinstance(rule, dict) else translate(rule, lang)
        lines.append(f"{t['dl_counting_rule']}{colon}{rule}")
    source = translate(meta.get("source"), lang) or t["dl_default_source"]
    lines.append(f"{t['dl_source']}{colon}{source}" + (f"{left}{t['dl_data_date']} {meta['data_date']}{right}"
                                                       if meta.get("data_date") else ""))
    lines.append(f"{t['dl_exported_at']}{colon}{beijing(now())}")
    return lines


def download_meta(data: dict[str, Any]) -> dict[str, Any]:
    """The title block of a region's table (warnings, lists): region, date, counting rule, data date."""
    region = data["region"]
    return {"region": f"{region['name']}（{region['code']}）", "as_of": data["as_of"],
            "counting_rule": data["counting_rule"], "data_date": data.get("data_observed_on")}


def download_bytes(rows: Sequence[dict[str, Any]], fmt: str, *, title: str | None = None,
                   meta: dict[str, Any] | None = None, columns: Sequence[str] | None = None,
                   lang: str = "zh") -> bytes:
    """A table for people: headers and values in ``lang``; for XLSX the title block and the sheet
    named after the table. An empty table without ``columns`` still says so in its one header."""
    t = translator(lang)
    keys, shown = download_rows(rows, t, columns)
    if not keys:
        keys, shown = ["dl_no_rows"], []
    labels = [t[k] if k == "dl_no_rows" else column_label(t, k) for k in keys]
    name = title or t["dl_table"]
    return table_bytes(shown, fmt, columns=keys, labels=labels, sheet=name,
                       title_block=title_block(t, name, meta, lang) if fmt == "xlsx" else ())
