"""The alerts job inside the web server: a daemon thread that runs ``run_alerts`` once a day and
sends the deliveries due every 10 minutes.

The daily run happens at startup when today's run is missing from ``job_runs``, and otherwise
from ``PATENTATLAS_ALERTS_HOUR`` (0–23, local time, default 7) once today's run is missing.
After it, the patents are rewritten in region order if an import came since the last time
(:mod:`patentatlas.store.cluster`), and the summary tables the pages read are refreshed if the
data changed since they were built (:mod:`patentatlas.analytics.summaries`). Mail settings are
read from ``PATENTATLAS_SMTP_*`` at each pass, so fixing them needs no restart.
``PATENTATLAS_SCHEDULER=off`` switches the thread off (a second server on the same store, tests).
An error is logged and the thread goes on: it never takes the server down. Each delivery pass
also deletes the sessions that have expired.

The thread has a cursor of its own, and DuckDB keeps each transaction's snapshot: pages read on
while the job writes, and never wait for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import duckdb

from patentatlas.analytics.summaries import refresh_summaries_if_needed
from patentatlas.config import setting
from patentatlas.delivery.mail import MailSettings
from patentatlas.domain.accounts import now as utc_now
from patentatlas.domain.outbox import deliver_pending
from patentatlas.domain.warnings import ran_on, run_alerts
from patentatlas.errors import UsageError
from patentatlas.search.freshness import sync_index
from patentatlas.store.cluster import cluster_patents, needs_clustering

log = logging.getLogger(__name__)

ENV_SWITCH = "PATENTATLAS_SCHEDULER"
ENV_HOUR = "PATENTATLAS_ALERTS_HOUR"
DEFAULT_HOUR = 7
DELIVERY_INTERVAL = dt.timedelta(minutes=10)
RETRY_AFTER = dt.timedelta(minutes=10)  # after a failed daily run: not every tick, the log would fill
TICK_S = 30.0


def alerts_hour(env: dict[str, str] | None = None) -> int:
    """The local hour of the daily run.

    >>> alerts_hour({}), alerts_hour({"PATENTATLAS_ALERTS_HOUR": "18"})
    (7, 18)
    """
    text = setting("alerts_hour", env).strip()
    if not text:
        return DEFAULT_HOUR
    if not text.isdigit() or not 0 <= int(text) <= 23:
        raise UsageError(f"{ENV_HOUR} must be an hour 0–23, got {text!r}")
    return int(text)


class Scheduler:
    """The thread and what it does on each tick; ``tick`` is public so that tests can drive it."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, hour: int, *, tick_s: float = TICK_S,
                 clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.conn = conn
        self.hour = hour
        self.tick_s = tick_s
        self.clock = clock  # local time: the hour and the job's date
        self.caught_up = False  # until then, today's missing run runs at once (startup)
        self.last_delivery: dt.datetime | None = None
        self.failed_at: dt.datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="patentatlas-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        cursor = self.conn.cursor()  # DuckDB's rule for threads: a cursor of one's own
        try:
            while not self._stop.is_set():
                self.tick(cursor)
                self._stop.wait(self.tick_s)
        finally:
            cursor.close()

    def tick(self, cursor: duckdb.DuckDBPyConnection) -> str | None:
        """One look at the clock: run the day's job or a delivery pass if one is due; what it ran."""
        local = self.clock()
        try:
            return self._due_work(cursor, local)
        except Exception:  # logged, never fatal: tried again later
            self.failed_at = local
            log.exception("alerts scheduler: the work due at %s failed", local.isoformat(timespec="seconds"))
            return None

    def _daily_run_due(self, cursor: duckdb.DuckDBPyConnection, local: dt.datetime) -> bool:
        if self.failed_at is not None and local - self.failed_at < RETRY_AFTER:
            return False
        if ran_on(cursor, local.date()):
            self.caught_up = True
            return False
        return not self.caught_up or local.hour >= self.hour

    def _due_work(self, cursor: duckdb.DuckDBPyConnection, local: dt.datetime) -> str | None:
        if self._daily_run_due(cursor, local):
            summary = run_alerts(cursor, local.date(), MailSettings.from_env())
            self.caught_up, self.last_delivery = True, local
            log.info("alerts run for %s: %s", local.date(), summary)
            if needs_clustering(cursor):  # after the day's imports: each region's patents together again
                log.info("patents clustered by region: %s", cluster_patents(cursor))
            refreshed = refresh_summaries_if_needed(cursor)  # after placements or industries changed
            if refreshed:
                log.info("summary tables refreshed: %s", refreshed)
            synced = sync_index(cursor, force=False)  # the same changes in the search index (else: the next search)
            if synced and (synced["changed"] or synced["gone"]):
                log.info("search index synced with the store: %s", synced)
            return "alerts"
        if self.last_delivery is None or local - self.last_delivery >= DELIVERY_INTERVAL:
            self.last_delivery = local
            deliver_pending(cursor, MailSettings.from_env(), utc_now())
            purge_expired_sessions(cursor, utc_now())
            return "deliveries"
        return None


def purge_expired_sessions(cursor: duckdb.DuckDBPyConnection, at: dt.datetime) -> int:
    """Delete the sessions expired at ``at`` (UTC); how many went."""
    gone = cursor.execute("DELETE FROM sessions WHERE expires_at < ? RETURNING user_id", [at]).fetchall()
    return len(gone)


def start_scheduler(conn: duckdb.DuckDBPyConnection) -> Scheduler | None:
    """The running scheduler, or None where ``PATENTATLAS_SCHEDULER=off``."""
    if setting("scheduler").strip().lower() == "off":
        return None
    scheduler = Scheduler(conn, alerts_hour())
    scheduler.start()
    return scheduler


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """The app's lifespan: the scheduler runs while the app does."""
    scheduler = start_scheduler(app.state.conn)
    try:
        yield
    finally:
        if scheduler is not None:
            await asyncio.to_thread(scheduler.stop)
