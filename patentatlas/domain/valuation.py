"""Pledge valuation (REFERENCE §9, GB/T 42748-2023): the income approach over a case's patents, with a
sensitivity table and the liquidation value, every figure with its input and who supplied it.

Income approach (royalty relief or profit split): the income attributable to the patents each year ×
the royalty rate (or the profit-split share), discounted at the discount rate over the economic life —
never beyond the shortest remaining legal term of the case's patents. Market approach (where comparable
transactions are given): the mean of each comparable's price × its adjustment factor. Cost approach
(where a replacement cost is given): the replacement cost less physical, functional and economic
depreciation. Bad input is refused naming it.

>>> income_value([1_000_000] * 3, 0.05, 0.10)  # doctest: +SKIP
124342.6
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import duckdb

from patentatlas.domain.fees import term_years
from patentatlas.errors import NotFoundError, UsageError, about
from patentatlas.i18n import message
from patentatlas.normalize.appno import normalize_application_number


def income_value(incomes: list[float], share: float, discount_rate: float) -> float:
    """Σ income_t × share ÷ (1 + r)^t for t = 1 … len(incomes), to the yuan cent."""
    return round(sum(i * share / (1 + discount_rate) ** t for t, i in enumerate(incomes, start=1)), 2)


def _number(inputs: dict[str, Any], name: str, low: float | None = 0.0, high: float | None = None) -> float:
    value = inputs.get(name)
    if value is None or value == "":
        raise UsageError(about(name, message("err_is_required")))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(about(name, message("err_not_a_number", value=repr(value)))) from None
    if low is not None and number < low:
        raise UsageError(about(name, message("err_below_least", value=f"{number:g}", low=f"{low:g}")))
    if high is not None and number > high:
        raise UsageError(about(name, message("err_above_most", value=f"{number:g}", high=f"{high:g}")))
    return number


def remaining_terms(conn: duckdb.DuckDBPyConnection, numbers: list[str], on: dt.date) -> list[dict[str, Any]]:
    """Each patent's status and remaining legal term in years on ``on``; a lapsed or unknown patent is refused."""
    if not numbers:
        raise UsageError(message("err_valuation_needs_patent"), field="patents")
    out = []
    for raw in numbers:
        number = normalize_application_number(str(raw)).number
        rows = conn.execute("SELECT patent_type, filing_date, status, title_zh FROM patents "
                            "WHERE application_number = ?",
                            [number]).fetchall()
        if not rows:
            raise NotFoundError(about("patents", message("err_patent_not_in_store", number=number)))
        patent_type, filing, status, title = rows[0]
        if status != "in_force":
            said = {"lapsed": "err_not_pledgeable_lapsed", "pending": "err_not_pledgeable_pending"}
            raise UsageError(about("patents", message(said.get(status or "", "err_not_pledgeable_other"), number=number,
                                                      status=status or message("err_unknown_status"))))
        end = filing.replace(year=filing.year + term_years(patent_type, filing))
        out.append({"application_number": number, "title": title, "term_ends": end.isoformat(),
                    "remaining_years": round((end - on).days / 365.25, 2)})
    return out


def value_case(conn: duckdb.DuckDBPyConnection, inputs: dict[str, Any], on: dt.date | None = None) -> dict[str, Any]:
    """The income-approach value, its sensitivity table and the liquidation value of a case's inputs."""
    on = on or dt.date.today()
    incomes = inputs.get("annual_income")
    if not incomes or not isinstance(incomes, list):
        raise UsageError(message("err_income_missing"), field="annual_income")
    patents = remaining_terms(conn, list(inputs.get("patents") or []), on)
    term = min(p["remaining_years"] for p in patents)
    rate = _number(inputs, "discount_rate", 0.0, 1.0)
    life = int(_number(inputs, "economic_life_years", 1.0))
    if life > term:
        raise UsageError(about("economic_life_years", message(
            "err_life_beyond_term", life=life, term=term,
            number=min(patents, key=lambda p: p["remaining_years"])["application_number"])))
    if inputs.get("royalty_rate") not in (None, "") and inputs.get("profit_split") not in (None, ""):
        raise UsageError(message("err_rate_or_split"), field="royalty_rate")
    share_name = "royalty_rate" if inputs.get("royalty_rate") not in (None, "") else "profit_split"
    share = _number(inputs, share_name, 0.0, 1.0)
    liquidation = _number(inputs, "liquidation_discount", 0.0, 1.0) if inputs.get("liquidation_discount") else 0.0
    yearly = [_income(incomes, t) for t in range(life)]
    value = income_value(yearly, share, rate)
    rates = sorted({max(round(rate + d, 4), 0.0) for d in (-0.02, -0.01, 0.0, 0.01, 0.02)})
    lives = [n for n in range(max(1, life - 2), life + 3) if n <= term]
    return {
        "patents": patents, "valuation_date": on.isoformat(),
        "income_approach": {"value": value, "discount_rate": rate, "economic_life_years": life,
                            share_name: share, "incomes": yearly,
                            "formula": f"Σ income_t × {share_name} ÷ (1 + discount_rate)^t, t = 1…{life}"},
        "liquidation_value": round(value * (1 - liquidation), 2), "liquidation_discount": liquidation,
        "sensitivity": [{"discount_rate": r, **{str(n): income_value([_income(incomes, t) for t in range(n)], share, r)
                                                for n in lives}} for r in rates],
        "inputs": {k: {"value": v, "supplied_by": inputs.get("supplied_by", "the user")} for k, v in inputs.items()
                   if k != "supplied_by"},
    }


