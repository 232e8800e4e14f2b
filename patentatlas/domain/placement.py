"""Placing each patent in its county and township by the best evidence at hand (DESIGN: Placement).

The first applicant of a patent is placed by, in this order:

1. ``directory``: the office's enterprise directory, matched by normalised name or former name
   (full- and half-width brackets, spaces; 有限责任公司 = 有限公司 only through the directory's own
   entry — a match on the legal-form key alone, unique in the directory);
2. ``registration``: a registered enterprise's profile (the credit code's administrative
   division), matched by its registered name or a variant it declared;
3. ``address``: the first applicant's address in the export;
4. ``name``: a county or district inside the name (桐庐县…, 杭州滨江…, 余杭区…), else the city or
   province it gives.

The first evidence that reaches a county decides; where none does, the most specific one. The
township comes from the deciding evidence, else from another one in the same county. Each
patent's method, confidence and enterprise (``enterprise_key``: one enterprise whatever the
spelling) are stored in ``placements``; the codes themselves go to the patents'
``first_applicant_*`` columns, which every region query reads. Placement is redone for the
patents an import, a directory import or a registration touches.

>>> place_patents(conn)["placed"]  # doctest: +SKIP
16162
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pyarrow as pa

from patentatlas.analytics.summaries import mark_summaries_stale
from patentatlas.normalize.names import legal_form_key, normalize_name
from patentatlas.reference.region_table import LEVELS, _chain, region_level
from patentatlas.reference.regions import RegionMatch, record_region
from patentatlas.search.freshness import mark_index_stale
from patentatlas.store import in_batches

METHODS = ("directory", "registration", "address", "name", "source_country", "filing_office", "none")
STRONG = frozenset({"directory", "registration"})  # evidence about the enterprise, not about one record
_STRONG_SQL = "(" + ", ".join(f"'{method}'" for method in sorted(STRONG)) + ")"  # the same, as SQL
REGISTRATION_CONFIDENCE = {"province": 0.7, "city": 0.8, "county": 0.9, "township": 0.9}
LEGAL_FORM_SQL = "regexp_replace({column}, '有限责任公司$', '有限公司')"  # = normalize.names.legal_form_key
_RANK: dict[str | None, int] = {None: 0, **{level: i for i, level in enumerate(LEVELS, start=1)}}
_REGION_COLUMNS = ("first_applicant_region_code", "first_applicant_province_code", "first_applicant_city_code",
                   "first_applicant_county_code", "first_applicant_country")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where one piece of evidence puts an applicant, how, how sure, and which enterprise it is."""

    method: str
    confidence: float
    country: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    key: str | None = None  # the enterprise: uscc:… | dir:… (directory without a credit code)
    name: str | None = None  # the enterprise's name as the directory or the registration writes it
    source: str | None = None  # the entry, credit code, address or name relied on
    township_method: str | None = None

    @property
    def region_code(self) -> str | None:
        return self.township or self.county or self.city or self.province

    @property
    def level(self) -> str | None:
        for level, code in zip(LEVELS[::-1], (self.township, self.county, self.city, self.province), strict=True):
            if code:
                return level
        return None


def from_code(code: str | None, method: str, confidence: float, **extra: Any) -> Evidence:
    """Evidence placing in the region ``code`` (any level) and its ancestors."""
    chain = _chain(code) if code else {}
    return Evidence(method, confidence, "CN" if chain else None, chain.get("province"), chain.get("city"),
                    chain.get("county"), chain.get("township"), **extra)


def choose(candidates: Iterable[Evidence | None]) -> Evidence:
    """The deciding evidence (the first reaching a county, else the most specific), with a township
    taken from another piece of evidence in the same county where it has none.

    >>> choose([from_code("330100", "directory", 0.9), from_code("330108002", "address", 0.97)]).method
    'address'
    """
    found = [c for c in candidates if c is not None]
    if not found:
        return Evidence("none", 0.0)
    best = next((c for c in found if c.county), None)
    if best is None:
        best = max(found, key=lambda c: _RANK[c.level])  # max keeps the first of equals: the order decides
    if best.township:
        return replace(best, township_method=best.method)
    town = next((c for c in found if c.township and c.county == best.county), None)
    if town is not None:
        return replace(best, township=town.township, township_method=town.method)
    return best


