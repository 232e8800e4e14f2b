"""The command line: parse, call the library, print. Errors become messages here, in one place."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from patentatlas.commands import add_row, command_store, console, err_console, print_json
from patentatlas.config import help_for, setting
from patentatlas.errors import PatentAtlasError


class _Group(click.Group):
    """Turns our errors into one clear line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PatentAtlasError as exc:
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            sys.exit(1)


@click.group(cls=_Group)
@click.option("--db", default=lambda: setting("db"), show_default="patentatlas.duckdb",
              type=click.Path(dir_okay=False), help=help_for("db"))
@click.version_option(package_name="patentatlas")
@click.pass_context
def main(ctx: click.Context, db: str) -> None:
    """PatentAtlas — regional patent monitoring (专利监测服务平台)."""
    ctx.obj = {"db": db}


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@click.option("--mapping", type=click.Path(exists=True, path_type=Path),
              help="Header → field mapping (JSON or CSV header,field) for unknown headers.")
@click.option("--observed-on", type=click.DateTime(["%Y-%m-%d"]),
              help="Date the export was taken (dates status changes); default today.")
@click.pass_context
def import_cmd(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, mapping: Path | None,
               observed_on: dt.datetime | None) -> None:
    """Import exports (incoPat, Patentics, Lens, USPTO XML, CSV/XLSX) into the store."""
    from patentatlas.importers.fields import load_mapping
    from patentatlas.imports import import_file
    from patentatlas.store.reference import ensure_reference

    conn = command_store(ctx)
    ensure_reference(conn)
    header_map = load_mapping(mapping) if mapping else None
    failed, reports = 0, []
    for path in paths:
        try:
            with _progress(as_json) as bar:
                task = bar.add_task(path.name, total=None)

                def advance(rows: int, task: TaskID = task) -> None:
                    bar.advance(task, rows)

                report = import_file(conn, path, mapping=header_map,
                                     observed_on=observed_on.date() if observed_on else None, progress=advance)
        except PatentAtlasError as exc:
            failed += 1
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            continue
        except KeyboardInterrupt:  # Ctrl-C: the batch in progress rolls back; one line, no traceback
            err_console.print(f"[bold red]interrupted:[/] {escape(path.name)}: the batch in progress was not "
                              "stored; batches before it were. Import the file again to finish it (rows already "
                              "stored count as unchanged).", highlight=False)
            sys.exit(130)
        reports.append(report)
        if as_json:
            print_json(report.counts())
    if not as_json and reports:
        console.print(_import_table(reports))
    if failed:
        sys.exit(1)


def _progress(quiet: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} rows"),
                    TimeElapsedColumn(), console=err_console, disable=quiet or not err_console.is_terminal,
                    transient=True)


def _import_table(reports: list[Any]) -> Table:
    table = Table(title="import")
    for name in ("file", "format", "read", "loaded", "updated", "unchanged", "quarantined"):
        # fold, not truncate: files often differ only at the end of their names
        table.add_column(name, justify="left" if name in ("file", "format") else "right",
                         overflow="fold" if name == "file" else "ellipsis")
    for r in reports:
        add_row(table, Path(r.file).name, r.format, *(getattr(r, k) for k in
                      ("read", "loaded", "updated", "unchanged", "quarantined")))
    return table


@main.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print the patent as JSON.")
@click.pass_context
def show(ctx: click.Context, number: str, as_json: bool) -> None:
    """Show one patent by application number (any written form: CN…, ZL…, digits only)."""
    from patentatlas.domain.patents import get_patent

    patent = get_patent(command_store(ctx, read_only=True), number)
    if as_json:
        print_json(patent)
        return
    table = Table(show_header=False, title=patent["application_number"])
    for key in ("title_zh", "title_en", "patent_type", "status", "status_text", "filing_date",
                "grant_date", "ipc_main", "publication_number"):
        add_row(table, key, patent.get(key) or "")
    add_row(table, "applicants", "; ".join(f"{a['name']} ({a['kind']}, {a['region_code'] or a['country'] or '?'})"
                                          for a in patent["applicants"]))
    console.print(table)


@main.command()
@click.option("--file", "file_filter", help="Only rows from files whose path contains this.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine(ctx: click.Context, file_filter: str | None, limit: int, as_json: bool) -> None:
    """Rows that were rejected, with file, row, field and reason."""
    from patentatlas.domain.patents import quarantine_rows

    rows = quarantine_rows(command_store(ctx, read_only=True), file_filter, limit, full_paths=True)
    if as_json:
        for row in rows:
            print_json(row)
        return
    table = Table(title=f"quarantine ({len(rows)} shown)")
    for name in ("file", "sheet", "row", "field", "reason"):
        table.add_column(name)
    for r in rows:
        add_row(table, Path(r["file"]).name, r["sheet"] or "", r["row"], r["field"], r["reason"])
    console.print(table)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def info(ctx: click.Context, as_json: bool) -> None:
    """Counts by type, status, filing year and province."""
    from patentatlas.domain.patents import store_summary

    summary = store_summary(command_store(ctx, read_only=True))
    if as_json:
        print_json(summary)
        return
    console.print(f"patents: [bold]{summary['patents']}[/]   quarantined rows: {summary['quarantined_rows']}")
    for key in ("by_type", "by_status", "by_country", "by_filing_year", "by_province"):
        table = Table(title=key.replace("_", " "))
        table.add_column("value")
        table.add_column("patents", justify="right")
        for k, n in summary[key].items():
            add_row(table, k, n)
        console.print(table)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv", "xlsx"]), required=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True,
              help="A folder for parquet, a file for csv and xlsx.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path) -> None:
    """Export the store (Parquet partitioned by filing year, or a flat CSV/XLSX of patents)."""
    from patentatlas.store.export import export_store

    for path in export_store(command_store(ctx, read_only=True), fmt, output):
        console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def optimize(ctx: click.Context, as_json: bool) -> None:
    """Keep each region's patents together on disk and the pages' summary tables current (the
    server does both nightly after imports)."""
    from patentatlas.analytics.summaries import refresh_summaries_if_needed
    from patentatlas.store.cluster import cluster_patents

    conn = command_store(ctx)
    summary = cluster_patents(conn)
    summary["summaries"] = refresh_summaries_if_needed(conn)  # None: already current
    if as_json:
        print_json(summary)
        return
    console.print(f"{summary['patents']:,} patents in region order in {summary['seconds']} s", highlight=False)
    if summary["summaries"]:
        console.print(f"summary tables refreshed in {summary['summaries']['seconds']} s", highlight=False)


@main.command()
@click.option("--host", default=lambda: setting("host"), help=help_for("host"))
@click.option("--port", default=lambda: int(setting("port")), type=int, help=help_for("port"))
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Run the web server (the server owns the store file while it runs)."""
    import uvicorn

    from patentatlas.web.app import create_app

    # proxy headers are read by the app, from the proxies in the trusted_proxies setting only
    uvicorn.run(create_app(ctx.obj["db"]), host=host, port=port, proxy_headers=False)


def _register_command_modules() -> None:
    from importlib import import_module

    from patentatlas.commands import COMMAND_MODULES

    for name in COMMAND_MODULES:
        import_module(name).register(main)


_register_command_modules()

if __name__ == "__main__":
    main()
