"""Enterprise creativity index (企业创造力指数, REFERENCE §6) of a region's enterprises, and its ranking.

Three inputs per enterprise, from the region's patents whose first applicant is an enterprise
(party kind ``enterprise``: universities, institutes and individuals are not ranked), one
enterprise however its name is spelled (the placement's enterprise key — credit code, directory
entry — else its normalised name):

- valid invention stock: valid inventions on the statistics date,
- high-value invention count: the valid ones meeting a CNIPA criterion,
- invention grants in the last three years: inventions granted within the window before it,

*valid* and *high-value* as :mod:`patentatlas.domain.high_value` defines them. Each input becomes a
sub-index, 100 × the enterprise's value ÷ the baseline (the mean over the region's ranked
enterprises on 31 December of the baseline year); the index is the weighted sum of the
sub-indices (weights from rule set ``creativity``, summing to 1).

>>> creativity_ranking(conn, "110108", top=3)["ranking"][0]["enterprise"]  # doctest: +SKIP
'中科创达软件股份有限公司'
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from patentatlas.domain.high_value import date_params, facts_from, named_params
from patentatlas.domain.indicators import Scope, scope_for
from patentatlas.domain.value import check_sums_to_one
from patentatlas.errors import UsageError
from patentatlas.i18n import Message, message
from patentatlas.rules import load_rule_set, rule_source

INPUTS = ("valid_invention_stock", "high_value_invention_count", "invention_grants_3y")
RULE_SET = "creativity"
# the first applicant is an enterprise, one enterprise whatever the spelling: the placement's key and name,
# else the normalised name; joined to the facts once (hash joins), not looked up per patent
_COUNTS_SQL = """SELECT coalesce(pl.enterprise_key, 'name:' || pa.normalized_name) AS enterprise_key,
  min(coalesce(pl.enterprise_name, f.first_applicant)) AS enterprise,
  coalesce(count_if(f.valid), 0) AS valid_invention_stock,
  coalesce(count_if(f.high_value), 0) AS high_value_invention_count,
  coalesce(count_if(f.grant_date > $window_start AND f.grant_date <= $as_of), 0) AS invention_grants_3y,
  coalesce(count_if(f.grant_date IS NULL AND f.valid), 0) AS undated_grants
FROM {facts} f
JOIN patent_parties pp ON pp.application_number = f.application_number AND pp.role = 'applicant' AND pp.seq = 1
JOIN parties pa ON pa.party_id = pp.party_id AND pa.kind = 'enterprise'
LEFT JOIN placements pl ON pl.application_number = f.application_number
GROUP BY 1"""


def creativity_rules(conn: duckdb.DuckDBPyConnection, weights: dict[str, float] | None = None,
                     baseline_year: int | None = None) -> dict[str, Any]:
    """The rule set in force, with the caller's weights or baseline year instead where given; weights checked."""
    rules = dict(load_rule_set(conn, RULE_SET))
    if weights is not None:
        rules["weights"], rules["weights_from"] = weights, message("ci_weights_from_request")
    unknown = set(rules["weights"]) ^ set(INPUTS)
    if unknown:
        raise UsageError(f"creativity weights must name exactly {', '.join(INPUTS)} "
                         f"(got {', '.join(rules['weights'])})")
    rules.setdefault("weights_from", message("ci_weights_from_rule_set", version=rules["version"]))
    check_sums_to_one(f"creativity weights ({rules['weights_from']})", rules["weights"])
    if baseline_year is not None:
        rules["baseline_year"] = baseline_year
    return rules


def parse_weights(text: str | None) -> dict[str, float] | None:
    """``"0.5,0.3,0.2"`` (in the order of :data:`INPUTS`) or ``"valid_invention_stock=0.5,..."`` → weights."""
    if text is None or not text.strip():
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        if all("=" in p for p in parts):
            return {k.strip(): float(v) for k, v in (p.split("=", 1) for p in parts)}
        if len(parts) == len(INPUTS):
            return dict(zip(INPUTS, (float(p) for p in parts), strict=True))
    except ValueError:
        pass
    raise UsageError(f"weights {text!r}: write three numbers summing to 1 in the order {', '.join(INPUTS)} "
                     "(e.g. 0.4,0.3,0.3) or name=value pairs")


