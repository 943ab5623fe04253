"""The data tables: one row per value in catalogue order, suppressed figures blank in every
format, and the same bytes whatever order the values arrive in."""

from __future__ import annotations

import csv
import io
import json
import random
import time
import zipfile
from dataclasses import replace

import openpyxl
import pytest

from services.reporting.rendering import (
    EvidenceRef,
    render_csv,
    render_json,
    render_xlsx,
)
from services.reporting.rendering.exports import COLUMNS
from tests.unit.services.reporting.samples import LEAK, PUBLISHED, national, regional


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def shuffled(content):  # type: ignore[no-untyped-def]
    """The same content with its countries, periods and values in another order."""
    rng = random.Random(7)
    series = []
    for one in content.values:
        periods = [replace(p, values=tuple(rng.sample(p.values, len(p.values))))
                   for p in one.periods]  # fmt: skip
        series.append(replace(one, periods=tuple(rng.sample(periods, len(periods)))))
    return replace(content, values=tuple(reversed(series)))


def test_the_csv_has_one_row_per_value_with_the_cell_spelt_out() -> None:
    data = render_csv(regional())
    assert data.startswith(b",".join(c.encode() for c in COLUMNS) + b"\r\n")
    found = csv_rows(data)
    assert len(found) == sum(len(p.values) for s in regional().values for p in s.periods)
    first = found[0]
    assert (first["country"], first["period"], first["indicator"], first["cell"]) == (
        "AL", "2022", "ID-01", "",
    )  # fmt: skip
    [female] = [r for r in found if r["country"] == "MK" and r["period"] == "2024"
                and r["indicator"] == "ID-01" and r["cell"] == "sex=female"]  # fmt: skip
    assert (female["numerator"], female["value"], female["suppressed"]) == ("35", "35", "false")
    [rf] = [r for r in found if r["country"] == "MK" and r["period"] == "2024"
            and r["indicator"] == "RF-01"]  # fmt: skip
    # Numbers in their canonical form: the share 75.0 is written 75.
    assert (rf["numerator"], rf["denominator"], rf["value"], rf["unit"]) == (
        "18", "24", "75", "percent",
    )  # fmt: skip
    assert rf["comparable"] == "false"


def test_suppressed_values_keep_their_row_with_blank_figures_in_every_format() -> None:
    content = national()
    for row in csv_rows(render_csv(content)):
        if row["suppressed"] == "true":
            assert row["numerator"] == row["denominator"] == row["value"] == ""
    document = json.loads(render_json(content))
    hidden = [v for v in document["values"] if v["suppressed"]]
    assert hidden and all(v["numerator"] is v["value"] is v["denominator"] is None
                          for v in hidden)  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(content)))["Values"]
    numbers = [c.value for row in sheet.iter_rows() for c in row]
    assert LEAK not in numbers
    for data in (render_csv(content), render_json(content)):
        assert str(LEAK).encode() not in data


def test_the_json_is_canonical_sorted_and_without_spare_whitespace() -> None:
    data = render_json(regional())
    document = json.loads(data)
    again = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert again.encode("utf-8") == data
    assert document["report"]["published_at"] == "2025-03-03T09:30:00Z"
    assert [log["origin"] for log in document["basis"]["logs"]] == [
        "mk.actnow/indicators", "mk.actnow/intake",
    ]  # fmt: skip
    assert document["recommendations"][0] == {
        "id": "R1", "text": "Refer every presumed victim within a week.",
        "indicators": ["RF-01", "ID-06"],
    }  # fmt: skip


def test_the_workbook_opens_and_holds_the_values_of_the_csv() -> None:
    content = regional()
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(content)))
    assert workbook.sheetnames == ["Values", "Assessments", "Report"]
    sheet = [[c.value for c in row] for row in workbook["Values"].iter_rows()]
    assert tuple(sheet[0]) == COLUMNS
    as_text = [["" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                for v in row] for row in sheet[1:]]  # fmt: skip
    assert as_text == [list(r.values()) for r in csv_rows(render_csv(content))]
    report = dict(workbook["Report"].iter_rows(values_only=True))
    assert report["report"] == "rep-region-2024" and report["period"] == "2024"
    assert (
        workbook.properties.created
        == workbook.properties.modified
        == PUBLISHED.replace(tzinfo=None)
    )


def test_the_workbook_zip_carries_the_publication_time_not_the_clock() -> None:
    with zipfile.ZipFile(io.BytesIO(render_xlsx(national()))) as archive:
        stamps = {info.date_time for info in archive.infolist()}
    assert stamps == {(2025, 3, 3, 9, 30, 0)}


def test_the_workbook_does_not_depend_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    before = render_xlsx(national())
    monkeypatch.setattr(time, "time", lambda: 1_900_000_000.0)  # zip entries read this clock
    assert render_xlsx(national()) == before


def test_text_that_looks_like_a_formula_stays_text_in_the_workbook() -> None:
    content = national()
    scored = replace(content.assessments[0], evidence=(EvidenceRef('=HYPERLINK("x","y")'),))
    workbook = openpyxl.load_workbook(
        io.BytesIO(render_xlsx(replace(content, assessments=(scored,))))
    )
    [row] = list(workbook["Assessments"].iter_rows(min_row=2))
    assert row[5].value == '=HYPERLINK("x","y")' and row[5].data_type == "s"


def test_the_data_do_not_depend_on_the_order_the_values_arrive_in() -> None:
    content = regional()
    for render in (render_csv, render_json, render_xlsx):
        assert render(shuffled(content)) == render(content)
