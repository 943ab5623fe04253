"""The follow-up table of a national report: in HTML, JSON and XLSX, byte for byte the same
each time, checked whole; a report without follow-up renders as it did before follow-up."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from services.reporting.rendering import (
    EvidenceRef,
    FollowUpItem,
    render_html,
    render_json,
    render_xlsx,
)
from shared.errors import ValidationProblem
from tests.unit.services.reporting.samples import national, regional

ITEMS = (
    FollowUpItem("rep-mk-2023-R1", "report", "North Macedonia 2023, R1", "2023",
                 "Train labour inspectors.", "partly_implemented", ("Labour inspectorate",),
                 ("ID-01",), (EvidenceRef("Inspectorate report", "LI 2024", "2025-02-01"),),
                 "Half of them trained."),
    FollowUpItem("greta-mk-0123456789", "GRETA", "GRETA round 3, paragraph 112", "2022",
                 "Ensure compensation.", "not_assessed", ("Ministry of Justice",), ("CO-05",)),
)  # fmt: skip


def test_the_follow_up_table_lists_each_recommendation_with_its_status_and_evidence() -> None:
    content = national(follow_up=ITEMS)
    html = render_html(content).decode()
    assert 'id="follow-up"' in html and 'href="#follow-up"' in html
    assert "partly implemented" in html and "Labour inspectorate" in html
    assert "Inspectorate report" in html and "GRETA round 3, paragraph 112 (2022)" in html
    document = json.loads(render_json(content))
    assert [row["status"] for row in document["follow_up"]] == ["partly_implemented",
                                                                 "not_assessed"]  # fmt: skip
    sheet = load_workbook(io.BytesIO(render_xlsx(content)))["Follow-up"]
    assert [c.value for c in sheet[2]][:2] == ["rep-mk-2023-R1", "report"]
    assert render_html(content) == render_html(national(follow_up=ITEMS))
    assert render_xlsx(content) == render_xlsx(national(follow_up=ITEMS))


def test_a_report_without_follow_up_has_no_follow_up_section_sheet_or_key() -> None:
    content = national()
    assert b"follow-up" not in render_html(content)
    assert "follow_up" not in json.loads(render_json(content))
    assert "Follow-up" not in load_workbook(io.BytesIO(render_xlsx(content))).sheetnames


def test_a_follow_up_item_must_be_earlier_assessed_with_evidence_and_national() -> None:
    later = FollowUpItem("x-R1", "report", "x", "2024", "t", "implemented")
    with pytest.raises(ValidationProblem) as wrong:
        national(follow_up=(later,))
    assert {"follow_up.x-R1.issued", "follow_up.x-R1.evidence"} <= set(wrong.value.errors)
    with pytest.raises(ValidationProblem) as regional_one:
        regional(follow_up=ITEMS)
    assert "follow_up" in regional_one.value.errors
