"""A Parquet export as a job's input, checked before any work starts: written by this schema
version, holding every table the indicators read, with the rule sets it was counted by.

>>> open_dataset(Path("/tmp/nothing-here"))  # doctest: +SKIP
Traceback (most recent call last):
DatasetError: /tmp/nothing-here is not a PatentAtlas Parquet export (no manifest.json): …
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patentatlas.errors import DatasetError
from patentatlas.store.export import MANIFEST, MANIFEST_RULE_SETS, PARQUET_FORMAT
from patentatlas.store.schema import MIGRATIONS

# the tables the indicator jobs read (patents: a folder partitioned by filing year)
REQUIRED_TABLES = ("patents", "status_changes", "placements", "regions", "ipc", "sei_industries")
SCHEMA_VERSION = max(version for version, _name, _sql in MIGRATIONS)
_EXPORT_AGAIN = "export it again with this version: patentatlas --db STORE export --format parquet -o DIR"


@dataclass(frozen=True)
class Dataset:
    """A checked Parquet export: its folder and its manifest."""

    root: Path
    manifest: dict[str, Any]

    def table_path(self, table: str) -> Path:
        return self.root / table if table == "patents" else self.root / f"{table}.parquet"

    def rule_set(self, name: str) -> dict[str, Any]:
        rules: dict[str, Any] = self.manifest["rule_sets"][name]
        return rules

    def fingerprint(self) -> tuple[int, int | None, int]:
        m = self.manifest
        return int(m["patents"]), m["last_batch_id"], int(m["status_changes"])


def open_dataset(root: Path) -> Dataset:
    """The export in ``root``, or a :class:`DatasetError` saying what is wrong with it."""
    manifest_path = root / MANIFEST
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder: give the folder `patentatlas export --format parquet` wrote")
    if not manifest_path.is_file():
        raise DatasetError(f"{root} is not a PatentAtlas Parquet export (no {MANIFEST}): {_EXPORT_AGAIN}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{manifest_path} cannot be read ({exc}): {_EXPORT_AGAIN}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != PARQUET_FORMAT:
        raise DatasetError(f"{manifest_path} does not describe a PatentAtlas Parquet export: {_EXPORT_AGAIN}")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise DatasetError(f"{root} was exported by schema version {version}; this PatentAtlas reads version "
                           f"{SCHEMA_VERSION} (the tables' columns differ between versions): {_EXPORT_AGAIN}")
    dataset = Dataset(root, manifest)
    missing = [t for t in REQUIRED_TABLES if not _has_parquet(dataset.table_path(t))]
    if missing:
        raise DatasetError(f"{root} lacks the table{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(dataset.table_path(t).name for t in missing)} that the indicators read "
                           f"(reference tables travel with the export): {_EXPORT_AGAIN}")
    for name in MANIFEST_RULE_SETS:
        if name not in manifest.get("rule_sets", {}):
            raise DatasetError(f"{manifest_path} names no {name} rule set: {_EXPORT_AGAIN}")
    return dataset


def _has_parquet(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.rglob("*.parquet")))
