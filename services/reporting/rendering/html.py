"""The canonical HTML of a report: the rows of `views` placed by the Jinja templates in
`services/reporting/templates/`, encoded as UTF-8.

Canonical means the same content gives the same bytes on any machine: the templates read no
clock, locale or environment, every figure is printed by `figures`, and autoescaping is on for
every template, so narrative text can never become markup.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.reporting.rendering.content import ReportContent
from services.reporting.rendering.views import build

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its file name (report.css included)
        undefined=StrictUndefined,  # a misspelt name fails the render instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(content: ReportContent) -> bytes:
    page = environment().get_template("report.html").render(view=build(content))
    return page.encode("utf-8")
