"""The `patentatlas search` commands: search the store, rebuild the index, similar patents."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from patentatlas.commands import add_row, command_store, console, err_console, print_json


@click.command("search")
@click.argument("query", nargs=-1)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(0, 1000), help="How many hits.")
@click.option("--sort", type=click.Choice(["relevance", "date", "date_asc", "cited", "value"]), default="relevance",
              show_default=True)
@click.option("--region", help="Only patents whose first applicant is in this region (adcode, any level).")
@click.option("--industry", help="Only patents of this SEI industry (1, 1.2, 1.2.3).")
@click.option("--type", "patent_type", type=click.Choice(["invention", "utility_model", "design"]))
@click.option("--status", type=click.Choice(["pending", "in_force", "lapsed"]))
@click.option("--json", "as_json", is_flag=True, help="Print {total, hits: [{application_number, title, score}]}.")
@click.pass_context
def search_cmd(ctx: click.Context, query: tuple[str, ...], limit: int, sort: str, region: str | None,
               industry: str | None, patent_type: str | None, status: str | None, as_json: bool) -> None:
    """Search titles, abstracts, claims, applicants (syntax: see the /search page or the README)."""
    from patentatlas.search import SearchOptions, search

    conn = command_store(ctx, read_only=True)
    options = SearchOptions(region=region, industry=industry, patent_type=patent_type, status=status, sort=sort,
                            limit=limit, facets=False)
    result = search(conn, " ".join(query), options)
    if as_json:
        print_json({"total": result["total"], "notices": result["notices"], "hits": [
            {k: h[k] for k in ("application_number", "title", "score")} for h in result["hits"]]})
        return
    for notice in result["notices"]:
        err_console.print(f"note: {notice}", markup=False, highlight=False)
    console.print(_hits_table(result))


def _hits_table(result: dict[str, Any]) -> Table:
    table = Table(title=f"{result['total']} patents")
    for name in ("application", "title", "applicants", "filed", "score"):
        table.add_column(name)
    for h in result["hits"]:
        add_row(table, h["application_number"], h["title"], h["applicants"][:40], h["filing_date"] or "",
                        h["score"] if h["score"] is not None else "")
    return table


@click.group("search-index")
def search_index() -> None:
    """The search index beside the store (STORE.search/)."""


@search_index.command("rebuild")
@click.option("--workers", type=click.IntRange(0, 64), help="Processes building documents (default: by size, cores).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rebuild_cmd(ctx: click.Context, workers: int | None, as_json: bool) -> None:
    """Build the index anew from every patent in the store."""
    from patentatlas.search import rebuild_index

    conn = command_store(ctx, read_only=True)
    figures = rebuild_index(conn, workers=workers)
    if as_json:
        print_json(figures)
        return
    console.print(f"indexed {figures['patents']:,} patents in {figures['seconds']} s "
                         f"({figures['per_second']} per second), {figures['bytes'] or 0:,} bytes at {figures['path']}",
                         markup=False, highlight=False)


@search_index.command("sync")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sync_cmd(ctx: click.Context, as_json: bool) -> None:
    """Index again the patents whose regions, value scores or industries changed since they were indexed
    (searches do this by themselves; the web server also nightly)."""
    from patentatlas.search.freshness import sync_index

    done = sync_index(command_store(ctx, read_only=True))
    if as_json:
        print_json(done)
        return
    if done is None:
        console.print("no index beside this store (search-index rebuild makes one)", markup=False, highlight=False)
        return
    console.print(f"{done['changed']:,} patents indexed again, {done['gone']:,} documents of patents gone, "
                  f"in {done['seconds']} s", markup=False, highlight=False)


def register(main: click.Group) -> None:
    main.add_command(search_cmd)
    main.add_command(search_index)
