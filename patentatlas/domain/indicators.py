"""Regional indicators (REFERENCE §5) for any region × SEI industry × statistics date, the map's
figures over a region's children, and the enterprises of a region.

Each patent is counted once, in the region of its first applicant as the source lists it; the
rules for *valid* and *high-value* are in :mod:`patentatlas.domain.high_value`.

Where the store's summary tables describe the question (the store's data date, the rule sets in
force, the data as it is now: :func:`patentatlas.analytics.summaries.serves_summaries`), the
figures are read from them (:mod:`patentatlas.analytics.region_figures`): what the pages ask by
default. Any other statistics date, or summaries not yet refreshed, is answered from the patents:
one DuckDB aggregate over the region's patents per figure group (no Python loop over patents);
``summaries=False`` asks for that always.

>>> region_indicators(conn, "110108")["valid_invention_count"]  # doctest: +SKIP
118
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import duckdb

from patentatlas.analytics.region_figures import (
    series_from_rows,
    summary_enterprises,
    summary_figures,
    summary_map_counts,
)
from patentatlas.analytics.summaries import Basis, current_summaries, describes
from patentatlas.domain.high_value import (
    CRITERIA,
    date_params,
    facts_from,
    has_status_changes,
    named_params,
    statistics_dates,
)
from patentatlas.errors import NotFoundError, UsageError
from patentatlas.i18n import Message, bilingual, message
from patentatlas.rules import load_counting_rules, load_rule_set, rule_source

COUNTRY = {"code": "100000", "name": "全国", "level": "country", "parent_code": None}
TYPES = ("invention", "utility_model", "design")
COUNTING_RULE = {
    "zh": "每件专利只计一次，按第一申请人（授权后为第一专利权人，以数据源所列为准）所在地区统计；"
          "全国（100000）为第一申请人在中国大陆的专利。所在地区依次按企业名录、注册企业的统一社会信用代码、"
          "申请人地址、申请人名称确定。",
    "en": "Each patent is counted once, in the region of its first applicant (the first patent holder "
          "once granted, as the source lists it); China (100000) counts first applicants in mainland China. "
          "The region comes from the enterprise directory, a registered enterprise's credit code, the "
          "applicant's address or its name, in this order.",
}
DEFINITIONS = {name: message(f"def_{name}") for name in ("valid_invention", "per_10k", "grant_rate", "growth")}
CENSUS_SOURCE = message("census_2020")
MAP_INDICATORS = ("valid_invention_per_10k", "valid_invention_count", "high_value_invention_per_10k",
                  "high_value_invention_count", "applications", "grants")
_REGION_COLUMN = {
    "country": "p.first_applicant_country = 'CN'",
    "province": "p.first_applicant_province_code = $region",
    "city": "p.first_applicant_city_code = $region",
    "county": "p.first_applicant_county_code = $region",
    "township": "p.first_applicant_region_code = $region",
}
_CHILD_COLUMN = {"province": "p.first_applicant_province_code", "city": "p.first_applicant_city_code",
                 "county": "p.first_applicant_county_code", "township": "p.first_applicant_region_code"}
FACTS = ("invention", "valid", "granted", "refused", "undated_grant", "undated_lapse", "unknown_status", *CRITERIA)
_INDUSTRY_SQL = "len(list_filter(p.sei_codes, lambda c: c = $industry OR starts_with(c, $industry || '.'))) > 0"


# --------------------------------------------------------------------------- what is asked


def resolve_region(conn: duckdb.DuckDBPyConnection, code: str) -> dict[str, Any]:
    """The region with this code (2023 division codes; ``100000`` = all of China).

    >>> resolve_region(conn, "330100")["name"]  # doctest: +SKIP
    '杭州市'
    """
    code = str(code).strip()
    if code == COUNTRY["code"]:
        population = conn.execute("SELECT sum(population_2020) FROM regions WHERE level = 'province'").fetchall()
        return {**COUNTRY, "population_2020": population[0][0]}
    if not re.fullmatch(r"\d{6}|\d{9}", code):
        raise UsageError(f"region {code!r} is not a division code: use a 6-digit adcode (330100 杭州市), "
                         "a 9-digit township code, or 100000 for all of China")
    rows = conn.execute("SELECT code, name, level, parent_code, population_2020 FROM regions WHERE code = ?",
                        [code]).fetchall()
    if not rows:
        raise NotFoundError(f"region {code} is not a 2023 division code known to the store "
                            "(e.g. 330000 浙江省, 330100 杭州市, 330110 余杭区; 100000 for all of China)")
    return dict(zip(("code", "name", "level", "parent_code", "population_2020"), rows[0], strict=True))


def resolve_industry(conn: duckdb.DuckDBPyConnection, code: str | None) -> dict[str, Any] | None:
    """The 2021 strategic emerging industry with this code (``"1"``, ``"1.4"``), or None for all."""
    if code is None or str(code).strip() == "":
        return None
    code = str(code).strip()
    if not re.fullmatch(r"\d{1,2}(\.\d{1,2}){0,2}", code):
        raise UsageError(f"industry {code!r} is not a strategic emerging industry code: write it like 1 or 1.4")
    try:
        known, name = conn.execute("SELECT count(*), any_value(name) FILTER (WHERE code = ?) FROM sei_industries",
                                   [code]).fetchall()[0]
    except duckdb.CatalogException:  # a store from before the industries migration
        known, name = 0, None
    if name is not None:
        return {"code": code, "name": name}
    # without the industry table, accept a code only if some patent carries it
    if not known and conn.execute(f"SELECT 1 FROM patents p WHERE {_INDUSTRY_SQL} LIMIT 1",
                                  {"industry": code}).fetchall():
        return {"code": code, "name": None}
    raise NotFoundError(f"industry {code} is not a 2021 strategic emerging industry code "
                        "(top-level codes 1–9, e.g. 1 新一代信息技术产业, 1.4 互联网与云计算、大数据服务)")


@dataclass
class Scope:
    """One question: a region, an industry (or all), a statistics date, and the rules in force."""

    region: dict[str, Any]
    industry: dict[str, Any] | None
    as_of: dt.date
    data_date: dt.date
    rules: dict[str, Any] = field(repr=False)
    hv: dict[str, Any] = field(repr=False)
    evidence: bool = True  # whether the store has status changes to date grants and lapses
    summaries: dict[str, Any] | None = field(default=None, repr=False)  # current_summaries: None, none to read

    def where(self) -> str:
        """The patents in scope: the region, filed by the statistics date, the industry."""
        parts = [_REGION_COLUMN[self.region["level"]], "p.filing_date <= $as_of"]
        return " AND ".join(parts + ([_INDUSTRY_SQL] if self.industry else []))

    def facts(self, columns: str) -> str:
        """The patents in scope with ``columns`` and the facts the indicators count."""
        return facts_from(self.rules, self.hv, self.where(), columns, self.evidence, FACTS)

    def reads_summaries(self) -> bool:
        """Whether the store's summaries describe this question (else: the patents)."""
        return describes(self.summaries, Basis(self.as_of, self.data_date, self.rules, self.hv, self.evidence))

    def rows(self, conn: duckdb.DuckDBPyConnection, sql: str, **extra: Any) -> list[tuple[Any, ...]]:
        params = {"region": self.region["code"], "industry": (self.industry or {}).get("code"),
                  **date_params(self.as_of, self.data_date, self.rules, self.hv), **extra}
        return conn.execute(sql, named_params(sql, params)).fetchall()


