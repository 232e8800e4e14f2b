"""Settings: one table of (name, default, help) feeding the config, the CLI help and the docs.

Each setting can be given as an environment variable ``PATENTATLAS_<NAME>`` (upper case).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting("db", "patentatlas.duckdb", "Path of the DuckDB store file."),
    Setting("host", "127.0.0.1", "Address the web server listens on."),
    Setting("port", "8000", "Port the web server listens on (PORT also works)."),
    Setting("lang", "zh", "Default language of the web pages: zh or en."),
    Setting("webhook_allowed_hosts", "", "Internal webhook receivers allowed despite a private, loopback or "
            "link-local address: host names as written in the URL, or networks like 10.20.0.0/16, comma-separated "
            "(default: none; webhooks go to public addresses only)."),
    Setting("xlsx_max_mb", "512", "Largest total uncompressed size of an XLSX file's parts, in MB; a bigger "
            "workbook is refused before it is read (zip bomb)."),
    Setting("xlsx_max_ratio", "100", "Largest compression ratio of an XLSX file's parts (uncompressed / "
            "compressed); spreadsheets compress about 5–20 times, bombs thousands of times."),
    Setting("max_cell_kb", "256", "Largest cell of an imported CSV or XLSX file, in KB; a bigger cell refuses "
            "the file, naming it and the row."),
    Setting("max_request_mb", "100", "Largest request body the web server reads, in MB (every route; an "
            "upload route may set a smaller limit); a bigger one is refused with HTTP 413 as it arrives."),
    Setting("trusted_proxies", "", "Addresses of reverse proxies whose X-Forwarded-For header is believed, "
            "comma-separated (default: none; the client address is the connection's)."),
    Setting("page_cache_mb", "256", "Memory for computed pages kept until the data changes, in MB (0: none kept; "
            "see patentatlas/web/page_cache.py)."),
    Setting("payment_list_max_mb", "10", "Largest payment list (CSV) an enterprise may upload, in MB."),
    Setting("home_region", "330000", "The office's own region (adcode): where the region link of the menu opens "
            "(a county office sets its county, e.g. 330122 桐庐县)."),
    Setting("cache_dir", "", "Folder where structures built from the reference tables (the region index, the IPC "
            "classes) are kept between processes (default: $XDG_CACHE_HOME/patentatlas or ~/.cache/patentatlas; "
            "off: none kept)."),
    Setting("memory_limit", "512MB", "DuckDB's memory limit for the store (big imports spill to disk beyond it)."),
    Setting("scheduler", "on", "Whether the web server runs the daily warning job and the deliveries itself "
            "(off: run 'patentatlas alerts run' from cron instead)."),
    Setting("alerts_hour", "7", "Local hour (0–23) at which the server runs the daily warning job."),
    Setting("smtp_host", "", "SMTP server for warning e-mails (default: none; warnings stay in the inbox)."),
    Setting("smtp_port", "25", "SMTP port."),
    Setting("smtp_sender", "", "From address of warning e-mails (required with smtp_host)."),
    Setting("smtp_user", "", "SMTP user name, if the server needs one."),
    Setting("smtp_password", "", "SMTP password, if the server needs one."),
    Setting("smtp_starttls", "false", "Whether to use STARTTLS (true/false)."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str, env: Mapping[str, str] | None = None) -> str:
    """The value of one setting: environment (``env``, default the process's) first, then the default.

    >>> setting("alerts_hour", {}), setting("alerts_hour", {"PATENTATLAS_ALERTS_HOUR": "18"})
    ('7', '18')
    """
    values = os.environ if env is None else env
    if name == "port" and values.get("PORT"):
        return values["PORT"]
    return values.get(f"PATENTATLAS_{name.upper()}", _BY_NAME[name].default)


def help_for(name: str) -> str:
    """The help text of one setting, for CLI options."""
    item = _BY_NAME[name]
    return f"{item.help} [env PATENTATLAS_{name.upper()}; default {item.default}]"
