"""``patentatlas directory …`` (the office's enterprise directory and placement) and
``patentatlas population …`` (the office's own population figures by year)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from patentatlas.commands import add_row, command_store, console, print_json


@click.group("directory")
def directory() -> None:
    """The enterprise directory (企业名录): import it, see what it places, place patents again."""


@directory.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the counts.")
@click.pass_context
def import_cmd(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Import a directory (CSV/XLSX: name, former names, credit code, address, township, industry,
    tags, contact); then place again the stored patents whose applicants it names."""
    from patentatlas.domain.directory import import_directory
    from patentatlas.store.reference import ensure_reference

    conn = command_store(ctx)
    ensure_reference(conn)
    report = import_directory(conn, path)
    if as_json:
        print_json(report.counts())
        return
    table = Table(title="directory import")
    for name in ("file", "format", "read", "loaded", "updated", "unchanged", "quarantined", "patents placed",
                 "patents moved"):
        table.add_column(name, justify="left" if name in ("file", "format") else "right", overflow="fold")
    add_row(table, path.name, report.format, report.read, report.loaded, report.updated, report.unchanged,
                    report.quarantined, report.patents_placed, report.patents_moved)
    console.print(table)


@directory.command("place")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def place_cmd(ctx: click.Context, as_json: bool) -> None:
    """Place every stored patent again (after changing the rules or loading an old store)."""
    from patentatlas.domain.placement import place_patents
    from patentatlas.store import transaction

    conn = command_store(ctx)
    with transaction(conn):
        summary = place_patents(conn)
    if as_json:
        print_json(summary)
        return
    console.print(f"{summary['placed']:,} patents placed ({summary['moved']:,} moved) in "
                         f"{summary['seconds']} s", highlight=False)


@directory.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> None:
    """How many entries the directory holds and how many it places to a county and a township."""
    from patentatlas.domain.directory import directory_summary

    summary = directory_summary(command_store(ctx, read_only=True))
    if as_json:
        print_json(summary)
        return
    console.print(f"{summary['entries']:,} entries; {summary['placed_to_county']:,} placed to a county, "
                         f"{summary['placed_to_township']:,} to a township; by method {summary['by_method']}",
                         highlight=False, markup=False)


@directory.command("quarantine")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine_cmd(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Directory rows that were rejected, with file, row, field and reason."""
    from patentatlas.domain.directory import directory_quarantine

    rows = directory_quarantine(command_store(ctx, read_only=True), limit)
    if as_json:
        for row in rows:
            print_json(row)
        return
    table = Table(title=f"directory quarantine ({len(rows)} shown)")
    for name in ("file", "sheet", "row", "field", "reason"):
        table.add_column(name)
    for r in rows:
        add_row(table, Path(r["file"]).name, r["sheet"] or "", r["row"], r["field"], r["reason"])
    console.print(table)


@click.group("population")
def population() -> None:
    """The office's own population figures (年末常住人口 by year); the 2020 census is the default."""


@population.command("set")
@click.argument("region_code")
@click.argument("year", type=int)
@click.argument("people", type=int)
@click.option("--source", required=True, help="Where the figure comes from (e.g. 杭州市统计年鉴 2024).")
@click.pass_context
def population_set(ctx: click.Context, region_code: str, year: int, people: int, source: str) -> None:
    """Set a region's resident population for a year (an old code is stored under its new one)."""
    from patentatlas.domain.population import set_population

    row = set_population(command_store(ctx), region_code, year, people, source)
    click.echo(f"{row['region_code']} {row['year']}: {row['population']:,} ({row['source']})"
               + (f"; {row['note']}" if row.get("note") else ""))


@population.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def population_import(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Import figures from a CSV with columns region_code, year, population, source."""
    from patentatlas.domain.population import import_population

    summary = import_population(command_store(ctx), path)
    if as_json:
        print_json(summary)
        return
    click.echo(f"{summary['read']} rows: {summary['stored']} stored, {len(summary['rejected'])} rejected")
    for rejected in summary["rejected"]:
        click.echo(f"  row {rejected['row']}: {rejected['reason']}")


def register(main: click.Group) -> None:
    """Add ``directory`` and ``population`` to the ``patentatlas`` group."""
    main.add_command(directory)
    main.add_command(population)
