"""Valuation cases (issue 13 §2): a pledge valuation of one or more patents, saved with its history and
owned by the enterprise that made it or by the office.

Every save is a new version (none is overwritten) holding each input with who supplied it (user id,
role, name) and when, and what was computed from them on that day: the income approach with its
sensitivity table and liquidation value, the market and cost approaches where their inputs are
given, and each patent's legal / technical / economic indicator scores. An input an update does
not send keeps its value and its supplier; one sent empty is cleared.

Who may do what:

- an enterprise user: its own enterprise's cases, of patents in that enterprise's custody;
- an analyst: the office's cases (owned by no enterprise) whose patents all lie in her region;
- an admin: the office's cases, and any enterprise's (as for all of an enterprise's data).

Anyone else — another enterprise, an analyst of another region — is refused (ForbiddenError).

>>> create_case(conn, user, "质押贷款 2026", {"patents": ["CN201910140397.7"], ...})["case_id"]  # doctest: +SKIP
1
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

from patentatlas.beijing_time import BEIJING
from patentatlas.domain.accounts import User, may_see_region, require_enterprise, require_role
from patentatlas.domain.valuation import cost_approach, market_approach, number_list, value_case
from patentatlas.domain.value import stored_value
from patentatlas.errors import FieldError, ForbiddenError, NotFoundError, UsageError, about
from patentatlas.i18n import message
from patentatlas.normalize.appno import normalize_application_number
from patentatlas.normalize.names import split_list
from patentatlas.store import scalar, utc_now

INPUTS = ("patents", "valuation_date", "annual_income", "royalty_rate", "profit_split", "discount_rate",
          "economic_life_years", "liquidation_discount", "comparable_prices", "comparable_adjustments",
          "replacement_cost", "physical_depreciation", "functional_depreciation", "economic_depreciation")
NUMBER_LISTS = ("annual_income", "comparable_prices", "comparable_adjustments")
_PATENT_REGION = ("SELECT coalesce(first_applicant_region_code, first_applicant_county_code, "
                  "first_applicant_city_code, first_applicant_province_code) FROM patents WHERE application_number = ?")


def case_inputs(fields: dict[str, Any]) -> dict[str, Any]:
    """The valuation inputs among a request's fields — only those sent; an empty one clears the input.

    >>> case_inputs({"annual_income": "800000, 1000000", "discount_rate": " 0.12 ", "csrf": "x"})
    {'annual_income': [800000.0, 1000000.0], 'discount_rate': '0.12'}
    """
    out: dict[str, Any] = {}
    for name in INPUTS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "patents":
            value = split_list(value or [])
        elif name in NUMBER_LISTS:
            value = number_list(name, value)
        elif isinstance(value, str):
            value = value.strip()
        out[name] = value
    return out


def _supplier(user: User) -> dict[str, Any]:
    return {"user_id": user.user_id, "role": user.role, "name": user.display_name or user.email}


def _merge(previous: dict[str, Any], sent: dict[str, Any], user: User,
           at: dt.datetime) -> tuple[dict[str, Any], list[str]]:
    """The inputs after ``sent``: each changed one with its new supplier and time; the names changed."""
    merged, changed = dict(previous), []
    for name, value in sent.items():
        if value in ("", [], None):
            if merged.pop(name, None) is not None:
                changed.append(name)
        elif name not in merged or merged[name]["value"] != value:
            merged[name] = {"value": value, "supplied_by": _supplier(user), "supplied_at": at.isoformat()}
            changed.append(name)
    return merged, changed


def _valuation_date(inputs: dict[str, Any]) -> dt.date:
    entry = inputs.get("valuation_date")
    if not entry:
        return dt.datetime.now(BEIJING).date()  # the day in Beijing, whatever the server's zone
    try:
        return dt.date.fromisoformat(str(entry["value"]))
    except ValueError:
        raise UsageError(about("valuation_date", message("err_not_iso_date", value=repr(entry["value"])))) from None


def indicator_scores(conn: duckdb.DuckDBPyConnection, number: str) -> dict[str, Any]:
    """A patent's stored value score with its legal, technical and economic sub-scores (domain.value)."""
    stored = stored_value(conn, number)
    if stored is None:
        return {"application_number": number, "score": None, "legal": None, "technical": None, "economic": None,
                "missing": [], "note": "not scored yet: run patentatlas refresh-values"}
    return {k: stored[k] for k in ("application_number", "score", "legal", "technical", "economic", "missing",
                                   "as_of", "rule_set")}


