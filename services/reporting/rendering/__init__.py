"""Rendering a report: pure functions from a frozen `ReportContent` to the bytes of each
output format — no database, no network, no clock.

Rendering is deterministic (issue 7): the same content gives byte-identical HTML, PDF, CSV,
XLSX and JSON, in this process or another, so an auditor who rebuilds the content from the
pinned basis can re-render and compare `content_hashes` with the published ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from services.reporting.rendering.content import (
    NATIONAL,
    NOT_ASSESSED,
    REGIONAL,
    Assessment,
    CountrySeries,
    EvidenceRef,
    Finding,
    FollowUpItem,
    LogBasis,
    PeriodFigures,
    ReportBasis,
    ReportContent,
    Supersession,
)
from services.reporting.rendering.exports import render_csv, render_json, render_xlsx
from services.reporting.rendering.html import render_html
from services.reporting.rendering.pdf import render_pdf

FORMATS = ("html", "pdf", "csv", "xlsx", "json")


def render_all(content: ReportContent) -> dict[str, bytes]:
    """Every output of a report, by format (the PDF is printed from the HTML)."""
    html = render_html(content)
    return {
        "html": html,
        "pdf": render_pdf(html),
        "csv": render_csv(content),
        "xlsx": render_xlsx(content),
        "json": render_json(content),
    }


def content_hashes(outputs: Mapping[str, bytes]) -> dict[str, str]:
    """SHA-256 (hex) of each output, by format: what `ReportPublished` records."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(outputs.items())}


__all__ = [
    "FORMATS",
    "NATIONAL",
    "NOT_ASSESSED",
    "REGIONAL",
    "Assessment",
    "CountrySeries",
    "EvidenceRef",
    "Finding",
    "FollowUpItem",
    "LogBasis",
    "PeriodFigures",
    "ReportBasis",
    "ReportContent",
    "Supersession",
    "content_hashes",
    "render_all",
    "render_csv",
    "render_html",
    "render_json",
    "render_pdf",
    "render_xlsx",
]
