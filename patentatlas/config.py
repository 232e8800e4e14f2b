"""Settings: one table of (name, default, help) feeding the config, the CLI help and the docs.

Each setting can be given as an environment variable ``PATENTATLAS_<NAME>`` (upper case).
"""

from __future__ import annotations

import os
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
)
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> str:
    """The value of one setting: environment first, then the default."""
    if name == "port" and os.environ.get("PORT"):
        return os.environ["PORT"]
    return os.environ.get(f"PATENTATLAS_{name.upper()}", _BY_NAME[name].default)


def help_for(name: str) -> str:
    """The help text of one setting, for CLI options."""
    item = _BY_NAME[name]
    return f"{item.help} [env PATENTATLAS_{name.upper()}; default {item.default}]"