def evaluate(conn: duckdb.DuckDBPyConnection, inputs: dict[str, Any]) -> dict[str, Any]:
    """Every approach over the inputs (each ``{value, supplied_by, supplied_at}``), as of the valuation date."""
    values = {name: entry["value"] for name, entry in inputs.items()}
    result = value_case(conn, values, _valuation_date(inputs))
    del result["inputs"]  # kept once, beside the result, with who supplied each
    result["market_approach"] = market_approach(values)
    result["cost_approach"] = cost_approach(values)
    result["indicators"] = [indicator_scores(conn, p["application_number"]) for p in result["patents"]]
    return result


def _patent_numbers(inputs: dict[str, Any]) -> list[str]:
    out = []
    for raw in (inputs.get("patents") or {}).get("value") or []:
        try:
            out.append(normalize_application_number(str(raw), "patents").number)
        except FieldError as exc:
            raise UsageError(about("patents", exc.message)) from None
    if not out:
        raise UsageError(message("err_valuation_needs_patent"), field="patents")
    return out


def check_patents(conn: duckdb.DuckDBPyConnection, user: User, enterprise_id: int | None,
                  numbers: list[str]) -> None:
    """An enterprise's case values only patents in its custody; an analyst's, only patents of her region."""
    for number in numbers:
        if enterprise_id is not None:
            if not scalar(conn, "SELECT count(*) FROM custody WHERE enterprise_id = ? AND application_number = ?",
                          [enterprise_id, number]):
                name = scalar(conn, "SELECT name FROM enterprises WHERE enterprise_id = ?", [enterprise_id])
                raise UsageError(about("patents", message("err_value_own_custody", number=number,
                                                          owner=name or enterprise_id)))
        elif user.role == "analyst":
            rows = conn.execute(_PATENT_REGION, [number]).fetchall()
            if not rows:
                raise NotFoundError(about("patents", message("err_patent_not_in_store", number=number)))
            region = rows[0][0]
            if not region or not may_see_region(conn, user, region):
                raise ForbiddenError(about("patents", message("err_patent_outside_region", number=number,
                                                              region=region or message("err_no_region"),
                                                              own=user.region_code)))


