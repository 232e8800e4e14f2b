"""Rules offices change (thresholds, terms, weights), kept as versioned JSON data.

Each rule set ships here as ``NAME.json`` (with ``version`` and ``source``); an office replaces
it by inserting a newer version into the store's ``rule_sets`` table, which wins.

>>> load_rule_set(None, "high_value")["version"]
1
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

import duckdb

from patentatlas.errors import NotFoundError


@functools.cache
def packaged_rule_set(name: str) -> dict[str, Any]:
    """The rule set shipped with the package, e.g. ``packaged_rule_set("indicators")``."""
    path = files("patentatlas.rules") / f"{name}.json"
    if not path.is_file():
        raise NotFoundError(f"no rule set named {name!r} ships with PatentAtlas")
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return body


def load_rule_set(conn: duckdb.DuckDBPyConnection | None, name: str) -> dict[str, Any]:
    """The newest version of a rule set: the store's ``rule_sets`` if it has one, else the packaged one."""
    if conn is not None:
        try:
            rows = conn.execute(
                "SELECT version, source, body FROM rule_sets WHERE name = ? ORDER BY version DESC LIMIT 1", [name]
            ).fetchall()
        except duckdb.CatalogException:  # a store from before the rule_sets migration
            rows = []
        if rows:
            version, source, body = rows[0]
            return {**json.loads(body), "name": name, "version": version, "source": source}
    return packaged_rule_set(name)


def counting_rules(indicators: dict[str, Any], annual_fees: dict[str, Any]) -> dict[str, Any]:
    """The indicators' rule set with the invention term of the annual-fee rules: the term is kept in
    one place (``annual_fees`` ``term_years``), where the fee calendar and the term-end warnings read
    it, and the valid-invention count follows an office's new term with them.

    >>> rules = counting_rules(packaged_rule_set("indicators"), packaged_rule_set("annual_fees"))
    >>> rules["invention_term_years"], rules["annual_fees_version"]
    (20, 1)
    """
    return {**indicators, "invention_term_years": int(annual_fees["term_years"]["invention"]),
            "annual_fees_version": int(annual_fees["version"])}


def load_counting_rules(conn: duckdb.DuckDBPyConnection | None) -> dict[str, Any]:
    """:func:`counting_rules` of the store's newest indicators and annual-fee rule sets."""
    return counting_rules(load_rule_set(conn, "indicators"), load_rule_set(conn, "annual_fees"))