def _income(incomes: list[Any], t: int) -> float:
    """Year t's income: the figure given for it, else the last one given (held flat)."""
    value = incomes[t] if t < len(incomes) else incomes[-1]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(about("annual_income", message("err_not_a_number", value=repr(value)))) from None
    if number < 0:
        raise UsageError(about("annual_income", message("err_is_negative", value=f"{number:g}")))
    return number


_NUMBER_SEPARATORS = re.compile(r"[\s,;，；、]+")
DEPRECIATIONS = ("physical_depreciation", "functional_depreciation", "economic_depreciation")


def number_list(name: str, value: Any) -> list[float]:
    """A list of numbers, sent as a list or as text separated by commas, semicolons, spaces or lines
    (no thousands separators: ``1,000`` is two numbers), repeats kept.

    >>> number_list("annual_income", "800000, 1000000；1000000")
    [800000.0, 1000000.0, 1000000.0]
    """
    items = value if isinstance(value, list) else _NUMBER_SEPARATORS.split(str(value or ""))
    out = []
    for item in items:
        if str(item).strip() == "":
            continue
        try:
            out.append(float(item))
        except (TypeError, ValueError):
            raise UsageError(about(name, message("err_not_a_number", value=repr(item)))) from None
    return out


def market_approach(inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The mean of each comparable transaction's price × its adjustment factor; None without comparables.

    >>> market_approach({"comparable_prices": [1_500_000, 1_200_000], "comparable_adjustments": [0.9, 1.1]})["value"]
    1335000.0
    """
    prices = number_list("comparable_prices", inputs.get("comparable_prices"))
    factors = number_list("comparable_adjustments", inputs.get("comparable_adjustments"))
    if not prices and not factors:
        return None
    if not prices:
        raise UsageError(message("err_prices_required"), field="comparable_prices")
    if len(prices) != len(factors):
        raise UsageError(about("comparable_adjustments", message("err_factor_count", factors=len(factors),
                                                                 prices=len(prices))))
    for price in prices:
        if price < 0:
            raise UsageError(about("comparable_prices", message("err_is_negative", value=f"{price:g}")))
    for factor in factors:
        if factor <= 0:
            raise UsageError(about("comparable_adjustments", message("err_above_zero", value=f"{factor:g}")))
    rows = [{"price": p, "adjustment": f, "adjusted": round(p * f, 2)} for p, f in zip(prices, factors, strict=True)]
    return {"value": round(sum(r["adjusted"] for r in rows) / len(rows), 2), "comparables": rows,
            "formula": f"mean of price_i × adjustment_i, i = 1…{len(rows)}"}


def cost_approach(inputs: dict[str, Any]) -> dict[str, Any] | None:
    """Replacement cost less physical, functional and economic depreciation (yuan); None without a cost.

    >>> cost_approach({"replacement_cost": 900_000, "functional_depreciation": 150_000})["value"]
    750000.0
    """
    given = [n for n in ("replacement_cost", *DEPRECIATIONS) if inputs.get(n) not in (None, "")]
    if not given:
        return None
    cost = _number(inputs, "replacement_cost")
    less = {n: _number(inputs, n) if inputs.get(n) not in (None, "") else 0.0 for n in DEPRECIATIONS}
    if sum(less.values()) > cost:
        raise UsageError(message("err_depreciation_exceeds", total=f"{sum(less.values()):,.2f}", cost=f"{cost:,.2f}"),
                         field=DEPRECIATIONS[0])
    return {"value": round(cost - sum(less.values()), 2), "replacement_cost": cost, **less,
            "formula": "replacement_cost − physical_depreciation − functional_depreciation − economic_depreciation"}
