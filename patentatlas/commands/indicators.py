"""The `patentatlas` commands for indicators: a region's figures as of a statistics date."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from patentatlas.commands import add_row, command_store, console, print_json


@click.command("indicators")
@click.option("--region", "region_code", required=True,
              help="Region adcode: 330000 province, 330100 city, 330110 county, 9-digit township; 100000 China.")
@click.option("--industry", help="2021 strategic emerging industry code (1, 1.4; prefix match).")
@click.option("--as-of", help="Statistics date YYYY-MM-DD (default: the store's data date).")
@click.option("--json", "as_json", is_flag=True, help="Print the indicators as one JSON object.")
@click.pass_context
def indicators_cmd(ctx: click.Context, region_code: str, industry: str | None, as_of: str | None,
                   as_json: bool) -> None:
    """A region's indicators: valid and high-value inventions (per 10,000 people), applications and
    grants by year, growth, grant rate, top applicants and IPC classes."""
    from patentatlas.domain.indicators import region_indicators

    data = region_indicators(command_store(ctx, read_only=True), region_code, industry, as_of)
    if as_json:
        print_json(data)
        return
    console.print(_summary_table(data))
    console.print(_years_table(data))
    for note in filter(None, [data["population_note"], *data["data_notes"], data["counting_rule"]["en"]]):
        console.print(note, markup=False, highlight=False, style="dim", soft_wrap=True)


def _summary_table(data: dict[str, Any]) -> Table:
    industry = f" · industry {data['industry']['code']}" if data["industry"] else ""
    table = Table(title=f"{data['region_name']} ({data['region_code']}){industry} · as of {data['as_of']}",
                  show_header=False)
    rate = data["grant_rate"]["value"]
    for key, value in (("population", data["population"]), ("population source", data["population_source"]),
                       ("valid inventions", data["valid_invention_count"]),
                       ("valid inventions per 10,000", data["valid_invention_per_10k"]),
                       ("high-value inventions", data["high_value_invention_count"]),
                       ("high-value inventions per 10,000", data["high_value_invention_per_10k"]),
                       ("grant rate (inventions)", f"{rate:.1%}" if rate is not None else None)):
        add_row(table, key, "—" if value is None else value)
    return table


def _years_table(data: dict[str, Any]) -> Table:
    table = Table(title="applications (filing year) and grants (grant year)")
    for name in ("year", "applications", "grants"):
        table.add_column(name, justify="right")
    years = sorted(set(data["applications_by_year"]) | set(data["grants_by_year"]))
    for year in years:
        add_row(table, year, data["applications_by_year"].get(year, 0), data["grants_by_year"].get(year, 0))
    return table


def register(main: click.Group) -> None:
    """Add this module's commands to the `patentatlas` group."""
    main.add_command(indicators_cmd)