def _counts(conn: duckdb.DuckDBPyConnection, scope: Scope, as_of: dt.date, window: int) -> list[dict[str, Any]]:
    """Each enterprise's three inputs on ``as_of`` (patents filed by then)."""
    where = f"{scope.where()} AND p.patent_type = 'invention'"  # the region's inventions filed by ``as_of``
    columns = "p.application_number, p.grant_date, p.applicant_names[1] AS first_applicant"
    facts = facts_from(scope.rules, scope.hv, where, columns, scope.evidence, ("valid",))
    sql = _COUNTS_SQL.format(facts=facts)
    params = {"region": scope.region["code"], "window_start": _years_before(as_of, window),
              **date_params(as_of, scope.data_date, scope.rules, scope.hv)}
    cursor = conn.execute(sql, named_params(sql, params))
    keys = [d[0] for d in cursor.description]
    return [dict(zip(keys, r, strict=True)) for r in cursor.fetchall()]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _baseline(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    ranked = [r for r in rows if any(r[k] for k in INPUTS)]
    return {k: (sum(r[k] for r in ranked) / len(ranked) if ranked and any(r[k] for r in ranked) else None)
            for k in INPUTS}


def creativity_ranking(conn: duckdb.DuckDBPyConnection, region_code: str, top: int | None = None,
                       as_of: str | dt.date | None = None, baseline_year: int | None = None,
                       weights: dict[str, float] | None = None) -> dict[str, Any]:
    """The region's enterprises ranked by creativity index (top ``top``, default the rule set's 100).

    >>> creativity_ranking(conn, "110000", top=1)["ranking"][0]["index"]  # doctest: +SKIP
    1234.5
    """
    rules = creativity_rules(conn, weights, baseline_year)
    top = int(rules["top_n"]) if top is None else top
    if not 1 <= top <= 1000:
        raise UsageError(f"top={top}: choose between 1 and 1000")
    scope = scope_for(conn, region_code, None, as_of)
    base_year = int(rules["baseline_year"] or scope.as_of.year - 1)
    base_date = dt.date(base_year, 12, 31)
    if base_date > scope.as_of:
        raise UsageError(f"baseline year {base_year} ends after the statistics date {scope.as_of}: choose an earlier "
                         "baseline year")
    window = int(rules["grant_window_years"])
    rows = _counts(conn, scope, scope.as_of, window)
    baseline = _baseline(_counts(conn, scope, base_date, window))
    ranking = _ranked(rows, baseline, rules["weights"], top)
    return {
        "region": {k: scope.region[k] for k in ("code", "name", "level", "parent_code")},
        "as_of": scope.as_of.isoformat(), "data_date": scope.data_date.isoformat(),
        "baseline": {"year": base_year, "date": base_date.isoformat(), "means": baseline,
                     "definition": message("ci_baseline_definition")},
        "weights": rules["weights"], "grant_window_years": window,
        "enterprises_ranked": sum(1 for r in rows if any(r[k] for k in INPUTS)),
        "ranking": ranking,
        "notes": _notes(rows, baseline),
        "rule_set": {"name": RULE_SET, "version": rules["version"], "source": rule_source(rules),
                     "weights_from": rules["weights_from"]},
        "rule_sets": {"indicators": scope.rules["version"], "high_value": scope.hv["version"]},
    }


def _ranked(rows: list[dict[str, Any]], baseline: dict[str, float | None], weights: dict[str, float],
            top: int) -> list[dict[str, Any]]:
    scored = []
    for r in rows:
        if not any(r[k] for k in INPUTS):
            continue
        subs = {k: (round(100.0 * r[k] / baseline[k], 2) if baseline[k] else None) for k in INPUTS}
        used = {k: float(w) for k, w in weights.items() if subs[k] is not None}
        total = sum(used.values())
        index = round(sum(w * (subs[k] or 0.0) for k, w in used.items()) / total, 2) if total else None
        scored.append({"enterprise": r["enterprise"], "enterprise_key": r["enterprise_key"],
                       **{k: r[k] for k in INPUTS}, "sub_indices": subs, "index": index})
    scored.sort(key=lambda e: (-(e["index"] or 0.0), -e["valid_invention_stock"], e["enterprise"] or ""))
    return [{"rank": i, **e} for i, e in enumerate(scored[:top], start=1)]


def _notes(rows: list[dict[str, Any]], baseline: dict[str, float | None]) -> list[Message]:
    notes = [message("ci_note_enterprises_only"), message("ci_note_grants_by_date")]
    undated = sum(r["undated_grants"] for r in rows)
    if undated:
        notes.append(message("ci_note_undated_grants", n=undated))
    notes += [message("ci_note_no_baseline", input=message(f"ci_input_{k}")) for k in INPUTS if baseline[k] is None]
    return notes


def ranking_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The ranking as the rows of a download (and of ``patentatlas creativity --json``)."""
    return [{"rank": e["rank"], "enterprise": e["enterprise"], **{k: e[k] for k in INPUTS}, "index": e["index"]}
            for e in data["ranking"]]