def _with_patents(inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs with the patents' numbers written the one canonical way."""
    numbers = _patent_numbers(inputs)
    return inputs | {"patents": {**inputs["patents"], "value": numbers}}


def _insert_version(conn: duckdb.DuckDBPyConnection, case_id: int, version: int, inputs: dict[str, Any],
                    result: dict[str, Any], user: User, at: dt.datetime) -> None:
    conn.execute("INSERT INTO valuation_versions (case_id, version, inputs, result, saved_by, saved_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", [case_id, version, json.dumps(inputs, ensure_ascii=False),
                                               json.dumps(result, ensure_ascii=False), user.user_id, at])


def create_case(conn: duckdb.DuckDBPyConnection, user: User, title: str, sent: dict[str, Any],
                now: dt.datetime | None = None) -> dict[str, Any]:
    """A new case, version 1: an enterprise user's belongs to her enterprise, an admin's or analyst's to the office."""
    require_role(user, "admin", "analyst", "enterprise")
    if not title.strip():
        raise UsageError(message("err_valuation_title", example="质押贷款 2026"), field="title")
    enterprise_id = user.enterprise_id if user.role == "enterprise" else None
    if user.role == "enterprise" and enterprise_id is None:
        raise ForbiddenError(message("err_no_enterprise_account"))
    at = now or utc_now()
    inputs = _with_patents(_merge({}, sent, user, at)[0])
    check_patents(conn, user, enterprise_id, inputs["patents"]["value"])
    result = evaluate(conn, inputs)
    case_id = int(conn.execute("INSERT INTO valuation_cases (enterprise_id, title, created_by, created_at) "
                               "VALUES (?, ?, ?, ?) RETURNING case_id",
                               [enterprise_id, title.strip(), user.user_id, at]).fetchall()[0][0])
    _insert_version(conn, case_id, 1, inputs, result, user, at)
    return get_case(conn, user, case_id)


def update_case(conn: duckdb.DuckDBPyConnection, user: User, case_id: int, sent: dict[str, Any],
                now: dt.datetime | None = None) -> dict[str, Any]:
    """A new version of the case with the inputs sent changed (who sent them, when); the others kept."""
    current = get_case(conn, user, case_id)  # refuses anyone not allowed, before anything is read
    at = now or utc_now()
    merged, changed = _merge(current["inputs"], sent, user, at)
    if not changed:
        raise UsageError(message("err_nothing_changed", inputs=", ".join(INPUTS)))
    inputs = _with_patents(merged)
    check_patents(conn, user, current["owner"]["enterprise_id"], inputs["patents"]["value"])
    result = evaluate(conn, inputs)
    _insert_version(conn, case_id, current["latest_version"] + 1, inputs, result, user, at)
    return get_case(conn, user, case_id)


def _who(conn: duckdb.DuckDBPyConnection, user_id: int | None) -> dict[str, Any]:
    rows = conn.execute("SELECT role, coalesce(display_name, email) FROM users WHERE user_id = ?",
                        [user_id]).fetchall()
    return {"user_id": user_id, "role": rows[0][0] if rows else None, "name": rows[0][1] if rows else None}


def require_case(conn: duckdb.DuckDBPyConnection, user: User, enterprise_id: int | None,
                 patents: list[str]) -> None:
    """An enterprise's case: its users and admins; the office's: admins, and analysts of its patents' region."""
    if enterprise_id is not None:
        require_enterprise(user, enterprise_id)
        return
    require_role(user, "admin", "analyst")
    check_patents(conn, user, None, patents)


def _versions(conn: duckdb.DuckDBPyConnection, case_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT version, inputs, result, saved_by, saved_at FROM valuation_versions "
                        "WHERE case_id = ? ORDER BY version", [case_id]).fetchall()
    return [{"version": v, "inputs": json.loads(i), "result": json.loads(r), "saved_by": by, "saved_at": at}
            for v, i, r, by, at in rows]


def _history(conn: duckdb.DuckDBPyConnection, versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before: dict[str, Any] = {}
    for v in versions:
        changed = sorted(n for n in set(before) | set(v["inputs"]) if before.get(n) != v["inputs"].get(n))
        result = v["result"]
        out.append({"version": v["version"], "saved_by": _who(conn, v["saved_by"]), "saved_at": v["saved_at"],
                    "changed": changed, "income_value": result["income_approach"]["value"],
                    "liquidation_value": result["liquidation_value"],
                    "market_value": (result.get("market_approach") or {}).get("value"),
                    "cost_value": (result.get("cost_approach") or {}).get("value")})
        before = v["inputs"]
    return out


def get_case(conn: duckdb.DuckDBPyConnection, user: User, case_id: int, version: int | None = None) -> dict[str, Any]:
    """A case as saved at ``version`` (default the latest), with every version's history."""
    rows = conn.execute("SELECT c.enterprise_id, c.title, c.created_by, c.created_at, e.name FROM valuation_cases c "
                        "LEFT JOIN enterprises e USING (enterprise_id) WHERE c.case_id = ?", [case_id]).fetchall()
    if not rows:
        raise NotFoundError(message("err_no_valuation_case", case_id=case_id))
    enterprise_id, title, created_by, created_at, enterprise_name = rows[0]
    versions = _versions(conn, case_id)
    require_case(conn, user, enterprise_id, versions[-1]["inputs"]["patents"]["value"])
    chosen = versions[-1] if version is None else next((v for v in versions if v["version"] == version), None)
    if chosen is None:
        raise NotFoundError(about("version", message("err_no_case_version", case_id=case_id, n=len(versions),
                                                           version=version)))
    owner = ({"kind": "enterprise", "enterprise_id": enterprise_id, "name": enterprise_name}
             if enterprise_id is not None else {"kind": "office", "enterprise_id": None, "name": None})
    return {"case_id": case_id, "title": title, "owner": owner, "created_by": _who(conn, created_by),
            "created_at": created_at, "version": chosen["version"], "latest_version": versions[-1]["version"],
            "saved_by": _who(conn, chosen["saved_by"]), "saved_at": chosen["saved_at"],
            "inputs": chosen["inputs"], "result": chosen["result"],
            "figures": figures(chosen["result"], chosen["inputs"]),
            "history": _history(conn, versions)}


def list_cases(conn: duckdb.DuckDBPyConnection, user: User, enterprise_id: int | None = None) -> list[dict[str, Any]]:
    """An enterprise's cases (its users, admins), or without ``enterprise_id`` the office's that ``user`` may see."""
    if enterprise_id is not None:
        require_enterprise(user, enterprise_id)
    else:
        require_role(user, "admin", "analyst")
    rows = conn.execute(
        "SELECT c.case_id, c.title, v.version, v.inputs, v.result, v.saved_by, v.saved_at FROM valuation_cases c "
        "JOIN valuation_versions v USING (case_id) WHERE c.enterprise_id IS NOT DISTINCT FROM ? "
        "QUALIFY v.version = max(v.version) OVER (PARTITION BY c.case_id) ORDER BY c.case_id DESC",
        [enterprise_id]).fetchall()
    out = []
    for case_id, title, version, inputs, result, saved_by, saved_at in rows:
        patents, result = json.loads(inputs)["patents"]["value"], json.loads(result)
        if enterprise_id is None and user.role == "analyst" and not _in_region(conn, user, patents):
            continue
        out.append({"case_id": case_id, "title": title, "version": version, "patents": patents,
                    "income_value": result["income_approach"]["value"],
                    "liquidation_value": result["liquidation_value"], "valuation_date": result["valuation_date"],
                    "saved_by": _who(conn, saved_by), "saved_at": saved_at})
    return out


def _in_region(conn: duckdb.DuckDBPyConnection, user: User, patents: list[str]) -> bool:
    try:
        check_patents(conn, user, None, patents)
    except (ForbiddenError, NotFoundError):
        return False
    return True


def figures(result: dict[str, Any], inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """Each figure of the report with the inputs it was computed from, each with who supplied it."""
    share = "royalty_rate" if "royalty_rate" in result["income_approach"] else "profit_split"
    used = {"income_approach": ["annual_income", share, "discount_rate", "economic_life_years", "valuation_date",
                                "patents"],
            "liquidation_value": ["liquidation_discount"],
            "market_approach": ["comparable_prices", "comparable_adjustments"],
            "cost_approach": ["replacement_cost", "physical_depreciation", "functional_depreciation",
                              "economic_depreciation"]}
    out = []
    for figure, names in used.items():
        part = result.get(figure)
        if part is None:
            continue
        value = part if isinstance(part, int | float) else part["value"]
        out.append({"figure": figure, "value": value,
                    "formula": part.get("formula") if isinstance(part, dict) else
                    "income_approach × (1 − liquidation_discount)",
                    "inputs": [{"name": n, **inputs[n]} for n in names if n in inputs]})
    return out
