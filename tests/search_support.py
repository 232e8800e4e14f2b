"""What the search tests share: the loaded store with its search index, built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from patentatlas.search import rebuild_index

# the two rows of patentics_cn_title_VR_7805.csv whose title holds 内窥镜 (grep finds no other row in the four files)
ENDOSCOPES = {"CN201820922298.5", "CN201410722564.6"}
# incopat_chatbot_2798.csv: publication CN110750616B is application 2019109854857 (检索式聊天方法、装置以及计算机设备)
CHAT_RETRIEVAL = "CN201910985485.7"


@pytest.fixture(scope="session")
def indexed_db(loaded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the loaded store with its search index built beside it (once per session)."""
    path = tmp_path_factory.mktemp("indexed") / "store.duckdb"
    shutil.copy(loaded_db, path)
    conn = duckdb.connect(str(path), read_only=True)
    rebuild_index(conn)
    conn.close()
    return path


@pytest.fixture
def indexed(indexed_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect(str(indexed_db), read_only=True)
    yield conn
    conn.close()


def copy_with_index(db: Path, folder: Path) -> Path:
    """The store and its index copied into ``folder`` (as ``store.duckdb`` and ``store.duckdb.search``)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(Path(str(db) + ".search"), folder / "store.duckdb.search")
    shutil.copy(db, folder / "store.duckdb")
    return folder / "store.duckdb"
