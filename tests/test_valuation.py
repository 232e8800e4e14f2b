"""Pledge valuation (issue 13 §2): the income approach worked by hand on a real in-force patent, the
sensitivity table, the liquidation value, and bad input refused naming the input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from patentatlas.domain.valuation import cost_approach, market_approach, value_case
from patentatlas.errors import UsageError

# 智能机姿态测定及虚拟现实漫游方法: invention filed 2014-04-23, in force; term ends 2034-04-23
PATENT = "CN201410163542.0"
ON = dt.date(2024, 4, 23)  # 10 years (3,653 days / 365.25 = 10.0) of term left


def case(**change: object) -> dict:
    return {"patents": [PATENT], "annual_income": [1_000_000, 1_200_000], "royalty_rate": 0.05,
            "discount_rate": 0.10, "economic_life_years": 3, "liquidation_discount": 0.3,
            "supplied_by": "某银行客户经理"} | change


def test_income_approach_by_hand(loaded: duckdb.DuckDBPyConnection) -> None:
    result = value_case(loaded, case(), ON)
    # incomes 1,000,000, 1,200,000, then held flat at 1,200,000; royalty 5 %: 50,000, 60,000, 60,000
    # 50,000 / 1.1 = 45,454.55; 60,000 / 1.21 = 49,586.78; 60,000 / 1.331 = 45,078.89; sum 140,120.21
    assert result["income_approach"]["value"] == 140_120.21
    assert result["income_approach"]["incomes"] == [1_000_000, 1_200_000, 1_200_000]
    # liquidation: 140,120.21 × (1 − 0.3) = 98,084.15
    assert result["liquidation_value"] == 98_084.15
    assert result["patents"][0]["remaining_years"] == 10.0
    row = next(r for r in result["sensitivity"] if r["discount_rate"] == 0.1)
    assert row["3"] == 140_120.21
    # one year at 10 %: 50,000 / 1.1 = 45,454.55; rates 8 % … 12 %, lives 1 … 5
    assert row["1"] == 45_454.55
    assert [r["discount_rate"] for r in result["sensitivity"]] == [0.08, 0.09, 0.1, 0.11, 0.12]
    assert result["inputs"]["royalty_rate"] == {"value": 0.05, "supplied_by": "某银行客户经理"}


@pytest.mark.parametrize(("change", "message"), [
    ({"discount_rate": -0.01}, "discount_rate: -0.01 is negative"),
    ({"economic_life_years": 11}, "economic_life_years: 11 years is beyond the shortest remaining legal term (10.0"),
    ({"annual_income": []}, "annual_income: the revenue figures attributable to the patents are missing"),
    ({"patents": ["CN201410431586.7"]}, "patents: CN201410431586.7 is lapsed, not in force"),
])
def test_bad_input_is_refused_naming_it(loaded: duckdb.DuckDBPyConnection, change: dict, message: str) -> None:
    with pytest.raises(UsageError) as refused:
        value_case(loaded, case(**change), ON)
    assert message in refused.value.message


def test_market_and_cost_approaches_by_hand() -> None:
    # 1,500,000 × 0.9 = 1,350,000; 1,200,000 × 1.1 = 1,320,000; 2,000,000 × 0.8 = 1,600,000; mean 1,423,333.33
    market = market_approach({"comparable_prices": "1500000, 1200000；2000000",
                              "comparable_adjustments": [0.9, 1.1, 0.8]})
    assert market is not None
    assert [c["adjusted"] for c in market["comparables"]] == [1_350_000, 1_320_000, 1_600_000]
    assert market["value"] == 1_423_333.33
    # 900,000 − 100,000 − 150,000 − 50,000 = 600,000
    cost = cost_approach({"replacement_cost": "900000", "physical_depreciation": 100_000,
                          "functional_depreciation": "150000", "economic_depreciation": 50_000})
    assert cost is not None and cost["value"] == 600_000
    assert market_approach({}) is None and cost_approach({"replacement_cost": ""}) is None


@pytest.mark.parametrize(("approach", "inputs", "message"), [
    (market_approach, {"comparable_prices": [100, 200], "comparable_adjustments": [1]},
     "comparable_adjustments: 1 factors for 2 comparable_prices"),
    (market_approach, {"comparable_adjustments": [1]}, "comparable_prices: required with comparable_adjustments"),
    (market_approach, {"comparable_prices": [-1], "comparable_adjustments": [1]}, "comparable_prices: -1 is negative"),
    (market_approach, {"comparable_prices": [1], "comparable_adjustments": [0]},
     "comparable_adjustments: 0 must be above 0"),
    (market_approach, {"comparable_prices": "1,000,000 万", "comparable_adjustments": [1]},
     "comparable_prices: '万' is not a number"),
    (cost_approach, {"functional_depreciation": 5}, "replacement_cost: required"),
    (cost_approach, {"replacement_cost": 100, "physical_depreciation": 60, "economic_depreciation": 50},
     "physical_depreciation, functional_depreciation, economic_depreciation: together 110.00 exceed the "
     "replacement_cost 100.00"),
])
def test_market_and_cost_bad_input(approach: Any, inputs: dict, message: str) -> None:
    with pytest.raises(UsageError) as refused:
        approach(inputs)
    assert message in refused.value.message
