"""What the doctests in ``patentatlas/`` may use (``make test`` runs them): ``DATA``, the shared
sample data, so examples read real files as a user would (``DATA / "cn_patents" / ...``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _doctest_data(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["DATA"] = DATA
