"""Structures built from the reference tables are kept between processes (reference/cache.py):
built once and read after, built again when what they are built from changes, and never an
error when the folder cannot be written or a kept file is damaged."""

from __future__ import annotations

from pathlib import Path

import pytest

from patentatlas.reference.cache import cached


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATENTATLAS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return value
    return calls, build


def test_built_once_then_read(folder: Path, tmp_path: Path) -> None:
    source = tmp_path / "table.csv"
    source.write_text("code\n330100\n", encoding="utf-8")
    calls, build = _counting({"330100": ("杭州市",)})
    assert cached("table", build, source) == {"330100": ("杭州市",)}
    assert cached("table", build, source) == {"330100": ("杭州市",)}
    assert len(calls) == 1
    assert len(list(folder.glob("table-*.pickle"))) == 1


def test_a_changed_input_builds_again_and_drops_the_old_file(folder: Path, tmp_path: Path) -> None:
    source = tmp_path / "table.csv"
    source.write_text("code\n330100\n", encoding="utf-8")
    cached("table", lambda: "old", source)
    source.write_text("code\n330100\n330200\n", encoding="utf-8")
    assert cached("table", lambda: "new", source) == "new"
    kept = list(folder.glob("table-*.pickle"))
    assert len(kept) == 1 and cached("table", lambda: "not built", source) == "new"


def test_a_damaged_file_is_built_again(folder: Path, tmp_path: Path) -> None:
    source = tmp_path / "table.csv"
    source.write_text("x", encoding="utf-8")
    cached("table", lambda: [1, 2], source)
    (kept,) = folder.glob("table-*.pickle")
    kept.write_bytes(kept.read_bytes()[:5])
    assert cached("table", lambda: [1, 2, 3], source) == [1, 2, 3]
    assert cached("table", lambda: "not built", source) == [1, 2, 3]


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("PATENTATLAS_CACHE_DIR", str(blocked / "cache"))
    calls, build = _counting("built")
    assert [cached("table", build, blocked) for _ in range(2)] == ["built", "built"]
    assert len(calls) == 2


def test_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATENTATLAS_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls, build = _counting("built")
    cached("table", build, tmp_path)  # a folder is no input: only files are
    cached("table", build, tmp_path)
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []


def test_the_kept_region_index_places_as_a_fresh_one(folder: Path) -> None:
    """The region index read back from its file places addresses as the one just built."""
    from patentatlas.reference import regions

    addresses = ["浙江省杭州市余杭区五常街道文一西路969号", "杭州滨江区长河街道", "桐庐县城南街道",
                 "北京市海淀区中关村大街1号", "广东省深圳市南山区粤海街道"]

    def placed() -> list[str | None]:
        regions._index.cache_clear()
        regions.resolve_region.cache_clear()  # its answers are kept too: asked again, the index is read
        return [regions.resolve_region("某公司", a, None, "CN").region_code for a in addresses]

    fresh = placed()
    assert len(list(folder.glob("region-index-*.pickle"))) == 1
    assert fresh == ["330110005", "330108002", "330122004", "110108", "440305007"]
    assert placed() == fresh
