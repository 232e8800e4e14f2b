"""Enterprise tiers (Shaoxing model, REFERENCE §7): head, pre-IPO, growth, start-up, from revenue,
IP holdings, IP-management capability and R&D spending, by the versioned rule set ``tiers``.

Each tier owns a revenue band; the bands must tile [0, ∞) with neither gap nor overlap (a rule set
that does not is refused, naming the tier). An enterprise starts in the band of its revenue and
falls one tier at a time while it misses a requirement of its tier (valid inventions, R&D spending,
IP-management points, listing stage); the tier that decided and every reason on the way are kept.

Profiles come from the office's CSV (:func:`import_profiles`) and from registered enterprises;
IP holdings are the enterprise's valid inventions on the data date (one enterprise whatever the
spelling, as the creativity index counts them).

>>> tier_of({"revenue": 300_000_000, "valid_inventions": 6, "rd_spending": 6_000_000,
...          "ip_staff": 1, "ip_certified": False, "listing_stage": "preparing"}, rules)["tier"]  # doctest: +SKIP
'pre_ipo'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.domain.creativity import _counts
from patentatlas.domain.indicators import scope_for
from patentatlas.errors import InputFileError, UsageError
from patentatlas.i18n import Bilingual, Message, bilingual, joined, message
from patentatlas.importers.tabular import iter_tables
from patentatlas.normalize.names import normalize_name
from patentatlas.rules import load_rule_set, rule_source
from patentatlas.store import utc_now

RULE_SET = "tiers"
# CSV headers (Chinese or English) → profile field
HEADERS = {"企业名称": "name", "name": "name", "统一社会信用代码": "uscc", "uscc": "uscc", "地区代码": "region_code",
           "region_code": "region_code", "年度": "year", "year": "year", "营业收入": "revenue", "revenue": "revenue",
           "研发投入": "rd_spending", "rd_spending": "rd_spending", "职工人数": "employees", "employees": "employees",
           "知识产权专职人员": "ip_staff", "ip_staff": "ip_staff", "贯标": "ip_certified",
           "ip_certified": "ip_certified",
           "上市阶段": "listing_stage", "listing_stage": "listing_stage"}
NUMBERS = ("year", "revenue", "rd_spending", "employees", "ip_staff")
STAGES = {"listed": "listed", "已上市": "listed", "preparing": "preparing", "拟上市": "preparing", "none": "none",
          "未上市": "none", "": None}


def check_tiers(rules: dict[str, Any]) -> None:
    """Refuse tiers whose revenue bands leave a gap or overlap, naming the tier where it happens."""
    tiers = sorted(rules["tiers"], key=lambda t: float(t["revenue_min"]))
    if not tiers:
        raise UsageError(f"rule set tiers v{rules['version']} defines no tier")
    if float(tiers[0]["revenue_min"]) != 0:
        raise UsageError(f"rule set tiers v{rules['version']}: a gap below tier {tiers[0]['tier']}: the lowest band "
                         f"must start at revenue 0, it starts at {tiers[0]['revenue_min']}")
    for low, high in zip(tiers, tiers[1:], strict=False):
        top = low["revenue_max"]
        if top is None or float(top) > float(high["revenue_min"]):
            raise UsageError(f"rule set tiers v{rules['version']}: tier {low['tier']} (revenue {low['revenue_min']}–"
                             f"{top if top is not None else '∞'}) overlaps tier {high['tier']} (from "
                             f"{high['revenue_min']})")
        if float(top) < float(high["revenue_min"]):
            raise UsageError(f"rule set tiers v{rules['version']}: a gap between tier {low['tier']} (up to {top}) and "
                             f"tier {high['tier']} (from {high['revenue_min']}): revenue in between has no tier")
    if tiers[-1]["revenue_max"] is not None:
        raise UsageError(f"rule set tiers v{rules['version']}: tier {tiers[-1]['tier']} ends at "
                         f"{tiers[-1]['revenue_max']}: the highest band must be open (revenue_max null)")


def tier_rules(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rules = load_rule_set(conn, RULE_SET)
    check_tiers(rules)
    return rules


def tier_name(tier: dict[str, Any]) -> Bilingual:
    """A tier's name in the page's language (头部型 / Head), its code where the rule set gives no English."""
    return bilingual(tier.get("zh"), tier.get("en") or tier["tier"])


def _ip_points(profile: dict[str, Any]) -> int:
    return int(bool(profile.get("ip_certified"))) + int((profile.get("ip_staff") or 0) > 0)


def _misses(profile: dict[str, Any], requires: dict[str, Any]) -> list[Message]:
    checks = (("valid_inventions_min", "valid_inventions", profile.get("valid_inventions") or 0),
              ("rd_spending_min", "rd_spending", profile.get("rd_spending")),
              ("ip_management_min", "ip_management", _ip_points(profile)))
    misses = []
    for key, name, value in checks:
        if key in requires and value is None:
            misses.append(message(f"tier_miss_{name}_unknown", required=requires[key]))
        elif key in requires and value < requires[key]:
            misses.append(message(f"tier_miss_{name}", value=value, required=requires[key]))
    stages = requires.get("listing_stage_in")
    if stages and (stage := profile.get("listing_stage")) not in stages:
        named = joined([message(f"stage_{s}") for s in stages])
        misses.append(message("tier_miss_listing_stage", stage=message(f"stage_{stage}"), stages=named) if stage
                      else message("tier_miss_listing_stage_unknown", stages=named))
    return misses


def tier_of(profile: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """The tier of one profile, the rule that decided it and the reasons it fell from higher ones."""
    revenue = profile.get("revenue")
    if revenue is None:
        return {"tier": None, "decided_by": None, "reasons": [message("tier_no_revenue")]}
    tiers = sorted(rules["tiers"], key=lambda t: -float(t["revenue_min"]))
    start = next(i for i, t in enumerate(tiers) if float(revenue) >= float(t["revenue_min"]))
    reasons = [message("tier_in_band", revenue=f"{revenue:,}", tier=tier_name(tiers[start]),
                       revenue_min=f"{tiers[start]['revenue_min']:,}")]
    for tier in tiers[start:]:
        misses = _misses(profile, tier.get("requires") or {})
        if not misses:
            rule = {"tier": tier["tier"], "zh": tier["zh"], "revenue_min": tier["revenue_min"],
                    "revenue_max": tier["revenue_max"], "requires": tier.get("requires") or {},
                    "rule_set": f"tiers v{rules['version']}"}
            return {"tier": tier["tier"], "decided_by": rule, "reasons": reasons}
        reasons.append(message("tier_not", tier=tier_name(tier), misses=joined(misses, "warn_semicolon")))
    return {"tier": None, "decided_by": None, "reasons": reasons}  # the lowest tier requires nothing by default


# --------------------------------------------------------------------------- profiles


def _field(name: str, raw: Any, row: int) -> Any:
    text = str(raw or "").strip().replace(",", "")
    if name in NUMBERS:
        if not text:
            return None
        try:
            value = int(float(text))
        except ValueError:
            raise UsageError(f"row {row}: {name} {raw!r} is not a number") from None
        if value < 0:
            raise UsageError(f"row {row}: {name} {raw!r} is negative")
        return value
    if name == "ip_certified":
        return {"": None, "是": True, "yes": True, "true": True, "1": True, "否": False, "no": False,
                "false": False, "0": False}.get(text.lower())
    if name == "listing_stage":
        if text.lower() not in STAGES:
            raise UsageError(f"row {row}: listing_stage {raw!r} is not one of listed, preparing, none (已上市, 拟上市, "
                             "未上市)")
        return STAGES[text.lower()]
    return text or None


def import_profiles(conn: duckdb.DuckDBPyConnection, path: Path) -> dict[str, Any]:
    """The office's profile CSV/XLSX (企业名称, 统一社会信用代码, 营业收入, 研发投入, …): one row per enterprise,
    a later import of the same enterprise replacing its profile. A bad row refuses the file, naming it."""
    table = next(iter_tables(path))
    columns = {i: HEADERS[h.strip()] for i, h in enumerate(table.headers) if h.strip() in HEADERS}
    if "name" not in columns.values():
        raise InputFileError(str(path), "needs a 企业名称 (name) column; known columns: " + ", ".join(HEADERS))
    rows = []
    for row in table.rows:
        profile = {f: _field(f, row.cells[i] if i < len(row.cells) else None, row.row) for i, f in columns.items()}
        if not profile.get("name"):
            raise UsageError(f"row {row.row}: no enterprise name")
        profile["enterprise_key"] = (f"uscc:{profile['uscc']}" if profile.get("uscc")
                                     else f"name:{normalize_name(profile['name'])}")
        rows.append(profile)
    fields = ("enterprise_key", "name", "uscc", "region_code", "year", "revenue", "rd_spending", "employees",
              "ip_staff", "ip_certified", "listing_stage")
    types = {"year": pa.int32(), "employees": pa.int32(), "ip_staff": pa.int32(), "revenue": pa.int64(),
             "rd_spending": pa.int64(), "ip_certified": pa.bool_()}
    staged = pa.table({f: pa.array([r.get(f) for r in rows], types.get(f, pa.string())) for f in fields})
    conn.register("profiles_in", staged)
    try:
        conn.execute("DELETE FROM enterprise_profiles WHERE enterprise_key IN (SELECT enterprise_key FROM profiles_in)")
        conn.execute(f"INSERT INTO enterprise_profiles ({', '.join(fields)}, source, updated_at) SELECT DISTINCT ON "
                     f"(enterprise_key) {', '.join(fields)}, $file, $now FROM profiles_in",
                     {"file": path.name, "now": utc_now()})
    finally:
        conn.unregister("profiles_in")
    return {"file": str(path), "profiles": len({r["enterprise_key"] for r in rows})}


# registered enterprises' own entries win over the office's import where they gave one
_PROFILES_SQL = """SELECT coalesce(o.enterprise_key, 'uscc:' || e.uscc) AS enterprise_key,
  coalesce(e.name, o.name) AS name,
  coalesce(e.uscc, o.uscc) AS uscc, coalesce(e.region_code, o.region_code) AS region_code,
  coalesce(e.revenue, o.revenue) AS revenue, coalesce(e.rd_spending, o.rd_spending) AS rd_spending,
  coalesce(e.employees, o.employees) AS employees, coalesce(e.ip_staff, o.ip_staff) AS ip_staff,
  coalesce(e.ip_certified, o.ip_certified) AS ip_certified,
  coalesce(e.listing_stage, o.listing_stage) AS listing_stage,
  CASE WHEN e.enterprise_id IS NULL THEN o.source END AS import_file
