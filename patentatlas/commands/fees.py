"""The ``patentatlas fees`` command: a patent's annual-fee schedule."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from patentatlas.commands import command_store, console


def fees_report(patent: dict[str, Any], as_of: dt.date, reduction: str | None,
                rules: dict[str, Any]) -> dict[str, Any]:
    """The fee report of one stored patent (its next fee and every remaining one) under ``rules``."""
    from patentatlas.domain.fees import fee_schedule, no_fee_reason

    report: dict[str, Any] = {
        "application_number": patent["application_number"], "status": patent["status"],
        "as_of": as_of.isoformat(), "rules": {"version": rules["version"], "source": rules["source"]},
        "next_due": None, "schedule": [],
    }
    reason = no_fee_reason(patent["status"], patent.get("country"), patent["filing_date"])
    if reason:
        report["note"] = reason
        return report
    grant = dt.date.fromisoformat(patent["grant_date"]) if patent["grant_date"] else None
    schedule = fee_schedule(dt.date.fromisoformat(patent["filing_date"]), patent["patent_type"], grant, as_of,
                            reduction, rules)
    report["grant_date_known"] = grant is not None
    if grant is None:
        report["note"] = ("granted and in force, grant date not in the data: fees fall due on the filing-date "
                          "anniversaries; see each fee's unknowns")
    report["schedule"] = [fee.to_dict() for fee in schedule]
    report["next_due"] = report["schedule"][0] if schedule else None
    return report


def register(main: click.Group) -> None:
    """Add ``fees`` to the ``patentatlas`` group."""

    @main.command()
    @click.argument("number")
    @click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="The date to compute for; default today.")
    @click.option("--reduced", is_flag=True, help="The holder declared fee-reduction eligibility (85 %).")
    @click.option("--joint", is_flag=True, help="With --reduced: joint applicants, all eligible (70 %).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def fees(ctx: click.Context, number: str, as_of: dt.datetime | None, reduced: bool, joint: bool,
             as_json: bool) -> None:
        """A patent's annual fees: next due date, amount, grace period, late fee, every remaining year."""
        from patentatlas.domain.fees import fee_rules
        from patentatlas.domain.patents import get_patent

        conn = command_store(ctx, read_only=True)
        patent = get_patent(conn, number)
        reduction = ("joint" if joint else "single") if reduced else None
        report = fees_report(patent, (as_of.date() if as_of else dt.date.today()), reduction, fee_rules(conn))
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False))
            return
        for fee in report["schedule"]:
            console.print(f"{fee['patent_year']:>3}  {fee['due_date']}  {fee['amount']:>6}  "
                          f"grace to {fee['grace_period_end']}" + ("  (provisional)" if fee["provisional"] else ""),
                          highlight=False)
        if report.get("note"):
            console.print(report["note"], highlight=False)
        elif not report["schedule"]:
            console.print("no fee left to pay", highlight=False)
