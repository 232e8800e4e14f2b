"""The ``patentatlas alerts`` commands: the daily early-warning job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from patentatlas.commands import command_store, console, print_json


def _summary_table(summary: dict[str, Any]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"alerts as of {summary['as_of']}")
    table.add_column("")
    table.add_column("count", justify="right")
    for rule, count in summary["warnings"].items():
        table.add_row(Text(f"new {rule}"), Text(str(count)))
    for state, count in summary["deliveries"].items():
        table.add_row(Text(f"deliveries {state}"), Text(str(count)))
    return table


def register(main: click.Group) -> None:
    """Add ``alerts`` to the ``patentatlas`` group."""

    @main.group()
    def alerts() -> None:
        """Early warnings: annual fees, legal status, term ends, watched filings."""

    @alerts.command("run")
    @click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="The date to warn for; default today.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    @click.pass_context
    def run(ctx: click.Context, as_of: dt.datetime | None, as_json: bool) -> None:
        """Run every warning rule for every enterprise, then send what is due (mail settings from
        PATENTATLAS_SMTP_*); a second run the same day creates and sends nothing new."""
        from patentatlas.delivery.mail import MailSettings
        from patentatlas.domain.warnings import run_alerts

        mail = MailSettings.from_env()
        summary = run_alerts(command_store(ctx), as_of.date() if as_of else dt.date.today(), mail)
        if as_json:
            print_json(summary)
            return
        console.print(_summary_table(summary))
        if mail is None and summary["deliveries"]["pending"]:
            console.print("mail is off (PATENTATLAS_SMTP_HOST not set): e-mail deliveries wait", highlight=False)
