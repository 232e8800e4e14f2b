"""The `patentatlas` commands for indicators."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add this module's commands to the `patentatlas` group."""