FROM enterprise_profiles o FULL JOIN (SELECT * FROM enterprises WHERE status = 'verified') e
  ON o.uscc = e.uscc"""


def _holdings(conn: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], dict[str, int]]:
    """Valid inventions on the data date by enterprise key and by normalised name (all of China)."""
    scope = scope_for(conn, "100000")
    by_key: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for r in _counts(conn, scope, scope.as_of, 3):
        by_key[r["enterprise_key"]] = r["valid_invention_stock"]
        by_name[normalize_name(r["enterprise"] or "")] = by_name.get(normalize_name(r["enterprise"] or ""), 0) + \
            r["valid_invention_stock"]
    return by_key, by_name


def _in_region(code: str | None, region: str) -> bool:
    """Whether a profile's region code lies in ``region`` (100000 China, 330000 a province, 330100 a city …)."""
    if region == "100000":
        return True
    prefix = region[:2] if region.endswith("0000") else region[:4] if region.endswith("00") else region
    return bool(code) and str(code).startswith(prefix)


def region_tiers(conn: duckdb.DuckDBPyConnection, region_code: str = "100000") -> dict[str, Any]:
    """Every profiled enterprise of a region with its tier and why; the counts per tier; the packages."""
    rules = tier_rules(conn)
    cursor = conn.execute(_PROFILES_SQL)
    keys = [d[0] for d in cursor.description]
    profiles = [dict(zip(keys, r, strict=True)) for r in cursor.fetchall()]
    by_key, by_name = _holdings(conn)
    enterprises = []
    for p in profiles:
        if not _in_region(p["region_code"], region_code):
            continue
        p["valid_inventions"] = by_key.get(p["enterprise_key"], by_name.get(normalize_name(p["name"]), 0))
        p["ip_management"] = _ip_points(p)
        file = p.pop("import_file")
        p["source"] = message("tier_source_office", file=file) if file else message("tier_source_enterprise")
        enterprises.append({**p, **tier_of(p, rules)})
    enterprises.sort(key=lambda e: (e["tier"] is None, -(e["revenue"] or 0), e["name"]))
    counts = {t["tier"]: 0 for t in rules["tiers"]} | {"undecided": 0}
    for e in enterprises:
        counts[e["tier"] or "undecided"] += 1
    return {"region_code": region_code, "counts": counts, "enterprises": enterprises,
            "packages": packages(conn, rules), "tiers": rules["tiers"],
            "tier_names": {t["tier"]: tier_name(t) for t in rules["tiers"]} | {"undecided": message("tier_undecided")},
            "rule_set": {"name": RULE_SET, "version": rules["version"], "source": rule_source(rules),
                         "ip_management": bilingual(rules.get("ip_management_zh"), rules["ip_management"])}}


