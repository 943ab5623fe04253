"""The PDF is printed from the canonical HTML and is byte-identical for the same HTML: its dates
come from the publication time, its identifier from the HTML, never from the clock."""

from __future__ import annotations

import gc
import os
import re
import time
import zlib
from datetime import timedelta

import pytest
import weasyprint.pdf.fonts
from weasyprint import HTML

from services.reporting.rendering import Supersession, render_html, render_pdf
from services.reporting.rendering.pdf import identifier
from tests.unit.services.reporting.samples import PUBLISHED, national


@pytest.fixture(scope="module")
def html() -> bytes:
    return render_html(national())


@pytest.fixture(scope="module")
def pdf(html: bytes) -> bytes:
    return render_pdf(html)


def inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams opened (the document information is in one)."""
    parts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_pdf_is_a_pdf_document_with_a_page_per_laid_out_page(html: bytes, pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-1.7") and pdf.rstrip().endswith(b"%%EOF")
    laid_out = len(HTML(string=html.decode()).render().pages)
    assert laid_out > 3
    assert len(re.findall(rb"/Type /Page(?![s\w])", inflated(pdf))) == laid_out


def test_the_same_html_prints_to_the_same_bytes(html: bytes, pdf: bytes) -> None:
    assert render_pdf(html) == pdf


def test_the_pdf_does_not_depend_on_the_clock(
    html: bytes, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_900_000_000.0)
    assert render_pdf(html) == pdf


def test_without_harfbuzz_subset_the_pdf_still_does_not_depend_on_the_clock(
    html: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # WeasyPrint then subsets fonts with fontTools, which stamps each subset with the clock.
    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
    first = render_pdf(html)
    monkeypatch.setattr(time, "time", lambda: 1_900_000_000.0)
    assert render_pdf(html) == first


def test_the_pdf_dates_are_the_publication_time(pdf: bytes) -> None:
    info = inflated(pdf)
    assert b"/CreationDate (D:20250303093000Z)" in info
    assert b"/ModDate (D:20250303093000Z)" in info
    later = render_pdf(render_html(national(published_at=PUBLISHED + timedelta(days=1))))
    assert b"/CreationDate (D:20250304093000Z)" in inflated(later)


def test_the_pdf_identifier_follows_the_html(html: bytes, pdf: bytes) -> None:
    assert b"/ID [(" + identifier(html) + b")" in pdf
    other = render_html(national(title="Another title"))
    assert identifier(other) != identifier(html)


def test_printing_leaves_the_environment_and_the_collector_as_it_found_them(
    html: bytes,
) -> None:
    assert "SOURCE_DATE_EPOCH" not in os.environ and gc.isenabled()
    render_pdf(html)
    assert "SOURCE_DATE_EPOCH" not in os.environ and gc.isenabled()


def test_html_without_a_modification_date_is_refused() -> None:
    undated = re.sub(rb'<meta name="dcterms.modified"[^>]*>', b"", render_html(national()))
    with pytest.raises(ValueError, match=r"dcterms\.modified"):
        render_pdf(undated)


def test_a_correction_prints_differently_from_the_version_it_supersedes(pdf: bytes) -> None:
    corrected = national(version=2, supersedes=Supersession("rep-mk-2024", 1, "Typo."))
    assert render_pdf(render_html(corrected)) != pdf
