"""The `patentatlas spark` command: an indicator job on a Parquet export through a Spark session."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from patentatlas.analytics.spark import JOBS
from patentatlas.commands import add_row, command_store, console, print_json


def _conf(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--conf")
        out[key.strip()] = value.strip()
    return out


@click.command("spark")
@click.argument("job", type=click.Choice(list(JOBS)))
@click.option("--input", "input_dir", required=True, type=click.Path(path_type=Path),
              help="The folder `patentatlas export --format parquet` wrote.")
@click.option("--output", "output_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A folder for the results: one sub-folder per table.")
@click.option("--master", default="local[*]", show_default=True,
              help="Spark master: local[*], local[N], spark://HOST:PORT, yarn, k8s://https://HOST:PORT.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--as-of", help="Statistics date YYYY-MM-DD (default: the data's data date, as the pages use).")
@click.option("--into-store", is_flag=True,
              help="Also replace the summary tables of the store (--db) by the job's: its pages then serve them.")
@click.option("--conf", "conf", multiple=True, metavar="KEY=VALUE", help="A Spark setting (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as one JSON object.")
@click.pass_context
def spark_cmd(ctx: click.Context, job: str, input_dir: Path, output_dir: Path, master: str, fmt: str,
              as_of: str | None, into_store: bool, conf: tuple[str, ...], as_json: bool) -> None:
    """Run JOB (summaries, indicators or map) on a Parquet export with Apache Spark, by the same SQL
    the store runs; the export, the master and the store are checked before any work starts."""
    from patentatlas.analytics.dataset import open_dataset
    from patentatlas.analytics.spark import load_into_store, run_job, spark_session, write_tables

    started = time.perf_counter()
    dataset = open_dataset(input_dir)
    store = command_store(ctx) if into_store else None  # a store the server holds fails now, not after the job
    spark = spark_session(master, _conf(conf))
    basis, tables = run_job(spark, dataset, job, as_of)
    rows = write_tables(tables, output_dir, fmt)
    loaded = load_into_store(store, dataset, basis, tables, time.perf_counter() - started) if store else None
    result = {"job": job, "master": master, "as_of": basis.as_of.isoformat(), "output": str(output_dir),
              "tables": rows, "into_store": loaded, "seconds": round(time.perf_counter() - started, 1)}
    if as_json:
        print_json(result)
        return
    table = Table(title=f"spark {job} · as of {result['as_of']} · {master} · {result['seconds']} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in rows.items():
        add_row(table, name, f"{count:,}")
    console.print(table)
    if loaded:
        console.print("summary tables loaded into the store: its pages read them", highlight=False)


def register(main: click.Group) -> None:
    """Add this module's commands to the `patentatlas` group."""
    main.add_command(spark_cmd)
