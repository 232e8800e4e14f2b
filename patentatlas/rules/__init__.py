"""Rules offices change (thresholds, terms, weights), kept as versioned JSON data.

Each rule set ships here as ``NAME.json`` (with ``version``, ``source`` in English and ``source_zh``);
an office replaces it by inserting a newer version into the store's ``rule_sets`` table, which wins.
Pages show a rule set's source through :func:`rule_source`, in their language.

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
from patentatlas.i18n import Bilingual, bilingual


@functools.cache
def packaged_rule_set(name: str) -> dict[str, Any]:
    """The rule set shipped with the package, e.g. ``packaged_rule_set("indicators")``."""
    path = files("patentatlas.rules") / f"{name}.json"
    if not path.is_file():
        raise NotFoundError(f"no rule set named {name!r} ships with PatentAtlas")
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return body


def rule_source(rules: dict[str, Any]) -> Bilingual:
    """Where a rule set comes from, for a page in either language: ``source`` (English) and
    ``source_zh``; an office's rule set with only ``source`` shows that in both.

    >>> from patentatlas.i18n import translate
    >>> source = rule_source(packaged_rule_set("high_value"))
    >>> translate(source, "zh")[:10], str(source)[:5], translate(rule_source({"source": "杭州市局 2025 年口径"}), "en")
    ('国家知识产权局高价值', 'CNIPA', '杭州市局 2025 年口径')
    """
    return bilingual(rules.get("source_zh"), rules.get("source"))


def rule_text(value: str | dict[str, str]) -> Bilingual:
    """A name in a rule set (a tier, an award): ``{"zh": …, "en": …}``, or one text for both."""
    return bilingual(value.get("zh"), value.get("en")) if isinstance(value, dict) else bilingual(value, value)


def load_rule_set(conn: duckdb.DuckDBPyConnection | None, name: str, version: int | None = None) -> dict[str, Any]:
    """The newest version of a rule set: the store's ``rule_sets`` if it has one, else the packaged one.
    With ``version`` (what a stored result was computed by): that version, the store's or the
    packaged one, where either is it; else the newest."""
    rows = _stored(conn, name, version)
    if rows:
        found, source, text = rows[0]
        body = json.loads(text)
        if body.get("source", source) != source:  # a copied body's Chinese source is not this one's
            body.pop("source_zh", None)
        return {**body, "name": name, "version": found, "source": source}
    packaged = packaged_rule_set(name)
    if version is None or packaged["version"] == version:
        return packaged
    return load_rule_set(conn, name)


def _stored(conn: duckdb.DuckDBPyConnection | None, name: str, version: int | None) -> list[tuple[Any, ...]]:
    """The store's newest version of the rule set (or ``version``): (version, source, body) if it has it."""
    if conn is None:
        return []
    try:
        return conn.execute("SELECT version, source, body FROM rule_sets WHERE name = ? AND version = "
                            "coalesce(?, version) ORDER BY version DESC LIMIT 1", [name, version]).fetchall()
    except duckdb.CatalogException:  # a store from before the rule_sets migration
        return []


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
