"""What a file carried: per import, how many rows held each field the indicators and fees depend on,
which values were derived and how, and the status words no vocabulary knows.

An office must see "industries from the main IPC only" before it publishes a number, so every
import reports this beside its counts (``import --json`` → ``coverage`` and ``warnings``), each
batch keeps its own (``import_batches.coverage``), and the admin page lists them.

>>> cov = Coverage()
>>> cov.counts["rows"]
0
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from patentatlas.normalize.status import status_reading
from patentatlas.reference.sei import label_codes
from patentatlas.store import in_batches

# figures over the merged patents an import touched (Coverage.add_patent_figures), in this order
_PATENT_FIGURES = ("patents", "patents.granted_grant_date_unknown", "patents.inventions_granted_grant_date_unknown",
                   "patents.cn_applicant", "patents.cn_county", "patents.cn_township")
_PATENT_FIGURES_SQL = """SELECT count(*), count_if(status = 'in_force' AND grant_date IS NULL),
  count_if(status = 'in_force' AND grant_date IS NULL AND patent_type = 'invention'),
  count_if(first_applicant_country = 'CN'),
  count_if(first_applicant_country = 'CN' AND first_applicant_county_code IS NOT NULL),
  count_if(first_applicant_country = 'CN' AND length(first_applicant_region_code) = 9)