# --------------------------------------------------------------------------- the evidence about enterprises


class EnterpriseIndex:
    """The directory and the registered enterprises, by normalised name and legal-form key."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.directory: dict[str, Evidence | None] = {}
        self.directory_loose: dict[str, Evidence | None] = {}
        self.registered: dict[str, Evidence | None] = {}
        self.registered_loose: dict[str, Evidence | None] = {}
        self._load_directory(conn)
        self._load_registered(conn)

    @staticmethod
    def _add(exact: dict[str, Evidence | None], loose: dict[str, Evidence | None], names: Iterable[str],
             evidence: Evidence) -> None:
        """Index an enterprise under its names; a name two enterprises share indexes neither."""
        for name in {normalize_name(n) for n in names if n and n.strip()}:
            for index, key in ((exact, name), (loose, legal_form_key(name))):
                known = index.get(key, evidence)
                index[key] = evidence if known is not None and known.key == evidence.key else None

    def _load_directory(self, conn: duckdb.DuckDBPyConnection) -> None:
        rows = conn.execute(
            "SELECT entry_key, name, former_names, uscc, county_code, township_code, city_code, province_code, "
            "region_confidence FROM directory").fetchall()
        for entry_key, name, former, uscc, county, township, city, province, confidence in rows:
            key = f"uscc:{uscc}" if uscc else f"dir:{entry_key.removeprefix('name:')}"
            evidence = from_code(township or county or city or province, "directory", confidence or 0.0,
                                 key=key, name=name, source=entry_key)
            self._add(self.directory, self.directory_loose, [name, *former], evidence)

    def _load_registered(self, conn: duckdb.DuckDBPyConnection) -> None:
        columns = {d[0] for d in conn.execute("SELECT * FROM enterprises LIMIT 0").description}
        verified = "WHERE status = 'verified'" if "status" in columns else ""  # pending and refused: no evidence
        rows = conn.execute(f"SELECT name, uscc, name_variants, region_code FROM enterprises {verified}").fetchall()
        for name, uscc, variants, region in rows:
            confidence = REGISTRATION_CONFIDENCE.get(region_level(region) or "", 0.0) if region else 0.0
            evidence = from_code(region, "registration", confidence,
                                 key=f"uscc:{uscc}", name=name, source=uscc)
            self._add(self.registered, self.registered_loose, [name, *variants], evidence)

    @staticmethod
    def _find(exact: dict[str, Evidence | None], loose: dict[str, Evidence | None], name: str) -> Evidence | None:
        if name in exact:
            return exact[name]
        return loose.get(legal_form_key(name))

    def lookup(self, normalized: str) -> tuple[Evidence | None, Evidence | None]:
        """(directory evidence, registration evidence) for an applicant's normalised name."""
        return (self._find(self.directory, self.directory_loose, normalized),
                self._find(self.registered, self.registered_loose, normalized))

    def __bool__(self) -> bool:
        return bool(self.directory or self.registered)

    def names(self) -> set[str]:
        """Every name and legal-form key indexed."""
        return {*self.directory, *self.directory_loose, *self.registered, *self.registered_loose}


def enterprise_of(normalized: str, directory: Evidence | None, registration: Evidence | None) -> tuple[str, str]:
    """(enterprise key, display name): the credit code where known, else the directory entry, else the name."""
    key = next((e.key for e in (directory, registration) if e and e.key and e.key.startswith("uscc:")), None)
    key = key or (directory.key if directory and directory.key else f"name:{normalized}")
    name = (directory and directory.name) or (registration and registration.name) or normalized
    return key, name


def _record_evidence(name: str, address: str | None, office: str | None) -> Evidence:
    return _evidence(record_region(name, address, office), name, address)


