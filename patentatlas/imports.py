"""Importing a file: the store loads it (:mod:`patentatlas.store.loader`), then everything that
follows the data is brought up to date — one service above the store, so the store never imports
the domain.

>>> report = import_file(conn, Path("incopat_toyota_autodrive_5048.csv"))  # doctest: +SKIP
>>> report.loaded, report.updated, report.unchanged, report.quarantined  # doctest: +SKIP
(4041, 1006, 0, 1)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from patentatlas.analytics.summaries import refresh_summaries
from patentatlas.domain.industries import recompute_specialty
from patentatlas.domain.placement import place_patents
from patentatlas.domain.value import refresh_values
from patentatlas.search.upkeep import after_import
from patentatlas.store import transaction
from patentatlas.store.loader import (
    BATCH_ROWS,
    ImportReport,
    Progress,
    drop_first_applicants,
    load_file,
    record_patent_figures,
)
from patentatlas.store.version import changes_held


def import_file(conn: duckdb.DuckDBPyConnection, path: Path, *, mapping: dict[str, str] | None = None,
                observed_on: dt.date | None = None, progress: Progress | None = None,
                batch_rows: int = BATCH_ROWS, apart: bool = False) -> ImportReport:
    """Import one file (see :func:`patentatlas.store.loader.load_file` for batches and accounting),
    then: the specialty databases, the placement of the patents it wrote or saw, the file's
    figures over those patents (how far they were placed), the value scores, the search index,
    the summary tables the region pages read."""
    with changes_held(conn):  # the pages see one change: the import done, not each of its steps
        report = load_file(conn, path, mapping=mapping, observed_on=observed_on, progress=progress,
                           batch_rows=batch_rows, apart=apart)
        recompute_specialty(conn)  # specialty databases follow the data (one query each; none defined: none)
        with transaction(conn):  # the directory and registrations may place the imported patents better
            place_patents(conn, batches=report.batch_ids, resolved=report.first_applicants)
        drop_first_applicants(conn, report)
        record_patent_figures(conn, report)  # after placement: how far the file's patents were placed, and how
        refresh_values(conn)  # value scores follow the data: cohorts change (about 1 s per million patents)
        after_import(conn, report.batch_ids)  # the search index (where built), saved searches' new matches
        refresh_summaries(conn)  # the pages' summaries (about 2.6 s per million patents)
        return report