FROM patents WHERE {batches}"""
# the fields whose presence is counted (see Coverage.add_states for the state column of each)
CARRIED = ("filing_date", "ipc", "ipc_main", "grant_date", "status", "applicant_address", "applicants")
DERIVED = ("check_digit_computed", "pct", "grant_date_from_grant_publication", "granted_grant_date_unknown")
SEI_BASES = ("ipc", "main_ipc", "source_label", "none")
REGION_LEVELS = ("township", "county", "city", "province", "foreign", "none")
UNMAPPED_LIMIT = 50  # distinct unmapped status words kept per batch


@dataclass
class Coverage:
    """Counts over the rows loaded from one file (or one batch): see :data:`CARRIED` and friends."""

    counts: Counter[str] = field(default_factory=Counter)
    unmapped_status: Counter[str] = field(default_factory=Counter)

    def add_states(self, states: pa.Table, derived: Counter[str]) -> None:
        """Count one chunk's states, and the values its importer derived."""
        c = self.counts
        c["rows"] += states.num_rows
        if states.num_rows == 0:
            self.counts.update({f"derived.{k}": v for k, v in derived.items()})
            return
        c["carried.filing_date"] += _present(states, "filing_date")
        c["carried.ipc"] += _nonempty(states, "ipc_codes")
        c["carried.ipc_main"] += _present(states, "ipc_main")
        c["carried.grant_date"] += _present(states, "grant_date")
        c["carried.status"] += _present(states, "status")
        c["carried.applicant_address"] += _present(states, "first_applicant_address")
        c["carried.applicants"] += _nonempty(states, "applicant_names")
        for basis, n in _value_counts(states.column("sei_basis")).items():
            c[f"sei_basis.{basis or 'none'}"] += n
        self._regions(states)
        self._statuses(states)
        self._agreement(states)
        c["derived.granted_grant_date_unknown"] += _granted_without_date(states)
        self.counts.update({f"derived.{k}": v for k, v in derived.items()})

    def _regions(self, states: pa.Table) -> None:
        """Rows by the finest level their first applicant was placed at (a column operation each)."""
        column = states.column
        township = pc.equal(pc.utf8_length(column("first_applicant_region_code")), 9)
        foreign = pc.not_equal(column("first_applicant_country"), "CN")
        left = pa.array([True] * states.num_rows)  # rows not counted yet
        for level, here in (("township", township), ("county", _given(column("first_applicant_county_code"))),
                            ("city", _given(column("first_applicant_city_code"))),
                            ("province", _given(column("first_applicant_province_code"))),
                            ("foreign", pc.and_(_given(column("first_applicant_country")), foreign)),
                            ("none", left)):
            counted = pc.and_(left, pc.fill_null(here, False))
            self.counts[f"region.{level}"] += int(pc.sum(counted).as_py() or 0)
            left = pc.and_(left, pc.invert(counted))

    def _statuses(self, states: pa.Table) -> None:
        unread = pc.and_(pc.is_null(states.column("status")), _given(states.column("status_text")))
        for words in states.column("status_text").filter(unread).to_pylist():
            if not status_reading(words).recognised:
                if words in self.unmapped_status or len(self.unmapped_status) < UNMAPPED_LIMIT:
                    self.unmapped_status[words] += 1
                self.counts["status_unmapped"] += 1

    def _agreement(self, states: pa.Table) -> None:
        basis = states.column("sei_basis")
        labelled = pc.and_(pc.greater(pc.fill_null(pc.list_value_length(states.column("source_sei_labels")), 0), 0),
                           pc.and_(pc.is_valid(basis), pc.not_equal(pc.fill_null(basis, ""), "source_label")))
        chosen = states.filter(labelled)
        for label, codes in zip(chosen.column("source_sei_labels").to_pylist(), chosen.column("sei_codes").to_pylist(),
                                strict=True):
            theirs = label_codes(label)
            self.counts["agreement.sei_labelled"] += 1
            self.counts["agreement.sei_equal"] += int(set(codes or ()) == theirs)
            self.counts["agreement.sei_overlap"] += int(bool(set(codes or ()) & theirs))

    def add_patent_figures(self, conn: Any, batch_ids: list[int]) -> None:
        """Figures over the merged patents an import last touched (rows of one application merge:
        incoPat's A row has no grant date, its B row has)."""
        row = conn.execute(_PATENT_FIGURES_SQL.format(batches=in_batches("last_batch_id", batch_ids))).fetchone()
        for name, value in zip(_PATENT_FIGURES, row or (0,) * len(_PATENT_FIGURES), strict=True):
            self.counts[name] += int(value or 0)  # count_if over no rows is NULL
        try:
            methods = conn.execute(
                "SELECT pl.method, count(*) FROM placements pl JOIN patents p USING (application_number) "
                f"WHERE {in_batches('p.last_batch_id', batch_ids)} AND p.first_applicant_country = 'CN' GROUP BY 1"
            ).fetchall()
        except duckdb.CatalogException:  # a store before placements
            methods = []
        for method, n in methods:
            self.counts[f"placement.{method}"] += int(n)

    def add(self, other: Coverage) -> None:
        self.counts.update(other.counts)
        self.unmapped_status.update(other.unmapped_status)

    def to_json(self) -> str:
        """What a batch keeps (counts, not shares: batches of a file add up)."""
        return json.dumps({"counts": dict(self.counts), "unmapped_status": dict(self.unmapped_status)},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Coverage:
        data = json.loads(text) if text else {}
        return cls(Counter(data.get("counts", {})), Counter(data.get("unmapped_status", {})))

    def report(self) -> dict[str, Any]:
        """Counts and shares of the rows loaded, grouped as ``import --json`` prints them."""
        rows = self.counts["rows"]

        def group(prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
            return {n: {"rows": self.counts[f"{prefix}.{n}"], "share": _share(self.counts[f"{prefix}.{n}"], rows)}
                    for n in names}

        labelled = self.counts["agreement.sei_labelled"]
        return {
            "rows": rows,
            "carried": group("carried", CARRIED),
            "industries_basis": group("sei_basis", SEI_BASES),
            "region_level": group("region", REGION_LEVELS),
            "derived": {n: self.counts[f"derived.{n}"] for n in DERIVED},
            "placement": {"cn_applicant_patents": self.counts["patents.cn_applicant"],
                          "county": self.counts["patents.cn_county"], "township": self.counts["patents.cn_township"],
                          "by_method": {k.split(".", 1)[1]: v for k, v in sorted(self.counts.items())
                                        if k.startswith("placement.")}},
            "patents": {"touched": self.counts["patents"],
                        "granted_grant_date_unknown": self.counts["patents.granted_grant_date_unknown"],
                        "inventions_granted_grant_date_unknown":
                            self.counts["patents.inventions_granted_grant_date_unknown"]},
            "status_unmapped": {"rows": self.counts["status_unmapped"],
                                "values": dict(self.unmapped_status.most_common())},
            "source_sei_agreement": {"labelled": labelled,
                                     "equal": self.counts["agreement.sei_equal"],
                                     "overlap": self.counts["agreement.sei_overlap"],
                                     "equal_share": _share(self.counts["agreement.sei_equal"], labelled),
                                     "overlap_share": _share(self.counts["agreement.sei_overlap"], labelled)},
        }

    def warnings(self) -> list[dict[str, Any]]:
        """What an office must know before publishing figures from this file, most serious first."""
        c, rows = self.counts, self.counts["rows"]
        found: list[dict[str, Any]] = []

        def warn(code: str, n: int, zh: str, en: str) -> None:
            if n:
                found.append({"code": code, "rows": n, "share": _share(n, rows),
                              "message_zh": zh.format(n=n, pct=_pct(n, rows)),
                              "message": en.format(n=n, pct=_pct(n, rows))})

        warn("status_unmapped", c["status_unmapped"],
             "{n} 行（{pct}）的法律状态用语无法识别，未计入有效/审中/失效：" + _words(self.unmapped_status),
             "{n} rows ({pct}) have status words no vocabulary knows, counted in no status family: "
             + _words(self.unmapped_status))
        warn("no_status", rows - c["carried.status"] - c["status_unmapped"],
             "{n} 行（{pct}）没有法律状态", "{n} rows ({pct}) carry no legal status")
        warn("industries_from_main_ipc", c["sei_basis.main_ipc"],
             "{n} 行（{pct}）只有 IPC 主分类：其产业仅据主分类判断",
             "{n} rows ({pct}) have only a main IPC: their industries come from it alone")
        warn("industries_from_source_label", c["sei_basis.source_label"],
             "{n} 行（{pct}）没有 IPC：产业采用数据源自带的新兴产业分类",
             "{n} rows ({pct}) have no IPC: their industries are the export's own labels")
        warn("no_classification", c["sei_basis.none"],
             "{n} 行（{pct}）没有 IPC 也没有产业标注：不能判断产业",
             "{n} rows ({pct}) have neither IPC nor an industry label: industries not judged")
        patents, undated = c["patents"], c["patents.granted_grant_date_unknown"]
        if undated:
            found.append({"code": "grant_date_unknown", "patents": undated, "share": _share(undated, patents),
                          "message_zh": f"{undated} 件专利（{_pct(undated, patents)}）已授权有效但文件中没有授权日："
                                        "年费按申请日计算，授权当年是否已缴、费减期限未知",
                          "message": f"{undated} patents ({_pct(undated, patents)}) are granted and in force with no "
                                     "grant date in the file: fees follow the filing date; which year was paid at "
                                     "grant and whether the reduction window runs are unknown"})
        cn, county = c["patents.cn_applicant"], c["patents.cn_county"]
        if cn > county:
            found.append({"code": "region_not_county", "patents": cn - county, "share": _share(cn - county, cn),
                          "message_zh": f"{cn - county} 件中国申请人专利（{_pct(cn - county, cn)}）未能定位到区县："
                                        "可导入企业名录补全",
                          "message": f"{cn - county} patents of Chinese applicants ({_pct(cn - county, cn)}) are not "
                                     "placed to a county: an enterprise directory would place more"})
        warn("check_digit_computed", c["derived.check_digit_computed"],
             "{n} 行（{pct}）的申请号没有校验位：已按规则计算补全",
             "{n} rows ({pct}) had application numbers without a check digit: computed")
        return found


def _given(column: Any) -> Any:
    """Whether each value is there and not empty (null where the value is null)."""
    return pc.not_equal(column, "")


def _value_counts(column: Any) -> dict[Any, int]:
    counts = pc.value_counts(column)
    return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))


def _present(states: pa.Table, name: str) -> int:
    return states.num_rows - states.column(name).null_count


def _nonempty(states: pa.Table, name: str) -> int:
    lengths = pc.list_value_length(states.column(name))
    return int(pc.sum(pc.greater(pc.fill_null(lengths, 0), 0)).as_py() or 0)


def _granted_without_date(states: pa.Table) -> int:
    mask = pc.and_(pc.equal(states.column("status"), "in_force"), pc.is_null(states.column("grant_date")))
    return int(pc.sum(pc.fill_null(mask, False)).as_py() or 0)


def _share(n: int, total: int) -> float | None:
    return round(n / total, 4) if total else None


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "—"


def _words(counter: Counter[str]) -> str:
    return "; ".join(f"{w} ×{n}" for w, n in counter.most_common(10))