def _evidence(match: RegionMatch, name: str, address: str | None) -> Evidence:
    """The record's evidence for an applicant its name and address put at ``match``."""
    source = address if match.method == "address" else name
    return Evidence(match.method, match.confidence, match.country, match.province_code, match.city_code,
                    match.county_code, match.township_code, source=source)


# --------------------------------------------------------------------------- placing patents


_SCOPE_SQL = "p.applicant_names[1] IS NOT NULL{numbers}"
_DISTINCT_SQL = ("SELECT DISTINCT p.applicant_names[1], p.first_applicant_address, p.country FROM patents p "
                 "WHERE {scope}")
# the same, with where the record puts each one where an import's helper resolved it already
# (importers.parties.first_applicants: one row per key, or several equal ones)
_RESOLVED_SQL = """SELECT k.*, r.method, r.confidence, r.country, r.province, r.city, r.county, r.township, r.normalized
FROM ({distinct}) k(name, address, office) LEFT JOIN (SELECT DISTINCT * FROM {resolved}) r
  ON r.name = k.name AND r.address IS NOT DISTINCT FROM k.address AND r.office IS NOT DISTINCT FROM k.office"""
_STAGED = ("name", "address", "office", "enterprise_key", "enterprise_name", "method", "confidence", "township_method",
           "evidence", *_REGION_COLUMNS)
# every patent of the scope and the placement of its (first applicant, address, office) by number
# (``key``), whether that placement is new to it (``changed``; ``replaces``: it had one) and whether
# its codes move (``moves``): four narrow columns, not the placement's
_PLACING_SQL = """CREATE OR REPLACE TEMP TABLE placed_now AS
SELECT p.application_number, s.key,
  pl.application_number IS NULL OR (pl.enterprise_key, pl.enterprise_name, pl.method, pl.confidence,
    pl.township_method, pl.evidence) IS DISTINCT FROM (s.enterprise_key, s.enterprise_name, s.method,
    s.confidence, s.township_method, s.evidence) AS changed,
  pl.application_number IS NOT NULL AS replaces,
  ({differs}) AND (s.method IN {strong} OR pl.method IN {strong}
    OR p.first_applicant_country IS NULL OR s.first_applicant_country = p.first_applicant_country) AS moves
FROM patents p JOIN placed_keys s ON s.name = p.applicant_names[1]
  AND s.address = coalesce(p.first_applicant_address, '') AND s.office = coalesce(p.country, '')
LEFT JOIN placements pl USING (application_number) WHERE {scope}"""
# the codes change where they differ, unless only the record placed it and in another country (the
# import knew the source's own country, which placing again does not): ``moves`` above
_DIFFERS = " OR ".join(f"s.{c} IS DISTINCT FROM p.{c}" for c in _REGION_COLUMNS)


class _Placer:
    """Places each distinct (first applicant, address, office) once."""

    def __init__(self, index: EnterpriseIndex) -> None:
        self.index = index

    def place(self, name: str, address: str | None, office: str | None,
              record: Evidence | None = None) -> tuple[Evidence, str, str]:
        """``record``: the record's evidence where it was resolved already (an import's helper)."""
        normalized = normalize_name(name)
        directory, registration = self.index.lookup(normalized) if self.index else (None, None)
        strong = choose([directory, registration])
        if strong.township or (strong.county and not address):
            chosen = strong  # the record could add nothing: no need to read it
        else:
            chosen = choose([directory, registration, record or _record_evidence(name, address, office)])
        return (chosen, *enterprise_of(normalized, directory, registration))


