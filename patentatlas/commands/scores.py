"""The `patentatlas` commands for scores: a patent's value, the value table, a source's own figures,
the enterprise creativity ranking and enterprise tiers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from patentatlas.commands import add_row, command_store, console, print_json

VALUE_KEYS = ("score", "legal", "technical", "economic", "components", "missing")


@click.command("value")
@click.argument("application_number")
@click.option("--json", "as_json", is_flag=True,
              help="Print {score, legal, technical, economic, components, missing} and the explanation.")
@click.pass_context
def value_cmd(ctx: click.Context, application_number: str, as_json: bool) -> None:
    """A patent's value score (0–100) with its legal, technical and economic sub-scores, each
    component normalised within its cohort (main IPC subclass × filing year), and what is missing."""
    from patentatlas.domain.value import patent_value

    data = patent_value(command_store(ctx, read_only=True), application_number)
    if as_json:
        print_json({**{k: data[k] for k in VALUE_KEYS}, **data})
        return
    cohort = data["cohort"]
    table = Table(title=f"{data['application_number']} · value {data['score']} · cohort {cohort['ipc_subclass']} × "
                        f"{cohort['filing_year']} ({cohort['patents']} patents)")
    for name in ("dimension", "component", "weight", "raw", "cohort cap", "normalised"):
        table.add_column(name)
    for c in data["components"]:
        add_row(table, c["dimension"], c["name"], c["weight"], _dash(c["raw"]), _dash(c["cohort_cap"]),
                        _dash(c["normalised"]))
    console.print(table)
    console.print(f"legal {data['legal']} · technical {data['technical']} · economic {data['economic']}",
                         highlight=False)
    for name, reason in data["missing_reasons"].items():
        console.print(f"missing {name}: {reason}", markup=False, highlight=False, style="dim")


def _dash(value: Any) -> Any:
    return "—" if value is None else value


@click.command("refresh-values")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def refresh_values_cmd(ctx: click.Context, as_json: bool) -> None:
    """Score every patent of the store again into the value table (after imports or a new rule set)."""
    from patentatlas.domain.value import refresh_values

    summary = refresh_values(command_store(ctx))
    if as_json:
        print_json(summary)
        return
    console.print(f"{summary['scored']:,} patents scored in {summary['seconds']} s (as of {summary['as_of']}, "
                         f"rule set v{summary['rule_set']['version']})", highlight=False)


@click.command("source-figures")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def source_figures_cmd(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Keep a Patentics export's own value figures (价值1–3, 质量, 专利度) and print how the value
    scores correlate with them (Spearman; run refresh-values first)."""
    from patentatlas.domain.source_figures import correlations, import_source_figures

    conn = command_store(ctx)
    summary = import_source_figures(conn, path)
    summary["correlations"] = correlations(conn)
    if as_json:
        print_json(summary)
        return
    table = Table(title=f"{path.name}: {summary['kept']} patents' figures kept; Spearman with our scores")
    for name in ("figure", "our score", "patents", "spearman"):
        table.add_column(name)
    for r in summary["correlations"]:
        add_row(table, r["source_figure"], r["our_score"], r["patents"], _dash(r["spearman"]))
    console.print(table)


@click.command("creativity")
@click.option("--region", "region_code", required=True,
              help="Region adcode: 330000 province, 330100 city, 330110 county; 100000 China.")
@click.option("--top", type=int, default=None, help="How many enterprises (default: the rule set's 100).")
@click.option("--as-of", help="Statistics date YYYY-MM-DD (default: the store's data date).")
@click.option("--baseline-year", type=int, help="Baseline year of the sub-indices (default: the year before).")
@click.option("--weights", help="Weights of stock, high-value, grants in 3 years, summing to 1 (e.g. 0.5,0.25,0.25).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a list of {rank, enterprise, valid_invention_stock, high_value_invention_count, "
                   "invention_grants_3y, index}.")
@click.pass_context
def creativity_cmd(ctx: click.Context, region_code: str, top: int | None, as_of: str | None,
                   baseline_year: int | None, weights: str | None, as_json: bool) -> None:
    """The region's enterprises ranked by creativity index (REFERENCE §6): valid invention stock,
    high-value inventions and invention grants in the last three years, 100-based on a baseline year."""
    from patentatlas.domain.creativity import INPUTS, creativity_ranking, parse_weights, ranking_rows

    data = creativity_ranking(command_store(ctx, read_only=True), region_code, top, as_of, baseline_year,
                              parse_weights(weights))
    if as_json:
        print_json(ranking_rows(data))
        return
    table = Table(title=f"{data['region']['name']} ({data['region']['code']}) · creativity index · as of "
                        f"{data['as_of']} · baseline {data['baseline']['year']}")
    for name in ("rank", "enterprise", *INPUTS, "index"):
        table.add_column(name, justify="left" if name == "enterprise" else "right")
    for row in ranking_rows(data):
        add_row(table, *row.values())
    console.print(table)
    for note in data["notes"]:
        console.print(note, markup=False, highlight=False, style="dim", soft_wrap=True)


@click.group("tiers")
def tiers_group() -> None:
    """Enterprise tiers (head, pre-IPO, growth, start-up) from the profiles and IP holdings."""


@tiers_group.command("show")
@click.option("--region", "region_code", default="100000", show_default=True, help="Region adcode (100000 China).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts, each enterprise's tier and why.")
@click.pass_context
def tiers_show(ctx: click.Context, region_code: str, as_json: bool) -> None:
    """Each profiled enterprise's tier, the rule that decided it, and the counts per tier."""
    from patentatlas.domain.tiers import region_tiers

    data = region_tiers(command_store(ctx.find_root(), read_only=True), region_code)
    if as_json:
        print_json(data)
        return
    table = Table(title=f"tiers in {region_code}: " + ", ".join(f"{k} {v}" for k, v in data["counts"].items()))
    for name in ("enterprise", "revenue", "valid inventions", "tier", "why"):
        table.add_column(name)
    for e in data["enterprises"]:
        add_row(table, e["name"], _dash(e["revenue"]), e["valid_inventions"], e["tier"] or "—",
                        "; ".join(e["reasons"]))
    console.print(table)


@tiers_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def tiers_import(ctx: click.Context, path: Path) -> None:
    """Import the office's enterprise profiles (CSV/XLSX: 企业名称, 统一社会信用代码, 地区代码, 营业收入, 研发投入,
    职工人数, 知识产权专职人员, 贯标, 上市阶段)."""
    from patentatlas.domain.tiers import import_profiles

    summary = import_profiles(command_store(ctx.find_root()), path)
    print_json(summary)


def register(main: click.Group) -> None:
    """Add this module's commands to the `patentatlas` group."""
    for command in (value_cmd, refresh_values_cmd, source_figures_cmd, creativity_cmd, tiers_group):
        main.add_command(command)
