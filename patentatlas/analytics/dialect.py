"""The few SQL spellings in which DuckDB and Spark SQL differ, one method each.

Everything else in the shared queries is SQL both engines accept as written (``count_if``,
``FILTER (WHERE …)``, ``contains``, ``split_part``, ``least``/``greatest`` skipping NULLs,
``CAST(NULL AS DATE)``, ``IS TRUE``, window functions). Spark runs in ANSI mode (its default
since 4.0): an array index out of range is an error there, hence :meth:`Dialect.first`.

>>> DUCKDB.first("p.applicant_names"), SPARK.first("p.applicant_names")
('p.applicant_names[1]', 'try_element_at(p.applicant_names, 1)')
>>> SPARK.bind("SELECT $as_of, '$x'", {"as_of": 1})[0]
"SELECT :as_of, '$x'"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PARAM = re.compile(r"'(?:[^']|'')*'|\$(\w+)")  # a $name outside quoted text


@dataclass(frozen=True)
class Dialect:
    """DuckDB's spellings; :class:`SparkDialect` overrides them."""

    name: str = "duckdb"

    def length(self, array: str) -> str:
        """The number of elements of a list (NULL for a NULL list)."""
        return f"len({array})"

    def first(self, array: str) -> str:
        """The first element of a list, NULL when it is empty."""
        return f"{array}[1]"

    def matches(self, text: str, pattern: str) -> str:
        """Whether ``text`` contains a match of the regular expression ``pattern`` (an SQL literal)."""
        return f"regexp_matches({text}, {pattern})"

    def min_of(self, array: str, var: str, keep: str, value: str) -> str:
        """The least ``value`` over the elements ``var`` of ``array`` for which ``keep`` holds."""
        return f"list_min(list_transform(list_filter({array}, lambda {var}: {keep}), lambda {var}: {value}))"

    def add_years(self, date: str, years: str) -> str:
        """``date`` plus ``years`` calendar years (29 February to 28 February); cast it to DATE."""
        return f"{date} + to_years({years})"

    def starts_with(self, text: str, prefix: str) -> str:
        return f"starts_with({text}, {prefix})"

    def explode(self, array: str) -> str:
        """One row per element of ``array`` (in a SELECT list)."""
        return f"unnest({array})"

    def all_but(self, columns: str) -> str:
        """``*`` without ``columns`` where the engine can leave them out (extra columns do no harm)."""
        return f"* EXCLUDE ({columns})"

    def bind(self, sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The query and the parameters it uses (``$name`` markers)."""
        used = {m.group(1) for m in _PARAM.finditer(sql) if m.group(1)}
        return sql, {k: v for k, v in params.items() if k in used}


@dataclass(frozen=True)
class SparkDialect(Dialect):
    name: str = "spark"

    def length(self, array: str) -> str:
        return f"size({array})"

    def first(self, array: str) -> str:
        return f"try_element_at({array}, 1)"

    def matches(self, text: str, pattern: str) -> str:
        return f"({text} RLIKE {pattern})"

    def min_of(self, array: str, var: str, keep: str, value: str) -> str:
        return f"array_min(transform(filter({array}, {var} -> {keep}), {var} -> {value}))"

    def add_years(self, date: str, years: str) -> str:
        return f"add_months({date}, 12 * ({years}))"

    def starts_with(self, text: str, prefix: str) -> str:
        return f"startswith({text}, {prefix})"

    def explode(self, array: str) -> str:
        return f"explode({array})"

    def all_but(self, columns: str) -> str:
        return "*"

    def bind(self, sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Spark's named markers are ``:name``."""
        used: set[str] = set()

        def marker(m: re.Match[str]) -> str:
            if m.group(1) is None:
                return m.group(0)
            used.add(m.group(1))
            return ":" + m.group(1)

        return _PARAM.sub(marker, sql), {k: v for k, v in params.items() if k in used}


DUCKDB = Dialect()
SPARK = SparkDialect()