def place_patents(conn: duckdb.DuckDBPyConnection, numbers: list[str] | None = None, *,
                  batches: list[int] | None = None, resolved: str | None = None) -> dict[str, Any]:
    """Place the patents ``numbers`` (all when None), or those the import ``batches`` wrote or saw
    (chosen in the store: an import of a million patents hands none of their numbers to Python),
    again; returns how many were placed and moved. ``resolved``: a table of first applicants
    already placed by their record (:func:`patentatlas.importers.parties.first_applicants`).

    >>> place_patents(conn, ["CN202010302257.8"])  # doctest: +SKIP
    {'placed': 1, 'moved': 0, 'seconds': 0.01}
    """
    started = time.perf_counter()
    if (numbers is not None and not numbers) or (batches is not None and not batches):
        return {"placed": 0, "moved": 0, "seconds": 0.0}
    chosen, scope = _scope(conn, numbers, batches)
    try:
        placer = _Placer(EnterpriseIndex(conn))
        conn.register("indexed_names", pa.table({"n": pa.array(sorted(placer.index.names()), pa.string())}))
        placed = moved = 0
        for part in _slices(conn, scope, _keys_at_most(conn, numbers, resolved)):
            part_placed, part_moved = _place_slice(conn, part, placer, resolved)
            placed, moved = placed + part_placed, moved + part_moved
        if placed:  # regions and enterprises the summaries count by may have changed: read patents until a refresh
            mark_summaries_stale(conn)
        if moved:  # the search documents of the moved patents hold their old regions
            mark_index_stale(conn)
        _place_parties(conn, chosen, placer.index)
    finally:  # quietly: a failed statement has aborted the transaction, and its error is the one to see
        for name in ("placing_scope", "indexed_names"):
            with suppress(duckdb.Error):
                conn.unregister(name)
    return {"placed": placed, "moved": moved, "seconds": round(time.perf_counter() - started, 2)}


def _scope(conn: duckdb.DuckDBPyConnection, numbers: list[str] | None,
           batches: list[int] | None) -> tuple[str | None, str]:
    """(a query of the chosen patents' numbers, None for all; the condition on patents ``p`` placement
    reads). An import's batches are read by their column: a batch's rows lie together, the store skips
    the others (a temporary table of their numbers joined to every patent took 1.4-1.9 s of a million)."""
    if numbers is not None:
        conn.register("placing_scope", pa.table({"k": pa.array(sorted(set(numbers)), pa.string())}))
        return "SELECT k FROM placing_scope", _SCOPE_SQL.format(
            numbers=" AND p.application_number IN (SELECT k FROM placing_scope)")
    if batches is not None:
        return (f"SELECT application_number FROM patents WHERE {in_batches('last_batch_id', batches)}",
                _SCOPE_SQL.format(numbers=f" AND {in_batches('p.last_batch_id', batches)}"))
    return None, _SCOPE_SQL.format(numbers="")


SLICE_KEYS = 200_000  # distinct first applicants placed at a time: their placements are staged in the store's memory
_KEY_HASH = "hash(p.applicant_names[1], p.first_applicant_address, p.country)"


def _keys_at_most(conn: duckdb.DuckDBPyConnection, numbers: list[str] | None, resolved: str | None) -> int | None:
    """A bound on the distinct first applicants to place, where one is known without counting them: the
    patents named, or the import's resolved first applicants (every one of its patents' is there)."""
    if numbers is not None:
        return len(numbers)
    if resolved:
        return int(conn.execute(f"SELECT count(*) FROM {resolved}").fetchall()[0][0])
    return None


