"""The indicator queries over the summary tables, for one region (a page, DuckDB) or for every
region at once (a Spark job), from the same text.

A :class:`Slice` says which summary rows make one answer: one region and industry (``$region``,
``$industry``), or every region of a level grouped by its code. The figures: the headline counts
and the high-value criteria (:func:`head_sql`), the yearly series (:func:`series_sql`), the top
applicants and IPC subclasses (:func:`top_applicants_sql`, :func:`top_ipc_sql`), and the map's
counts of each child region (:func:`map_counts_sql`).

>>> one("city").where
'city_code = $region AND industry = $industry'
"""

from __future__ import annotations

from dataclasses import dataclass

from patentatlas.domain.high_value import CRITERIA

LEVELS = ("country", "province", "city", "county", "township")
# the summaries' column of each level (the country: patents whose first applicant is in mainland China)
LEVEL_COLUMN = {"province": "province_code", "city": "city_code", "county": "county_code",
                "township": "township_code"}
COUNTRY_CODE = "100000"
# headline counts: name → the rows it counts (criteria: among valid inventions, met / not met / not judged)
HEAD = {"valid": "valid", "high_value": "high_value", "undated_grant": "undated_grant",
        "undated_lapse": "undated_lapse", "unknown_status": "unknown_status", "granted": "granted",
        "refused": "refused", "invention": "invention", "valid_sei_from_main_ipc": "sei_from_main_ipc"}
CRITERIA_HEAD = {f"{c}:{r}": f"valid AND {c} IS {v}" for c in CRITERIA
                 for r, v in (("met", "TRUE"), ("not_met", "FALSE"), ("not_judged", "NULL"))}
APPLICANT_ORDER = "patents DESC, valid_inventions DESC, applicant, applicant_key"
IPC_ORDER = "patents DESC, subclass"
_TYPE = "coalesce(patent_type, 'unknown')"


@dataclass(frozen=True)
class Slice:
    """The summary rows of one answer: ``keys`` (columns naming the answer, each followed by a
    comma; empty for one region), ``where``, ``group`` (the keys' GROUP BY, empty for one region)."""

    keys: str
    where: str
    group: str

    def group_by(self, *more: str) -> str:
        columns = [c for c in (self.group, *more) if c]
        return f" GROUP BY {', '.join(columns)}" if columns else ""


def level_where(level: str) -> str:
    """The summary rows of one region of ``level`` (``$region``)."""
    return "country_cn" if level == "country" else f"{LEVEL_COLUMN[level]} = $region"


def one(level: str) -> Slice:
    """One region of ``level`` and one industry (``''``: all)."""
    return Slice("", f"{level_where(level)} AND industry = $industry", "")


def every(level: str) -> Slice:
    """Every region of ``level``, every industry: keyed by level, region_code and industry."""
    if level == "country":
        return Slice(f"'country' AS level, '{COUNTRY_CODE}' AS region_code, industry, ", "country_cn", "industry")
    column = LEVEL_COLUMN[level]
    # the finest code known is a township's only where it has 9 digits (else a county, city, province)
    where = "length(township_code) = 9" if level == "township" else f"{column} IS NOT NULL"
    return Slice(f"'{level}' AS level, {column} AS region_code, industry, ", where, f"{column}, industry")


def _sum_if(condition: str, name: str) -> str:
    return f"coalesce(sum(CASE WHEN {condition} THEN patents ELSE 0 END), 0) AS {name}"


def _alias(name: str) -> str:
    return name.replace(":", "_")


def head_sql(slices: list[Slice]) -> str:
    """Headline counts and the criteria counts (columns named as :data:`HEAD` and :data:`CRITERIA_HEAD`
    with ``:`` written ``_``)."""
    sums = ", ".join(_sum_if(cond, _alias(name)) for name, cond in {**HEAD, **CRITERIA_HEAD}.items())
    return " UNION ALL ".join(f"SELECT {s.keys}{sums} FROM summary_facts WHERE {s.where}{s.group_by()}"
                              for s in slices)


def series_sql(slices: list[Slice]) -> str:
    """Applications by type and filing year, grants (by the statistics date) by type and grant year:
    kind, patent_type, year, n."""
    parts = []
    for s in slices:
        parts.append(f"SELECT {s.keys}'applications' AS kind, {_TYPE} AS patent_type, filing_year AS year, "
                     f"sum(patents) AS n FROM summary_facts WHERE {s.where}{s.group_by(_TYPE, 'filing_year')}")
        parts.append(f"SELECT {s.keys}'grants' AS kind, {_TYPE} AS patent_type, grant_year AS year, "
                     f"sum(patents) AS n FROM summary_facts WHERE {s.where} AND grant_year IS NOT NULL"
                     f"{s.group_by(_TYPE, 'grant_year')}")
    return " UNION ALL ".join(parts)


def _ranked(slices: list[Slice], inner: str, order: str) -> str:
    """The first ``$top_n`` rows of each answer, best first (``top_rank`` 1, 2, …)."""
    if len(slices) == 1 and not slices[0].keys:
        return f"SELECT * FROM ({inner}) t ORDER BY {order} LIMIT $top_n"
    return (f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY level, region_code, industry "
            f"ORDER BY {order}) AS top_rank FROM ({inner}) t) r WHERE top_rank <= $top_n")


def top_applicants_sql(slices: list[Slice]) -> str:
    """The first applicants (as one enterprise) with most patents: applicant_key, applicant, patents,
    valid_inventions, high_value_inventions."""
    inner = " UNION ALL ".join(
        f"SELECT {s.keys}applicant_key, min(applicant) AS applicant, sum(patents) AS patents, "
        f"sum(valid) AS valid_inventions, sum(high_value) AS high_value_inventions FROM summary_applicants "
        f"WHERE {s.where}{s.group_by('applicant_key')}" for s in slices)
    return _ranked(slices, inner, APPLICANT_ORDER)


def top_ipc_sql(slices: list[Slice]) -> str:
    """The main-IPC subclasses with most patents: subclass, patents, valid_inventions (their titles:
    :func:`with_ipc_titles`)."""
    inner = " UNION ALL ".join(
        f"SELECT {s.keys}subclass, sum(patents) AS patents, sum(valid) AS valid_inventions FROM summary_ipc "
        f"WHERE {s.where}{s.group_by('subclass')}" for s in slices)
    return _ranked(slices, inner, IPC_ORDER)


def with_ipc_titles(sql: str) -> str:
    """The rows of ``sql`` (with a ``subclass``) and the subclass's Chinese and English titles."""
    return f"SELECT r.*, i.title_zh, i.title_en FROM ({sql}) r LEFT JOIN ipc i ON i.code = r.subclass"


def map_counts_sql(parent_level: str, child_level: str, parent: Slice | None = None) -> str:
    """Each child region's applications, grants, valid and high-value inventions under one parent
    (``parent``: :func:`one`), or under every parent of ``parent_level`` (keyed by parent_level,
    parent_code, industry and child_level)."""
    child = LEVEL_COLUMN[child_level]
    if parent is None:
        parent = every(parent_level)
        keys = parent.keys.replace("AS level", "AS parent_level").replace("AS region_code", "AS parent_code")
        keys += f"'{child_level}' AS child_level, "
    else:
        keys = ""
    counts = ", ".join(["sum(patents) AS applications",
                        _sum_if("grant_year IS NOT NULL", "grants"), _sum_if("valid", "valid_inventions"),
                        _sum_if("high_value", "high_value_inventions")])
    return (f"SELECT {keys}{child} AS child_code, {counts} FROM summary_facts WHERE {parent.where}"
            f"{parent.group_by(child)}")