def scope_for(conn: duckdb.DuckDBPyConnection, region_code: str, industry: str | None = None,
              as_of: str | dt.date | None = None) -> Scope:
    """Check the region, industry and date asked for; raise a clear error for each bad one."""
    region = resolve_region(conn, region_code)
    sei = resolve_industry(conn, industry)
    summaries = current_summaries(conn)
    if summaries is not None and as_of in (None, ""):  # the data has not changed since: nor has its data date
        date = data_date = summaries["data_date"]
        evidence = bool(summaries["evidence"])
    else:
        (date, data_date), evidence = statistics_dates(conn, as_of), has_status_changes(conn)
    return Scope(region, sei, date, data_date, load_counting_rules(conn), load_rule_set(conn, "high_value"),
                 evidence, summaries)


# --------------------------------------------------------------------------- population


@functools.cache
def redistricting() -> dict[str, dict[str, Any]]:
    """Code → the re-districting after the 2020 census that changed it (``data/redistricting.csv``):
    its date, and what changed and the notice that changed it, each in Chinese and English.

    >>> from patentatlas.i18n import translate
    >>> change = redistricting()["330105"]
    >>> change["effective"], translate(change["detail"], "zh"), str(change["detail"])
    ('2021-04-09', '撤销原下城区、拱墅区，合并设立新的拱墅区', 'old Xiacheng and Gongshu merged into a new Gongshu')
    """
    path = files("patentatlas.reference") / "data" / "redistricting.csv"
    with path.open("r", encoding="utf-8") as handle:
        return {row["code"]: {"code": row["code"], "name": row["name"], "effective": row["effective"],
                              "change": row["change"], "detail": bilingual(row["detail_zh"], row["detail_en"]),
                              "source": bilingual(row["source_zh"], row["source_en"])}
                for row in csv.DictReader(handle)}


