"""The printable PDF of a report, from its canonical HTML, with WeasyPrint.

What WeasyPrint would otherwise take from the clock, the environment or chance, and how each
is fixed here:

- the document dates: it writes /CreationDate and /ModDate only from the HTML's
  `dcterms.created` and `dcterms.modified`, which `render_html` sets to the publication time;
- the file identifier (/ID): derived from the HTML;
- embedded fonts: without HarfBuzz-Subset it subsets fonts with fontTools, which stamps each
  subset's `head.modified` with the clock unless SOURCE_DATE_EPOCH is set (the
  reproducible-builds.org convention); it is set to the publication time while fonts are
  written. Subsets are named by a hash of the font, not at random;
- fetching: the HTML is self-contained, and a fetcher that allows no protocol keeps a stray URL
  from reaching the network or the file system.

It is also the slow step (issue 7: a regional report in 5 s): WeasyPrint allocates millions of
small objects, and the cyclic garbage collector's passes over them take a third of the time, so
it is paused while a PDF is made (reference counting still frees what it can).

The same HTML then gives the same PDF on machines with the same WeasyPrint, Pango, HarfBuzz and
fonts (the service image pins them).
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from weasyprint import HTML, URLFetcher

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
# The environment is the process's: renders that set it must take turns (WeasyPrint holds the
# GIL while it works, so this costs no parallelism).
_environment = threading.Lock()


def identifier(html: bytes) -> bytes:
    """The PDF's /ID: the same for the same HTML, different for any other report."""
    return hashlib.sha256(html).hexdigest()[:32].encode("ascii")


@contextmanager
def source_date(moment: datetime) -> Iterator[None]:
    with _environment:
        before = os.environ.get(SOURCE_DATE_EPOCH)
        os.environ[SOURCE_DATE_EPOCH] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            if before is None:
                del os.environ[SOURCE_DATE_EPOCH]
            else:
                os.environ[SOURCE_DATE_EPOCH] = before


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:  # a caller that paused it itself keeps it paused
            gc.enable()


def render_pdf(html: bytes) -> bytes:
    with collector_paused():
        document = HTML(
            string=html.decode("utf-8"),
            base_url=None,
            url_fetcher=URLFetcher(allowed_protocols=()),
        ).render()
        modified = document.metadata.modified
        if not modified:
            raise ValueError("The HTML has no dcterms.modified: the PDF's dates would be missing.")
        with source_date(datetime.fromisoformat(modified.replace("Z", "+00:00"))):
            pdf = document.write_pdf(pdf_identifier=identifier(html))
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf
