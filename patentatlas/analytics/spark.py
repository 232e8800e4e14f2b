"""The indicator jobs on Apache Spark: the summary tables and the indicators of every region built
from a Parquet export by the same SQL the store runs (:mod:`patentatlas.analytics.summaries`,
:mod:`patentatlas.analytics.figures`, spelled for Spark by :data:`~patentatlas.analytics.dialect.SPARK`).

Jobs: ``summaries`` (the summary tables), ``indicators`` (the summaries and, for every region at
every level and every industry, the headline counts, yearly series, top applicants and top IPC),
``map`` (the summaries and each child region's counts under every parent). The summaries can go
back into a store (:func:`load_into_store`): its pages then read what Spark counted.

>>> spark = spark_session("local[*]")  # doctest: +SKIP
>>> tables = run_job(spark, open_dataset(Path("export")), "indicators")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from patentatlas.analytics import figures
from patentatlas.analytics.dataset import REQUIRED_TABLES, Dataset
from patentatlas.analytics.dialect import SPARK
from patentatlas.analytics.summaries import (
    FINGERPRINT_SQL,
    TABLES,
    Basis,
    industry_tags_sql,
    patent_facts_sql,
    placement_facts_sql,
    summary_sql,
    write_state,
)
from patentatlas.domain.high_value import DATA_DATES_SQL, checked_dates
from patentatlas.errors import EngineError, UsageError
from patentatlas.rules import counting_rules
from patentatlas.store import transaction

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

JOBS = {
    "summaries": "the summary tables the pages read",
    "indicators": "the summary tables and every region's indicators (head, series, top applicants, top IPC)",
    "map": "the summary tables and each child region's counts under every parent",
}
# parent level → the child levels a map of it may show (a city without counties maps its townships)
MAP_CHILDREN = {"country": ("province",), "province": ("city",), "city": ("county", "township"),
                "county": ("township",)}
# the store's view of legal events, for the data date (as store/schema.py defines it)
_LEGAL_EVENTS_SQL = ("SELECT application_number, e.event_date, e.code, e.description "
                     "FROM (SELECT application_number, explode(legal_events) AS e FROM patents) t")
_CONNECT_TIMEOUT_S = 3.0

# --------------------------------------------------------------------------- the engine


def check_master(master: str) -> None:
    """Say clearly, before starting anything, why ``master`` cannot run a job (an
    :class:`EngineError`): no Java, no PySpark, a standalone or Kubernetes master that does not
    answer, YARN without its configuration."""
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineError("Spark needs Java 17 or later and none is installed: install Debian's "
                          "openjdk-17-jre-headless (make install does), or set JAVA_HOME")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise EngineError("PySpark is not installed: pip install -e '.[spark]' (make install does)") from None
    if re.fullmatch(r"local(\[(\*|\d+)(,\d+)?\])?", master):
        return
    if master.startswith(("spark://", "k8s://")):
        _check_reachable(master)
        return
    if master == "yarn":
        conf = os.environ.get("HADOOP_CONF_DIR") or os.environ.get("YARN_CONF_DIR")
        if not conf or not Path(conf).is_dir():
            raise EngineError("--master yarn needs HADOOP_CONF_DIR (or YARN_CONF_DIR) set to the cluster's "
                              "configuration folder")
        return
    raise UsageError(f"--master {master!r} is not a Spark master: use local[*], local[N], spark://HOST:PORT, "
                     "yarn or k8s://https://HOST:PORT")


def _check_reachable(master: str) -> None:
    """A standalone master (``spark://h1:7077,h2:7077``) or a Kubernetes API answers on its port."""
    hosts = master.split("://", 1)[1]
    if master.startswith("k8s://"):
        hosts = re.sub(r"^https?://", "", hosts).split("/", 1)[0]
    tried = []
    for address in hosts.split(","):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"--master {master!r}: {address!r} is not HOST:PORT")
        try:
            with socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S):
                return
        except OSError as exc:
            tried.append(f"{address} ({exc.strerror or exc})")
    raise EngineError(f"the Spark master {master} cannot be reached: {'; '.join(tried)}. Check that it runs and "
                      "that this machine may connect to it, or use --master local[*]")


def spark_session(master: str = "local[*]", conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` (checked first; an active session in this process is reused)."""
    check_master(master)
    from pyspark.sql import SparkSession

    settings = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", "spark.log.level": "ERROR",
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.ansi.enabled": "true", "spark.sql.legacy.sizeOfNull": "false"}
    if master.startswith("local"):
        settings["spark.sql.shuffle.partitions"] = str(2 * (os.cpu_count() or 1))
    builder = SparkSession.builder.master(master).appName("patentatlas")
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start, the master refused the application
        raise EngineError(f"Spark did not start on {master}: {str(exc).splitlines()[0] if str(exc) else exc}") from exc


# --------------------------------------------------------------------------- a job


def register_dataset(spark: SparkSession, dataset: Dataset) -> None:
    """The export's tables as Spark views named as the store names them."""
    for table in REQUIRED_TABLES:
        path = str(dataset.table_path(table))
        reader = spark.read.option("basePath", path) if table == "patents" else spark.read
        reader.parquet(path).createOrReplaceTempView(table)
    spark.sql(_LEGAL_EVENTS_SQL).createOrReplaceTempView("legal_events")


def dataset_basis(spark: SparkSession, dataset: Dataset, as_of: str | dt.date | None = None) -> Basis:
    """The statistics date (default: the data's data date), the rule sets of the export, and
    whether status changes date grants and lapses."""
    first, data_date = spark.sql(DATA_DATES_SQL).collect()[0]
    date, data_date = checked_dates(first, data_date, as_of)
    changes = int(spark.sql(FINGERPRINT_SQL).collect()[0][2])
    rules = counting_rules(dataset.rule_set("indicators"), dataset.rule_set("annual_fees"))
    return Basis(date, data_date, rules, dataset.rule_set("high_value"), changes > 0)


def _view(spark: SparkSession, name: str, sql: str, params: dict[str, Any] | None = None) -> DataFrame:
    text, args = SPARK.bind(sql, params or {})
    frame = spark.sql(text, args=args).cache()
    frame.createOrReplaceTempView(name)
    return frame


def build_summaries(spark: SparkSession, basis: Basis) -> dict[str, DataFrame]:
    """The summary tables as cached Spark views (``summary_facts``, …), as the store builds them."""
    patents = _view(spark, "summary_patents", patent_facts_sql(basis, SPARK), basis.params())  # read twice
    text, args = SPARK.bind(patent_facts_sql(basis, SPARK, applicants=True), basis.params())
    spark.sql(text, args=args).createOrReplaceTempView("summary_patent_applicants")  # read once
    spark.sql(placement_facts_sql(SPARK)).createOrReplaceTempView("summary_placed_patents")  # read once
    _view(spark, "summary_industry_tags", industry_tags_sql(SPARK))
    tables = {table: _view(spark, table, summary_sql(table)) for table in TABLES}
    for frame in tables.values():
        frame.count()  # computed now, while the patents' facts are cached
    patents.unpersist()
    return tables


def indicator_tables(spark: SparkSession, top_n: int) -> dict[str, DataFrame]:
    """Every region's figures at every level and industry, from the summary views."""
    every = [figures.every(level) for level in figures.LEVELS]
    queries = {"region_head": figures.head_sql(every), "region_series": figures.series_sql(every),
               "region_top_applicants": figures.top_applicants_sql(every),
               "region_top_ipc": figures.with_ipc_titles(figures.top_ipc_sql(every))}
    out = {}
    for name, sql in queries.items():
        text, args = SPARK.bind(sql, {"top_n": top_n})
        out[name] = spark.sql(text, args=args)
    return out


def map_table(spark: SparkSession) -> DataFrame:
    """Each child region's applications, grants, valid and high-value inventions, under every parent
    of every level (keyed parent_level, parent_code, industry, child_level, child_code)."""
    parts = [figures.map_counts_sql(parent, child) for parent, children in MAP_CHILDREN.items()
             for child in children]
    return spark.sql(" UNION ALL ".join(parts))


def run_job(spark: SparkSession, dataset: Dataset, job: str, as_of: str | dt.date | None = None
            ) -> tuple[Basis, dict[str, DataFrame]]:
    """Run ``job`` on ``dataset``: its basis and its result tables (Spark DataFrames)."""
    if job not in JOBS:
        raise UsageError(f"no job named {job!r}: the jobs are {', '.join(JOBS)}")
    register_dataset(spark, dataset)
    basis = dataset_basis(spark, dataset, as_of)
    tables = build_summaries(spark, basis)
    if job == "indicators":
        tables = {**tables, **indicator_tables(spark, int(basis.rules["top_n"]))}
    elif job == "map":
        tables = {**tables, "map_counts": map_table(spark)}
    return basis, tables


def write_tables(tables: dict[str, DataFrame], output: Path, fmt: str = "parquet") -> dict[str, int]:
    """Each table into ``output/NAME/`` (one file: the results are small); rows written per table."""
    if fmt not in ("parquet", "csv"):
        raise UsageError(f"unknown output format {fmt!r}: use parquet or csv")
    output.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, frame in tables.items():
        writer = frame.coalesce(1).write.mode("overwrite")
        if fmt == "csv":
            writer.option("header", "true").csv(str(output / name))
        else:
            writer.parquet(str(output / name))
        rows[name] = frame.count()
    return rows


def load_into_store(conn: duckdb.DuckDBPyConnection, dataset: Dataset, basis: Basis, tables: dict[str, DataFrame],
                    seconds: float | None = None) -> dict[str, int]:
    """Replace the store's summary tables by Spark's, in one transaction; they describe the data of
    the export (its fingerprint), so the pages use them while the store holds that data."""
    started = time.perf_counter()
    arrows = {table: tables[table].toArrow() for table in TABLES}
    with transaction(conn):
        for table, arrow in arrows.items():
            conn.register("spark_summary", arrow)
            try:
                conn.execute(f"DELETE FROM {table}")
                conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM spark_summary")
            finally:
                conn.unregister("spark_summary")
        write_state(conn, basis, dataset.fingerprint(), "spark",
                    round((seconds or 0) + time.perf_counter() - started, 2))
    return {table: arrow.num_rows for table, arrow in arrows.items()}