# the office's own latest figure of each region up to $year
_OFFICE_POPULATION_SQL = ("SELECT region_code, max(year) AS year, arg_max(population, year) AS population, "
                          "arg_max(source, year) AS source FROM population WHERE year <= $year GROUP BY region_code")


def office_populations(conn: duckdb.DuckDBPyConnection, codes: list[str], year: int) -> dict[str, tuple[Any, ...]]:
    """Code → (year, population, source): the office's own latest figure up to ``year``."""
    rows = conn.execute(f"SELECT * FROM ({_OFFICE_POPULATION_SQL}) WHERE region_code IN (SELECT unnest($codes))",
                        {"codes": codes, "year": year}).fetchall()
    return {r[0]: r[1:] for r in rows}


def population_figure(code: str, census: int | None, office: tuple[Any, ...] | None) -> dict[str, Any]:
    """The population to divide by, its source, and a note where there is none to trust: none
    known, or a figure from before a re-districting that changed the region (never divided by).

    >>> population_figure("330113", None, None)["population"] is None
    True
    """
    if office is not None:
        year, figure, source = office
        source, taken = f"{source} ({year})", dt.date(year, 12, 31)
    else:
        year, figure, source, taken = 2020, census, CENSUS_SOURCE, dt.date(2020, 11, 1)  # census day
    change = redistricting().get(code)
    note = None
    if figure is None:
        note = (message("note_no_population_redistricted", effective=change["effective"], detail=change["detail"],
                        source=change["source"]) if change else message("note_no_population"))
    elif change is not None and taken < dt.date.fromisoformat(change["effective"]):
        note = message("note_redistricted", effective=change["effective"], detail=change["detail"], year=year,
                       figure=f"{figure:,}", source=change["source"])
        figure = None
    if figure is None:
        return {"population": None, "population_source": None, "population_year": None, "population_note": note}
    return {"population": figure, "population_source": source, "population_year": year, "population_note": None}


def per_10k(count: int, population: int | None) -> float | None:
    """``count`` per 10,000 people, 4 decimals; None without a population to trust."""
    return round(count * 10_000 / population, 4) if population else None