def _slices(conn: duckdb.DuckDBPyConnection, scope: str, at_most: int | None = None) -> list[str]:
    """The scope in slices of about :data:`SLICE_KEYS` distinct (first applicant, address, office)
    by a hash of them: a million patents of a million distinct applicants staged at once ran out of
    the store's 512 MB, while a million patents of 15,000 applicants are one slice (each slice
    reads every patent of the scope: five slices of them took twice the time of one). ``at_most``:
    a bound on the keys known already (one slice below :data:`SLICE_KEYS`, no count: 0.24 s of a
    million patents)."""
    if at_most is not None and at_most <= SLICE_KEYS:
        return [scope]
    keys = conn.execute(f"SELECT approx_count_distinct({_KEY_HASH}) FROM patents p WHERE {scope}").fetchall()[0][0]
    parts = max(1, -(-keys // SLICE_KEYS))
    if parts == 1:
        return [scope]
    return [f"{scope} AND {_KEY_HASH} % {parts} = {part}" for part in range(parts)]


def _place_slice(conn: duckdb.DuckDBPyConnection, scope: str, placer: _Placer,
                 resolved: str | None) -> tuple[int, int]:
    distinct = _DISTINCT_SQL.format(scope=scope)
    try:
        if resolved:  # the keys once, with which way each is placed
            unknown = f" AND NOT {_INDEXED_SQL.format(column='normalized')}" if placer.index else ""
            by_record = _BY_RECORD_SQL.format(unknown=unknown)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE slice_keys AS SELECT *, {by_record} AS by_record "
                         f"FROM ({_RESOLVED_SQL.format(distinct=distinct, resolved=resolved)})")
            conn.execute("CREATE OR REPLACE TEMP TABLE placed_keys AS "
                         f"{_RECORD_PLACED_SQL.format(keys='SELECT * FROM slice_keys WHERE by_record')}")
            _stage(conn, conn.execute("SELECT * EXCLUDE (by_record) FROM slice_keys WHERE NOT by_record").fetchall(),
                   placer)
        else:
            _stage(conn, conn.execute(distinct).fetchall(), placer, first=True)
        return _write(conn, scope)
    finally:
        with suppress(duckdb.Error):
            conn.unregister("staged_keys")
        with suppress(duckdb.Error):  # an aborted transaction: its error is the one to see
            conn.execute("DROP TABLE IF EXISTS placed_keys; DROP TABLE IF EXISTS slice_keys")


def _stage(conn: duckdb.DuckDBPyConnection, keys: list[tuple[Any, ...]], placer: _Placer,
           first: bool = False) -> None:
    """The placements of ``keys`` placed in Python: ``placed_keys`` itself (``first``), or added to
    it, numbered after its rows."""
    if first:
        conn.register("staged_keys", _staged(keys, placer))
        conn.execute("CREATE OR REPLACE TEMP TABLE placed_keys AS SELECT * FROM staged_keys")
    elif keys:
        offset = int(conn.execute("SELECT count(*) FROM placed_keys").fetchall()[0][0])
        conn.register("staged_keys", _staged(keys, placer))
        conn.execute(f"INSERT INTO placed_keys BY NAME SELECT * REPLACE (key + {offset} AS key) FROM staged_keys")


# the keys the record alone places: resolved by the import's helper, their normalised name (and its
# legal-form key) in no directory entry or registration: what _Placer.place gives them (the record's
# evidence, a township's method its own; the enterprise their name), set-based, no row in Python (a
# million new applicants: the Python took 19 s). It says again in SQL what _Placer.place, choose,
# _evidence and enterprise_of say for such a key: tests/test_store_import.py places files both ways
# (the helper's, and this process's Python alone), with and without a directory, and compares.
_BY_RECORD_SQL = "method IS NOT NULL AND normalized IS NOT NULL{unknown}"
_RECORD_PLACED_SQL = """SELECT name, coalesce(address, '') AS address, coalesce(office, '') AS office,
  'name:' || normalized AS enterprise_key, normalized AS enterprise_name, method, confidence,
  CASE WHEN township IS NOT NULL THEN method END AS township_method,
  CASE WHEN method = 'address' THEN address ELSE name END AS evidence,
  coalesce(township, county, city, province) AS first_applicant_region_code, province AS first_applicant_province_code,
  city AS first_applicant_city_code, county AS first_applicant_county_code, country AS first_applicant_country,
  (row_number() OVER () - 1)::INTEGER AS key
FROM ({keys})"""


# a normalised name, or its legal-form key, that the enterprise evidence indexes (EnterpriseIndex.names,
# registered as indexed_names by place_patents): a name the index may know (EnterpriseIndex.lookup)
_INDEXED_SQL = ("({column} IN (SELECT n FROM indexed_names) OR "
                f"{LEGAL_FORM_SQL.format(column='{column}')} IN (SELECT n FROM indexed_names))")


def _staged(keys: list[tuple[Any, ...]], placer: _Placer) -> pa.Table:
    """One row per distinct (first applicant, address, office): its placement."""
    out: dict[str, list[Any]] = {k: [] for k in _STAGED}
    for name, address, office, *resolved in keys:
        evidence, key, display = placer.place(name, address, office, _resolved(name, address, resolved))
        values = (name, address or "", office or "", key, display, evidence.method, evidence.confidence,
                  evidence.township_method, evidence.source, evidence.region_code, evidence.province,
                  evidence.city, evidence.county, evidence.country)
        for column, value in zip(_STAGED, values, strict=True):
            out[column].append(value)
    staged = pa.table({k: pa.array(v, pa.float64() if k == "confidence" else pa.string()) for k, v in out.items()})
    return staged.append_column("key", pa.array(range(staged.num_rows), pa.int32()))


def _resolved(name: str, address: str | None, row: list[Any]) -> Evidence | None:
    """The record's evidence from a resolved first applicant's row, as :func:`_record_evidence` gives it."""
    if not row or row[0] is None:
        return None
    method, confidence, country, province, city, county, township, _normalized = row
    return _evidence(RegionMatch(country, province, city, county, township, method, confidence), name, address)


def _write(conn: duckdb.DuckDBPyConnection, scope: str) -> tuple[int, int]:
    """Write the placements and the changed codes; (patents placed, patents whose codes changed)."""
    conn.execute(_PLACING_SQL.format(differs=_DIFFERS, strong=_STRONG_SQL, scope=scope))
    try:
        placed, moved, replaced = conn.execute(
            "SELECT count(*), coalesce(count_if(moves), 0), coalesce(count_if(changed AND replaces), 0) "
            "FROM placed_now").fetchall()[0]
        if moved:
            sets = ", ".join(f"{c} = s.{c}" for c in _REGION_COLUMNS)
            conn.execute(f"UPDATE patents SET {sets} FROM placed_now w JOIN placed_keys s USING (key) "
                         "WHERE w.moves AND patents.application_number = w.application_number")
        if replaced:
            conn.execute("DELETE FROM placements WHERE application_number IN "
                         "(SELECT application_number FROM placed_now WHERE changed AND replaces)")
        conn.execute("INSERT INTO placements BY NAME SELECT w.application_number, s.enterprise_key, s.enterprise_name, "
                     "s.method, s.confidence, s.township_method, s.evidence FROM placed_now w "
                     "JOIN placed_keys s USING (key) WHERE w.changed")
    finally:
        with suppress(duckdb.Error):  # an aborted transaction: its error is the one to see
            conn.execute("DROP TABLE IF EXISTS placed_now")
    return int(placed), int(moved)


# only the applicants the enterprise evidence names, or named before: the others keep what the import
# found (a NULL enterprise_key is the party's own normalised name)
_PARTIES_SQL = """SELECT DISTINCT pa.party_id, pa.name, pa.normalized_name, pa.address, pa.region_method,
  pa.enterprise_key FROM parties pa JOIN patent_parties pp USING (party_id)
WHERE pp.role = 'applicant' {where} AND (pa.region_method IN {strong}
  OR pa.enterprise_key IS NOT NULL OR {indexed})"""
_PARTY_COLUMNS = ("country", "province_code", "city_code", "county_code", "township_code", "region_code",
                  "region_method", "region_confidence")


def _place_parties(conn: duckdb.DuckDBPyConnection, chosen: str | None, index: EnterpriseIndex) -> None:
    """Applicants (every one, not only the first) take the enterprise evidence and its key; one that
    no longer has any goes back to what its name and address say (the index's names registered as
    ``indexed_names``)."""
    if not index and not conn.execute(f"SELECT 1 FROM parties WHERE region_method IN {_STRONG_SQL} "
                                      "OR enterprise_key IS NOT NULL LIMIT 1").fetchall():
        return  # no evidence about enterprises, now or before: nothing below would be chosen
    where = f"AND pp.application_number IN ({chosen})" if chosen else ""
    rows = conn.execute(_PARTIES_SQL.format(where=where, strong=_STRONG_SQL,
                                            indexed=_INDEXED_SQL.format(column="pa.normalized_name"))).fetchall()
    out: list[dict[str, Any]] = []
    for party_id, name, normalized, address, method, old_key in rows:
        directory, registration = index.lookup(normalized) if index else (None, None)
        strong = directory or registration
        key = enterprise_of(normalized, directory, registration)[0] if strong else None
        if strong is None and method not in STRONG:
            if key != old_key:
                out.append({"party_id": party_id, "enterprise_key": key, "keep_region": True})
            continue
        evidence = choose([directory, registration, _record_evidence(name, address, None)])
        out.append({"party_id": party_id, "enterprise_key": key, "keep_region": False, "country": evidence.country,
                    "province_code": evidence.province, "city_code": evidence.city, "county_code": evidence.county,
                    "township_code": evidence.township, "region_code": evidence.region_code,
                    "region_method": evidence.method, "region_confidence": evidence.confidence})
    if not out:
        return
    types = {"party_id": pa.int64(), "keep_region": pa.bool_(), "region_confidence": pa.float64()}
    staged = pa.table({k: pa.array([r.get(k) for r in out], types.get(k, pa.string()))
                       for k in ("party_id", "enterprise_key", "keep_region", *_PARTY_COLUMNS)})
    conn.register("placed_parties", staged)
    try:
        sets = ", ".join(f"{c} = CASE WHEN s.keep_region THEN parties.{c} ELSE s.{c} END" for c in _PARTY_COLUMNS)
        conn.execute(f"UPDATE parties SET enterprise_key = s.enterprise_key, {sets} FROM placed_parties s "
                     "WHERE parties.party_id = s.party_id")
    finally:
        conn.unregister("placed_parties")


# --------------------------------------------------------------------------- what to place again


def numbers_of_names(conn: duckdb.DuckDBPyConnection, names: Iterable[str]) -> list[str]:
    """The patents with an applicant whose name (normalised, or its legal-form key) is one of ``names``."""
    exact = sorted({normalize_name(n) for n in names if n and n.strip()})
    if not exact:
        return []
    loose = sorted({legal_form_key(n) for n in exact})
    sql = ("SELECT DISTINCT pp.application_number FROM patent_parties pp JOIN parties pa USING (party_id) "
           "WHERE pp.role = 'applicant' AND (pa.normalized_name IN (SELECT unnest($exact)) OR "
           f"{LEGAL_FORM_SQL.format(column='pa.normalized_name')} IN (SELECT unnest($loose)))")
    return [r[0] for r in conn.execute(sql, {"exact": exact, "loose": loose}).fetchall()]


def place_names(conn: duckdb.DuckDBPyConnection, names: Iterable[str]) -> dict[str, Any]:
    """Place again the patents of applicants with these names (after a directory or registration change)."""
    return place_patents(conn, numbers_of_names(conn, names))


def place_enterprise(conn: duckdb.DuckDBPyConnection, enterprise: dict[str, Any],
                     old_variants: Iterable[str] = ()) -> dict[str, Any]:
    """Place again the patents a registered enterprise's names reach (after it registers, is verified
    or refused, or its variants change; ``old_variants``: the names it no longer declares)."""
    return place_names(conn, [enterprise["name"], *enterprise["name_variants"], *old_variants])


def placement_of(conn: duckdb.DuckDBPyConnection, number: str, region_code: str | None) -> dict[str, Any]:
    """A patent's township code (where known) and how its first applicant was placed, for ``show``."""
    rows = conn.execute("SELECT enterprise_key, enterprise_name, method, confidence, township_method, evidence "
                        "FROM placements WHERE application_number = ?", [number]).fetchall()
    keys = ("enterprise_key", "enterprise_name", "method", "confidence", "township_method", "evidence")
    return {"first_applicant_township_code": region_code if region_code and len(region_code) == 9 else None,
            "placement": dict(zip(keys, rows[0], strict=True)) if rows else None}