# --------------------------------------------------------------------------- service packages


def packages(conn: duckdb.DuckDBPyConnection, rules: dict[str, Any] | None = None) -> dict[str, Any]:
    """The service package text of each tier, as the office last edited it (empty until it does)."""
    rules = rules or tier_rules(conn)
    stored = {r[0]: {"text": r[1], "updated_at": r[2]} for r in
              conn.execute("SELECT tier, text, updated_at FROM tier_packages").fetchall()}
    return {t["tier"]: stored.get(t["tier"], {"text": "", "updated_at": None}) for t in rules["tiers"]}


def set_package(conn: duckdb.DuckDBPyConnection, tier: str, text: str, user_id: int | None) -> dict[str, Any]:
    """The office edits a tier's service package."""
    rules = tier_rules(conn)
    if tier not in {t["tier"] for t in rules["tiers"]}:
        raise UsageError(f"tier {tier!r} is not one of {', '.join(t['tier'] for t in rules['tiers'])}")
    if not text.strip() or len(text) > 20_000:
        raise UsageError("a service package needs a text of up to 20,000 characters")
    conn.execute("INSERT OR REPLACE INTO tier_packages VALUES (?, ?, ?, ?)", [tier, text.strip(), user_id, utc_now()])
    return packages(conn, rules)[tier]