def _population(conn: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    code = scope.region["code"]
    office = office_populations(conn, [code], scope.as_of.year).get(code)
    return population_figure(code, scope.region["population_2020"], office)


# --------------------------------------------------------------------------- figure groups


_HEAD = ("valid", "high_value", "undated_grant", "undated_lapse", "unknown_status", "granted", "refused", "invention",
         "valid_sei_from_main_ipc")
# head counts that are not facts of their own: the valid inventions whose industries came from the main IPC alone
_HEAD_SQL = {"valid_sei_from_main_ipc": "valid AND sei_basis = 'main_ipc'"}
_CRITERIA_HEAD = [f"{c}:{r}" for c in CRITERIA for r in ("met", "not_met", "not_judged")]
_FIGURES_SQL = """WITH f AS MATERIALIZED {facts}
SELECT (SELECT [{head}] FROM f), (SELECT [{criteria}] FROM f WHERE valid),
  (SELECT list({{'k': k, 't': t, 'y': y, 'n': n}}) FROM (
     SELECT 'applications' AS k, coalesce(patent_type, 'unknown') AS t, year(filing_date) AS y, count(*) AS n
     FROM f GROUP BY ALL UNION ALL
     SELECT 'grants', coalesce(patent_type, 'unknown'), year(grant_date), count(*)
     FROM f WHERE grant_date <= $as_of GROUP BY ALL)),
  (SELECT list({{'name': applicant, 'enterprise_key': applicant_key, 'patents': n, 'valid_inventions': v,
                 'high_value_inventions': h}} ORDER BY n DESC, v DESC, applicant, applicant_key) FROM (
     SELECT min(applicant) AS applicant, applicant_key, count(*) AS n, count_if(valid) AS v,
       count_if(high_value) AS h FROM f
     WHERE applicant IS NOT NULL GROUP BY applicant_key ORDER BY n DESC, v DESC, applicant, applicant_key
     LIMIT $limit)),
  (SELECT list({{'subclass': s.subclass, 'title_zh': i.title_zh, 'title_en': i.title_en, 'patents': s.n,
                 'valid_inventions': s.v}} ORDER BY s.n DESC, s.subclass) FROM (
     SELECT subclass, count(*) AS n, count_if(valid) AS v FROM f WHERE subclass IS NOT NULL
     GROUP BY 1 ORDER BY n DESC, subclass LIMIT $limit) s LEFT JOIN ipc i ON i.code = s.subclass)"""
# the first applicant as one enterprise, whatever the spelling (domain.placement: its key and name)
_ENTERPRISE_SQL = "coalesce((SELECT pl.enterprise_{k} FROM placements pl WHERE pl.application_number = " \
                  "p.application_number), {fallback})"
_NAME_KEY = "'name:' || p.applicant_names[1]"
_FIGURE_COLUMNS = ("p.patent_type, p.filing_date, p.grant_date, "
                   f"{_ENTERPRISE_SQL.format(k='name', fallback='p.applicant_names[1]')} AS applicant, "
                   f"{_ENTERPRISE_SQL.format(k='key', fallback=_NAME_KEY)} AS applicant_key, "
                   "left(p.ipc_main, 4) AS subclass, p.sei_basis")


def _figures(conn: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[dict[str, Any], ...]:
    """(headline counts, yearly series, top applicants, top IPC): one query, the facts computed once."""
    criteria = (f"coalesce(count_if({c} IS {r}), 0)" for c in CRITERIA for r in ("TRUE", "FALSE", "NULL"))
    sql = _FIGURES_SQL.format(facts=scope.facts(_FIGURE_COLUMNS), criteria=", ".join(criteria),
                              head=", ".join(f"coalesce(count_if({_HEAD_SQL.get(e, e)}), 0)" for e in _HEAD))
    head, by_criterion, series_rows, applicants, ipc = scope.rows(conn, sql, limit=int(scope.rules["top_n"]))[0]
    series = series_from_rows([(r["k"], r["t"], r["y"], r["n"]) for r in series_rows or []])
    counts = {**dict(zip(_HEAD, head, strict=True)), **dict(zip(_CRITERIA_HEAD, by_criterion, strict=True))}
    return counts, series, {"top_applicants": applicants or [],
                                                                 "top_ipc": ipc or []}


def _totals(by_type: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for years in by_type.values():
        for year, count in years.items():
            totals[year] = totals.get(year, 0) + count
    return dict(sorted(totals.items()))


def _change(current: int, previous: int) -> dict[str, Any]:
    rate = round((current - previous) / previous, 4) if previous else None
    return {"value": current, "previous": previous, "change": current - previous, "rate": rate}


def growth(series: dict[str, dict[str, dict[str, int]]], as_of: dt.date) -> dict[str, Any]:
    """Year-on-year change: the latest full calendar year up to ``as_of`` against the one before."""
    year = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
    this, last = str(year), str(year - 1)
    result: dict[str, Any] = {"year": year, "previous_year": year - 1}
    for kind in ("applications", "grants"):
        totals = _totals(series[kind])
        result[kind] = _change(totals.get(this, 0), totals.get(last, 0))
    result["by_type"] = {t: {kind: _change(series[kind].get(t, {}).get(this, 0), series[kind].get(t, {}).get(last, 0))
                             for kind in ("applications", "grants")} for t in TYPES}
    return result


def _high_value_section(head: dict[str, Any], hv: dict[str, Any]) -> dict[str, Any]:
    criteria = [{"id": spec["id"], "key": spec["key"], "zh": spec["zh"], "en": spec["en"],
                 **{r: head[f"{column}:{r}"] for r in ("met", "not_met", "not_judged")}}
                for spec, column in zip(hv["criteria"], CRITERIA, strict=True)]
    return {"union": head["high_value"], "valid_inventions": head["valid"], "criteria": criteria,
            "rule_set": {"name": hv["name"], "version": hv["version"], "source": rule_source(hv)},
            "note": message("hv_counted_once")}


def _grant_rate(head: dict[str, Any]) -> dict[str, Any]:
    decided = head["granted"] + head["refused"]
    return {"value": round(head["granted"] / decided, 4) if decided else None, "granted": head["granted"],
            "refused_or_withdrawn": head["refused"], "undecided": head["invention"] - decided,
            "definition": DEFINITIONS["grant_rate"]}


def _data_notes(head: dict[str, Any], scope: Scope) -> list[Message]:
    counted = [("undated_grant", "note_undated_grant"), ("undated_lapse", "note_undated_lapse"),
               ("unknown_status", "note_unknown_status"), ("c_sei:not_judged", "note_sei_not_judged"),
               ("valid_sei_from_main_ipc", "note_sei_from_main_ipc"),
               ("c_overseas:not_judged", "note_overseas_unknown")]
    notes = [message(msgid, n=head[column], data_date=scope.data_date) for column, msgid in counted if head[column]]
    notes += [message("note_no_pledge_or_award"), message("note_recent_applications")]
    if scope.as_of > scope.data_date:
        notes.append(message("note_after_data_date", data_date=scope.data_date))
    return notes


def region_indicators(conn: duckdb.DuckDBPyConnection, region_code: str, industry: str | None = None,
                      as_of: str | dt.date | None = None, *, summaries: bool = True) -> dict[str, Any]:
    """The indicators of a region (any level; ``100000`` = China) for an SEI industry, as of a date.

    >>> region_indicators(conn, "330100", as_of="2022-12-31")["valid_invention_per_10k"]  # doctest: +SKIP
    0.0327
    """
    scope = scope_for(conn, region_code, industry, as_of)
    if summaries and scope.reads_summaries():
        head, series, tops = summary_figures(conn, scope.region["level"], scope.region["code"],
                                             (scope.industry or {}).get("code"), int(scope.rules["top_n"]))
    else:
        head, series, tops = _figures(conn, scope)
    population = _population(conn, scope)
    return {
        "region_code": scope.region["code"], "region_name": scope.region["name"], "level": scope.region["level"],
        "parent_code": scope.region["parent_code"], "industry": scope.industry,
        "as_of": scope.as_of.isoformat(), "data_date": scope.data_date.isoformat(),
        "counting_rule": COUNTING_RULE, "definitions": DEFINITIONS, **population,
        "valid_invention_count": head["valid"],
        "valid_invention_per_10k": per_10k(head["valid"], population["population"]),
        "high_value_invention_count": head["high_value"],
        "valid_inventions_industries_from_main_ipc": head["valid_sei_from_main_ipc"],
        "high_value_invention_per_10k": per_10k(head["high_value"], population["population"]),
        "applications_by_year": _totals(series["applications"]), "grants_by_year": _totals(series["grants"]),
        "applications_by_type": series["applications"], "grants_by_type": series["grants"],
        "growth": growth(series, scope.as_of), "grant_rate": _grant_rate(head),
        **tops,
        "high_value": _high_value_section(head, scope.hv), "data_notes": _data_notes(head, scope),
        "rule_sets": {name: {"version": r["version"], "source": r["source"]}
                      for name, r in (("indicators", scope.rules), ("high_value", scope.hv))},
    }


# --------------------------------------------------------------------------- the map


def region_ancestors(conn: duckdb.DuckDBPyConnection, region: dict[str, Any]) -> list[dict[str, str]]:
    """China, then each parent down to the region's (for a breadcrumb); none above China itself."""
    chain, code = [], region["parent_code"]
    while code:
        rows = conn.execute("SELECT code, name, parent_code FROM regions WHERE code = ?", [code]).fetchall()
        if not rows:
            break
        chain.append({"code": rows[0][0], "name": rows[0][1]})
        code = rows[0][2]
    top = [] if region["code"] == COUNTRY["code"] else [{"code": COUNTRY["code"], "name": COUNTRY["name"]}]
    return top + chain[::-1]


_CHILDREN_SQL = ("SELECT r.code, r.name, r.level, r.population_2020, o.year, o.population, o.source FROM regions r "
                 f"LEFT JOIN ({_OFFICE_POPULATION_SQL}) o ON o.region_code = r.code WHERE {{where}} ORDER BY r.code")


def _children(conn: duckdb.DuckDBPyConnection, parent: dict[str, Any], year: int) -> list[tuple[Any, ...]]:
    """(code, name, level, census population, the office's latest figure up to ``year`` or None) of each
    child region: one query for the regions and their populations (as :func:`office_populations`)."""
    where = "r.level = 'province'" if parent["level"] == "country" else "r.parent_code = $parent"
    sql = _CHILDREN_SQL.format(where=where)
    rows = conn.execute(sql, named_params(sql, {"year": year, "parent": parent["code"]})).fetchall()
    return [(*row[:4], row[4:] if row[4] is not None else None) for row in rows]


# The patents that may be valid inventions (see high_value: an invention, granted — by its grant date, or seen in
# force by an import — or in force with an undated grant), in two parts split by their grant date: simple
# conditions DuckDB applies while it scans, where one OR would make it compute them for every patent.
_MAY_BE_VALID = ("p.patent_type = 'invention' AND p.grant_date IS NOT NULL",
                 "p.patent_type = 'invention' AND p.grant_date IS NULL AND (p.status = 'in_force'{seen})")
_PASSES_SQL = """
SELECT {child}, count(*), 0, 0, 0 FROM patents p WHERE {where} GROUP BY 1
UNION ALL
SELECT {child}, 0, count(*), 0, 0 FROM patents p WHERE {where} AND p.grant_date <= $as_of GROUP BY 1"""
_FACTS_PASS_SQL = "SELECT child, 0, 0, count_if(valid), count_if(high_value) FROM {facts} f GROUP BY 1"
_ONE_PASS_SQL = ("SELECT child, count(*), count_if(grant_date <= $as_of), count_if(valid), count_if(high_value) "
                 "FROM {facts} f GROUP BY 1")


def _map_counts_sql(scope: Scope, child: str) -> str:
    """The SQL of the map's counts, a row per child and pass. A small scope (a province, an industry)
    takes one pass that computes every patent's facts. All of China is most of a store: two passes
    count its patents and grants without computing anything per patent, and the facts are computed
    only for the patents that may be valid (a sixth of them in the benchmark store)."""
    if scope.region["level"] != "country" or scope.industry is not None:
        return _ONE_PASS_SQL.format(facts=facts_from(scope.rules, scope.hv, scope.where(),
                                                     f"{child} AS child, p.grant_date", scope.evidence, ("valid",)))
    seen = " OR ev.in_force_seen IS NOT NULL" if scope.evidence else ""
    facts = [facts_from(scope.rules, scope.hv, f"{scope.where()} AND {part.format(seen=seen)}", f"{child} AS child",
                        scope.evidence, ("valid",)) for part in _MAY_BE_VALID]
    return " UNION ALL ".join([_PASSES_SQL.format(child=child, where=scope.where()),
                               *(_FACTS_PASS_SQL.format(facts=f) for f in facts)])


def _map_counts(conn: duckdb.DuckDBPyConnection, scope: Scope, child_level: str) -> dict[Any, tuple[int, ...]]:
    """Child code → (applications, grants, valid, high-value), grouped by child in SQL."""
    counts: dict[Any, list[int]] = {}
    for code, *values in scope.rows(conn, _map_counts_sql(scope, _CHILD_COLUMN[child_level])):
        total = counts.setdefault(code, [0, 0, 0, 0])
        for i, value in enumerate(values):
            total[i] += value or 0  # count_if over a group without any grant date is NULL, not 0
    return {code: tuple(total) for code, total in counts.items()}


def map_data(conn: duckdb.DuckDBPyConnection, parent: str, indicator: str = "valid_invention_per_10k",
             industry: str | None = None, as_of: str | dt.date | None = None, *,
             summaries: bool = True) -> dict[str, Any]:
    """One indicator for each region one level below ``parent``, for a choropleth or a ranked bar chart.

    >>> len(map_data(conn, "330000")["regions"])  # doctest: +SKIP
    11
    """
    if indicator not in MAP_INDICATORS:
        raise UsageError(f"indicator {indicator!r} is not one the map shows: choose one of {', '.join(MAP_INDICATORS)}")
    scope = scope_for(conn, parent, industry, as_of)
    children = _children(conn, scope.region, scope.as_of.year)
    if not children:
        raise UsageError(f"{scope.region['name']} ({scope.region['code']}) has no sub-regions to map: "
                         "choose its parent instead")
    child_level = children[0][2]
    if summaries and scope.reads_summaries():
        counts = summary_map_counts(conn, scope.region["level"], scope.region["code"],
                                    (scope.industry or {}).get("code"), child_level)
    else:
        counts = _map_counts(conn, scope, child_level)
    regions = [_map_region(code, name, census, counts.pop(code, (0, 0, 0, 0)), office, indicator)
               for code, name, _level, census, office in children]
    rest = [sum(v[i] for v in counts.values()) for i in range(4)]
    return {
        "parent": {k: scope.region[k] for k in ("code", "name", "level")},
        "ancestors": region_ancestors(conn, scope.region), "child_level": child_level, "indicator": indicator,
        "industry": scope.industry, "as_of": scope.as_of.isoformat(), "counting_rule": COUNTING_RULE,
        "regions": regions,
        "unassigned": dict(zip(("applications", "grants", "valid_invention_count", "high_value_invention_count"),
                               rest, strict=True)),
        "has_boundaries": has_boundaries(scope.region["code"]),
    }


def has_boundaries(parent: str) -> bool:
    """Whether the product ships the boundaries of ``parent``'s children (``reference/data/geo``:
    China's provinces, Zhejiang's cities and counties; scripts/build_geo.py adds others).

    >>> has_boundaries("330000"), has_boundaries("110108")
    (True, False)
    """
    return re.fullmatch(r"\d{6}", parent) is not None and (
        files("patentatlas.reference") / "data" / "geo" / f"{parent}.json").is_file()


def _map_region(code: str, name: str, census: int | None, counts: tuple[int, ...], office: tuple[Any, ...] | None,
                indicator: str) -> dict[str, Any]:
    applications, grants, valid, high_value = counts
    population = population_figure(code, census, office)
    row = {"code": code, "name": name, "applications": applications, "grants": grants,
           "valid_invention_count": valid, "high_value_invention_count": high_value,
           "valid_invention_per_10k": per_10k(valid, population["population"]),
           "high_value_invention_per_10k": per_10k(high_value, population["population"]),
           "population": population["population"], "population_note": population["population_note"]}
    return {"code": code, "name": name, "value": row[indicator], **row}


# --------------------------------------------------------------------------- enterprises


def region_enterprises(conn: duckdb.DuckDBPyConnection, region_code: str, industry: str | None = None,
                       as_of: str | dt.date | None = None, limit: int = 100, offset: int = 0, *,
                       summaries: bool = True) -> dict[str, Any]:
    """The first applicants of a region, most patents first: patents, valid and high-value inventions, trend.

    >>> region_enterprises(conn, "110108")["enterprises"][0]["name"]  # doctest: +SKIP
    '中科创达软件股份有限公司'
    """
    if not 1 <= limit <= 1000 or offset < 0:
        raise UsageError("limit must be between 1 and 1000 and offset ≥ 0")
    scope = scope_for(conn, region_code, industry, as_of)
    if summaries and scope.reads_summaries():
        rows = summary_enterprises(conn, scope.region["level"], scope.region["code"],
                                   (scope.industry or {}).get("code"), limit, offset)
    else:
        rows = _enterprise_rows(conn, scope, limit, offset)
    keys = ("name", "patents", "inventions", "valid_inventions", "high_value_inventions")
    enterprises = [{**dict(zip(keys, r[:5], strict=True)), "enterprise_key": r[7],
                    "applications_by_year": {str(y): n for y, n in sorted(r[5].items())}} for r in rows]
    return {"region_code": scope.region["code"], "region_name": scope.region["name"], "industry": scope.industry,
            "as_of": scope.as_of.isoformat(), "counting_rule": COUNTING_RULE,
            "total": rows[0][6] if rows else 0, "limit": limit, "offset": offset, "enterprises": enterprises}


def _enterprise_rows(conn: duckdb.DuckDBPyConnection, scope: Scope, limit: int, offset: int) -> list[tuple[Any, ...]]:
    """:func:`region_enterprises`' rows computed from the patents."""
    sql = (f"SELECT min(applicant) AS name, count(*) AS patents, count_if(patent_type = 'invention'), "
           f"count_if(valid) AS valid_inventions, count_if(high_value), histogram(year(filing_date)), "
           f"count(*) OVER (), applicant_key FROM {scope.facts(_FIGURE_COLUMNS)} f WHERE applicant IS NOT NULL "
           "GROUP BY applicant_key ORDER BY patents DESC, valid_inventions DESC, name, applicant_key "
           "LIMIT $limit OFFSET $offset")
    return scope.rows(conn, sql, limit=limit, offset=offset)
