"""The indicators' SQL, written once for two engines: DuckDB (the store) and Spark SQL (the
Parquet export, on a cluster).

- :mod:`patentatlas.analytics.dialect`: the few spellings in which the engines differ;
- :mod:`patentatlas.analytics.summaries`: the summary tables (region × industry × type × status ×
  year, top applicants, top IPC) built from ``patents`` with the facts of
  :func:`patentatlas.domain.high_value.facts_from`, and the indicator queries that read them;
- :mod:`patentatlas.analytics.spark`: the same queries through a Spark session.
"""
