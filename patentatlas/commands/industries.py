"""The `patentatlas` commands for industries: the SEI tree with counts, specialty databases."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from patentatlas.commands import add_row, command_store, console, print_json


def _print(text: str, **style: Any) -> None:
    console.print(text, markup=False, highlight=False, **style)


@click.command("industries")
@click.option("--region", "region_code", help="Only patents whose first applicant is in this region (adcode).")
@click.option("--as-of", help="Statistics date YYYY-MM-DD (default: the store's data date).")
@click.option("--recompute", is_flag=True, help="First derive every patent's industries again from its IPC codes.")
@click.option("--json", "as_json", is_flag=True, help="Print the tree as JSON.")
@click.pass_context
def industries_cmd(ctx: click.Context, region_code: str | None, as_of: str | None, recompute: bool,
                   as_json: bool) -> None:
    """Strategic emerging industries (2021 IPC concordance) with patent counts."""
    from patentatlas.domain.industries import recompute_industries, sei_tree

    conn = command_store(ctx, read_only=not recompute)
    if recompute:
        changed = recompute_industries(conn)
        if not as_json:
            _print(f"industries derived again: {changed} patents changed")
    tree = sei_tree(conn, region_code, as_of)
    if as_json:
        print_json(tree)
        return
    console.print(_tree_table(tree))
    _print(f"not judged: {tree['not_judged']}   judged, no SEI: {tree['judged_not_sei']}   "
                  f"in an SEI industry: {tree['sei_patents']} of {tree['patents']}")
    _print(tree["note"], style="dim")


def _tree_table(tree: dict[str, Any]) -> Table:
    where = tree["region"]["name"] if tree["region"] else "all patents"
    table = Table(title=f"strategic emerging industries · {where} · as of {tree['as_of']}")
    for name in ("code", "industry", "patents", "valid inventions"):
        table.add_column(name, justify="right" if name in ("patents", "valid inventions") else "left")
    for node in tree["industries"]:
        for n in [node, *node.get("children", [])]:
            indent = "" if n["level"] == "1" else "  "
            add_row(table, indent + n["code"], indent + n["name"], n["patents"], n["valid_inventions"])
    return table


@click.group("specialty")
def specialty() -> None:
    """Specialty industry databases (特色产业库): define by IPC, keywords, applicants."""


@specialty.command("define")
@click.argument("db_id")
@click.option("--name", required=True, help="Display name, e.g. 制笔产业.")
@click.option("--ipc", "ipc_codes", multiple=True, help="IPC code (class, subclass, group); repeatable.")
@click.option("--keyword", "keywords", multiple=True, help="Word in the title or abstract; repeatable.")
@click.option("--applicant", "applicants", multiple=True, help="Applicant name; repeatable.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def define(ctx: click.Context, db_id: str, name: str, ipc_codes: tuple[str, ...], keywords: tuple[str, ...],
           applicants: tuple[str, ...], as_json: bool) -> None:
    """Define a specialty database, or store a new version of it, and compute its members."""
    from patentatlas.domain.industries import define_specialty

    result = define_specialty(command_store(ctx), db_id, name, ipc_codes, keywords, applicants)
    if as_json:
        print_json(result)
        return
    _print(f"{result['db_id']} version {result['version']}: {result['members']} patents")


@specialty.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """The specialty databases: latest version and member count."""
    from patentatlas.domain.industries import list_specialties

    rows = list_specialties(command_store(ctx, read_only=True))
    if as_json:
        print_json(rows)
        return
    table = Table(title="specialty databases")
    for name in ("id", "name", "version", "patents", "ipc", "keywords", "applicants"):
        table.add_column(name)
    for r in rows:
        add_row(table, r["db_id"], r["name"], r["version"], r["members"], " ".join(r["ipc_codes"]),
                 " ".join(r["keywords"]), "; ".join(r["applicants"]))
    console.print(table)


@specialty.command("show")
@click.argument("db_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show_cmd(ctx: click.Context, db_id: str, as_json: bool) -> None:
    """A specialty database's dashboard: members by year, type, status; top applicants."""
    from patentatlas.domain.industries import specialty_dashboard

    dashboard = specialty_dashboard(command_store(ctx, read_only=True), db_id)
    if as_json:
        print_json(dashboard)
        return
    _print(f"{dashboard['db_id']} {dashboard['name']} (version {dashboard['version']}): "
                  f"{dashboard['members']} patents")
    for key in ("by_year", "by_type", "by_status", "by_criterion"):
        table = Table(title=key.replace("_", " "))
        table.add_column("value")
        table.add_column("patents", justify="right")
        for k, n in dashboard[key].items():
            add_row(table, k, n)
        console.print(table)
    table = Table(title="top applicants")
    table.add_column("applicant")
    table.add_column("patents", justify="right")
    for a in dashboard["top_applicants"]:
        add_row(table, a["name"], a["patents"])
    console.print(table)


@specialty.command("recompute")
@click.pass_context
def recompute(ctx: click.Context) -> None:
    """Recompute every specialty database's members (imports do this by themselves)."""
    from patentatlas.domain.industries import recompute_specialty

    for db_id, members in recompute_specialty(command_store(ctx)).items():
        _print(f"{db_id}: {members} patents")


def register(main: click.Group) -> None:
    """Add this module's commands to the `patentatlas` group."""
    main.add_command(industries_cmd)
    main.add_command(specialty)
