"""The report's data as CSV, XLSX and JSON, byte-identical for the same content.

One row per value, in catalogue order (country, period, indicator, cell), whatever order the
values came in. A suppressed value keeps its row with its figures blank: its numbers never
leave in any format, even if a caller passed them filled.

- CSV: RFC 4180 (CRLF line ends), numbers in their canonical form (12, not 12.0), UTF-8.
- JSON: the whole report — header, basis, narrative, scores, values — with sorted keys and no
  insignificant whitespace.
- Follow-up of earlier recommendations (a national report's `follow_up`): in JSON and in an
  XLSX sheet of its own; the CSV stays the one table of values. A report without follow-up
  (and a recommendation without addressees) renders exactly as before follow-up existed, so
  that reports published earlier still re-derive byte for byte.
- XLSX: openpyxl stamps the workbook's modified date with the clock and every zip entry with
  the local time; the workbook's dates are set to the publication time and the archive is
  rewritten with that time on every entry, in the order openpyxl wrote them.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell as SheetCell
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from services.indicators.computing import cell_key
from services.reporting.rendering.content import (
    Assessment,
    EvidenceRef,
    Finding,
    FollowUpItem,
    ReportContent,
)
from services.reporting.rendering.figures import CellOrder, Number, plain

COLUMNS = (
    "country", "period", "indicator", "cell", "numerator", "denominator", "value", "unit",
    "suppressed", "comparable",
)  # fmt: skip
ASSESSMENT_COLUMNS = ("country", "indicator", "score", "rationale", "not_assessed_reason",
                      "evidence")  # fmt: skip
FOLLOW_UP_COLUMNS = ("recommendation", "source", "reference", "issued", "text", "addressees",
                     "indicators", "status", "note", "evidence")  # fmt: skip
CREATOR = "ACT Now reporting"


def value_rows(content: ReportContent) -> Iterator[dict[str, Any]]:
    order = CellOrder(content.catalogue)
    for series in sorted(content.values, key=lambda s: s.country):
        for figures in sorted(series.periods, key=lambda p: p.period):
            for v in order.values(figures.values):
                hidden = v.suppressed
                yield {
                    "country": series.country,
                    "period": figures.period,
                    "indicator": v.indicator,
                    "cell": [list(pair) for pair in v.cell],
                    "numerator": None if hidden else plain(v.numerator),
                    "denominator": None if hidden else plain(v.denominator),
                    "value": None if hidden else plain(v.value),
                    "unit": v.unit,
                    "suppressed": hidden,
                    "comparable": series.comparable(v.indicator),
                }


def sorted_assessments(content: ReportContent) -> list[Assessment]:
    codes = content.catalogue.codes
    return sorted(content.assessments, key=lambda a: (a.country, codes.index(a.indicator)))


# --- CSV ---------------------------------------------------------------------------------------


def _csv_field(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, list):
        return cell_key(tuple((dim, cat) for dim, cat in item))
    return str(item)  # a float's str is its shortest round-trip form, the same everywhere


def render_csv(content: ReportContent) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in value_rows(content):
        writer.writerow([_csv_field(row[column]) for column in COLUMNS])
    return out.getvalue().encode("utf-8")


# --- JSON --------------------------------------------------------------------------------------


def _finding(finding: Finding) -> dict[str, Any]:
    found = {"id": finding.id, "text": finding.text, "indicators": list(finding.indicators)}
    if finding.addressees:
        found["addressees"] = list(finding.addressees)
    return found


def _evidence(items: tuple[EvidenceRef, ...]) -> list[dict[str, Any]]:
    return [{"title": e.title, "reference": e.reference, "date": e.date, "sha256": e.sha256}
            for e in items]  # fmt: skip


def _follow_up(item: FollowUpItem) -> dict[str, Any]:
    return {
        "recommendation": item.recommendation_id, "source": item.source,
        "reference": item.reference, "issued": item.issued, "text": item.text,
        "addressees": list(item.addressees), "indicators": list(item.indicators),
        "status": item.status, "note": item.note, "evidence": _evidence(item.evidence),
    }  # fmt: skip


def _assessment(a: Assessment) -> dict[str, Any]:
    return {
        "country": a.country, "indicator": a.indicator, "score": a.score,
        "rationale": a.rationale, "not_assessed_reason": a.not_assessed_reason,
        "evidence": _evidence(a.evidence),
    }  # fmt: skip


def document(content: ReportContent) -> dict[str, Any]:
    """The report as one JSON-ready mapping."""
    basis, supersedes = content.basis, content.supersedes
    found = {
        "report": {
            "id": content.report_id, "version": content.version, "kind": content.kind,
            "title": content.title, "country": content.country, "period": content.period,
            "language": content.language,
            "published_at": content.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "supersedes": None if supersedes is None else {
                "report_id": supersedes.report_id, "version": supersedes.version,
                "reason": supersedes.reason},
        },
        "catalogue": {"id": content.catalogue.catalog_id, "version": content.catalog_version},
        "basis": {
            "logs": [{"origin": log.origin, "tree_size": log.tree_size,
                      "root_hash": log.root_hash}
                     for log in sorted(basis.logs, key=lambda log: log.origin)],
            "catalog_version": basis.catalog_version,
            "profile_versions": dict(basis.profile_versions),
            "code_version": basis.code_version,
        },
        "summary": content.summary,
        "conclusions": [_finding(f) for f in content.conclusions],
        "recommendations": [_finding(f) for f in content.recommendations],
        "good_practices": list(content.good_practices),
        "assessments": [_assessment(a) for a in sorted_assessments(content)],
        "values": list(value_rows(content)),
    }  # fmt: skip
    if content.follow_up:
        found["follow_up"] = [_follow_up(item) for item in content.follow_up]
    return found


def render_json(content: ReportContent) -> bytes:
    text = json.dumps(document(content), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)  # fmt: skip
    return text.encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------------


def _put(sheet: Worksheet, row: list[Any]) -> None:
    """Appends a row; text stays text. openpyxl would store a string starting with `=` as a
    formula, and a spreadsheet would run narrative or evidence text as one."""
    sheet.append([_text(sheet, item) if isinstance(item, str) and item.startswith("=")
                  else item for item in row])  # fmt: skip


def _text(sheet: Worksheet, item: str) -> SheetCell:
    cell = SheetCell(sheet, value=item)
    cell.data_type = "s"
    return cell


def _sheet_value(item: Any) -> str | Number | bool | None:
    if isinstance(item, list):
        return cell_key(tuple((dim, cat) for dim, cat in item))
    return item


def _values_sheet(sheet: Worksheet, content: ReportContent) -> None:
    sheet.title = "Values"
    _put(sheet, list(COLUMNS))
    for row in value_rows(content):
        _put(sheet, [_sheet_value(row[column]) for column in COLUMNS])
    sheet.freeze_panes = "A2"


def _assessments_sheet(sheet: Worksheet, content: ReportContent) -> None:
    _put(sheet, list(ASSESSMENT_COLUMNS))
    for a in sorted_assessments(content):
        evidence = "; ".join(e.title + (f" ({e.reference})" if e.reference else "")
                             for e in a.evidence)  # fmt: skip
        _put(sheet, [a.country, a.indicator, a.score, a.rationale, a.not_assessed_reason,
                     evidence])  # fmt: skip
    sheet.freeze_panes = "A2"


def _follow_up_sheet(sheet: Worksheet, content: ReportContent) -> None:
    _put(sheet, list(FOLLOW_UP_COLUMNS))
    for item in content.follow_up:
        evidence = "; ".join(e.title + (f" ({e.reference})" if e.reference else "")
                             for e in item.evidence)  # fmt: skip
        _put(sheet, [item.recommendation_id, item.source, item.reference, item.issued,
                     item.text, "; ".join(item.addressees), " ".join(item.indicators),
                     item.status, item.note, evidence])  # fmt: skip
    sheet.freeze_panes = "A2"


def _report_sheet(sheet: Worksheet, content: ReportContent) -> None:
    basis = content.basis
    facts: list[list[Any]] = [
        ["report", content.report_id], ["version", content.version], ["kind", content.kind],
        ["title", content.title], ["country", content.country], ["period", content.period],
        ["published_at", content.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")],
        ["catalogue", f"{content.catalogue.catalog_id} {content.catalog_version}"],
        ["code_version", basis.code_version],
    ]  # fmt: skip
    if content.supersedes is not None:
        facts += [["supersedes", f"{content.supersedes.report_id} v{content.supersedes.version}"],
                  ["supersedes_reason", content.supersedes.reason]]  # fmt: skip
    facts += [[f"profile {country}", version]
              for country, version in sorted(basis.profile_versions.items())]  # fmt: skip
    facts += [[f"log {log.origin}", f"size {log.tree_size} root {log.root_hash}"]
              for log in sorted(basis.logs, key=lambda log: log.origin)]  # fmt: skip
    for fact in facts:
        _put(sheet, fact)


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    # Zip entries hold a local time without zone; the publication time in UTC stands in.
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute,
            moment.second - moment.second % 2)  # fmt: skip


def _fixed_zip(archive: bytes, moment: datetime) -> bytes:
    """The archive again, each entry with the same time, attributes and compression."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:  # fmt: skip
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_zip_time(moment))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # else it follows the platform rendering it
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry), compresslevel=6)
    return out.getvalue()


def render_xlsx(content: ReportContent) -> bytes:
    workbook = Workbook()
    _values_sheet(workbook.active, content)
    _assessments_sheet(workbook.create_sheet("Assessments"), content)
    if content.follow_up:
        _follow_up_sheet(workbook.create_sheet("Follow-up"), content)
    _report_sheet(workbook.create_sheet("Report"), content)
    moment = content.published_at.replace(tzinfo=None)
    properties = workbook.properties
    properties.creator = properties.lastModifiedBy = CREATOR
    properties.title = content.title
    properties.identifier = f"{content.report_id} v{content.version}"
    properties.created = properties.modified = moment
    written = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which sets `modified` to the clock.
    ExcelWriter(workbook, zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED)).save()
    return _fixed_zip(written.getvalue(), content.published_at)
