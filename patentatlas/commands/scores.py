"""The `patentatlas` commands for scores: a patent's value, the value table, a source's own figures,
the enterprise creativity ranking and enterprise tiers."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import click
from rich.table import Table

VALUE_KEYS = ("score", "legal", "technical", "economic", "components", "missing")


def _cli() -> ModuleType:
    """The cli module's helpers, imported late: the cli module imports this one."""
    from patentatlas import cli

    return cli


@click.command("value")
@click.argument("application_number")
@click.option("--json", "as_json", is_flag=True,
              help="Print {score, legal, technical, economic, components, missing} and the explanation.")
@click.pass_context
def value_cmd(ctx: click.Context, application_number: str, as_json: bool) -> None:
    """A patent's value score (0–100) with its legal, technical and economic sub-scores, each
    component normalised within its cohort (main IPC subclass × filing year), and what is missing."""
    from patentatlas.domain.value import patent_value

    data = patent_value(_cli()._conn(ctx, read_only=True), application_number)
    if as_json:
        _cli()._print_json({**{k: data[k] for k in VALUE_KEYS}, **data})
        return
    cohort = data["cohort"]
    table = Table(title=f"{data['application_number']} · value {data['score']} · cohort {cohort['ipc_subclass']} × "
                        f"{cohort['filing_year']} ({cohort['patents']} patents)")
    for name in ("dimension", "component", "weight", "raw", "cohort cap", "normalised"):
        table.add_column(name)
    for c in data["components"]:
        _cli()._add_row(table, c["dimension"], c["name"], c["weight"], _dash(c["raw"]), _dash(c["cohort_cap"]),
                        _dash(c["normalised"]))
    _cli().console.print(table)
    _cli().console.print(f"legal {data['legal']} · technical {data['technical']} · economic {data['economic']}",
                         highlight=False)
    for name, reason in data["missing_reasons"].items():
        _cli().console.print(f"missing {name}: {reason}", markup=False, highlight=False, style="dim")


def _dash(value: Any) -> Any:
    return "—" if value is None else value


@click.command("refresh-values")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def refresh_values_cmd(ctx: click.Context, as_json: bool) -> None:
    """Score every patent of the store again into the value table (after imports or a new rule set)."""
    from patentatlas.domain.value import refresh_values

    summary = refresh_values(_cli()._conn(ctx))
    if as_json:
        _cli()._print_json(summary)
        return
    _cli().console.print(f"{summary['scored']:,} patents scored in {summary['seconds']} s (as of {summary['as_of']}, "
                         f"rule set v{summary['rule_set']['version']})", highlight=False)


@click.command("source-figures")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def source_figures_cmd(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Keep a Patentics export's own value figures (价值1–3, 质量, 专利度) and print how the value
    scores correlate with them (Spearman; run refresh-values first)."""
    from patentatlas.domain.source_figures import correlations, import_source_figures

    conn = _cli()._conn(ctx)
    summary = import_source_figures(conn, path)
    summary["correlations"] = correlations(conn)
    if as_json:
        _cli()._print_json(summary)
        return
    table = Table(title=f"{path.name}: {summary['kept']} patents' figures kept; Spearman with our scores")
    for name in ("figure", "our score", "patents", "spearman"):
        table.add_column(name)
    for r in summary["correlations"]:
        _cli()._add_row(table, r["source_figure"], r["our_score"], r["patents"], _dash(r["spearman"]))
    _cli().console.print(table)


def register(main: click.Group) -> None:
    """Add this module's commands to the `patentatlas` group."""
    for command in (value_cmd, refresh_values_cmd, source_figures_cmd):
        main.add_command(command)
