"""The canonical HTML of a report: escaped, self-contained, every figure where a reader looks
for it, suppressed cells as words, recommendations linked to the indicators they rest on."""

from __future__ import annotations

import re
from dataclasses import replace

from services.reporting.rendering import (
    EvidenceRef,
    Finding,
    LogBasis,
    Supersession,
    render_html,
)
from tests.unit.services.reporting.pages import by_id, cells, parse, rows, squeeze, table_after
from tests.unit.services.reporting.samples import (
    CODE_VERSION,
    INDICATORS_ROOT,
    INTAKE_ROOT,
    LEAK,
    national,
    regional,
    seed,
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_narrative_text_is_printed_as_text_never_as_markup() -> None:
    content = national(
        title=f"Report {HOSTILE}",
        summary=f"Summary {HOSTILE}",
        conclusions=(Finding("C1", f"Conclusion {HOSTILE}", ("ID-01",)),),
        recommendations=(Finding("R1", f"Recommendation {HOSTILE}", ("RF-01",)),),
        good_practices=(f"Practice {HOSTILE}",),
        supersedes=Supersession(f"rep-{HOSTILE}", 1, f"Reason {HOSTILE}"),
        version=2,
    )
    html = render_html(content)
    page = parse(html)
    assert b"<script" not in html and b"<img" not in html
    assert not page.find("script") and not page.find("img")
    assert html.count(b"&lt;script&gt;") >= 7  # each hostile text is there, as text
    assert squeeze(page.find("h1")[0].text) == f"Report {HOSTILE}"


def test_evidence_references_are_shown_as_text_not_followed_as_links() -> None:
    hostile = replace(
        national().assessments[0],
        evidence=(EvidenceRef("Decision", "javascript:alert(1)", "2024-01-01"),),
    )
    page = parse(render_html(national(assessments=(hostile,))))
    assert not [a for a in page.find("a") if "javascript" in a.attrs.get("href", "")]
    assert "Decision · javascript:alert(1) · 2024-01-01" in squeeze(page.text)


def test_suppressed_cells_show_the_rule_and_never_a_number() -> None:
    html = render_html(national())
    breakdown = rows(by_id(parse(html), "bd-ID-01"))
    assert ["male", "suppressed (< 5)", ""] in breakdown
    assert ["trans or nonconforming", "suppressed (< 5)", ""] in breakdown
    assert ["female", "35", ""] in breakdown and ["unknown", "0", ""] in breakdown
    assert str(LEAK).encode() not in html and f"{LEAK:,}".encode() not in html


def test_a_suppressed_year_is_a_gap_in_the_trend_and_says_so_in_its_text() -> None:
    area = by_id(parse(render_html(national())), "area-assistance")
    table = table_after(area, "Quantitative indicators")
    [row] = [tr for tr in table.find("tr") if "AS-01" in tr.text]
    assert cells(row)[4] == "2022: 75.0%; 2023: suppressed (< 5); 2024: 75.0%"
    [chart] = row.find("svg")
    assert not chart.find("polyline")  # no line drawn across the suppressed year
    assert len(chart.find("circle")) == 3  # 2022 and 2024 alone, and the latest marked


def test_each_indicator_row_gives_value_parts_change_and_trend_as_text() -> None:
    page = parse(render_html(national()))
    table = table_after(by_id(page, "area-referral"), "Quantitative indicators")
    [line] = [r for r in rows(table) if r[0].startswith("RF-01")]
    assert line[1:] == [
        "75.0%",
        "18 / 24",
        "+2.3 pp since 2023 (better)",
        "2022: 70.0%; 2023: 72.7%; 2024: 75.0%",
    ]
    identification = table_after(by_id(page, "area-identification"), "Quantitative")
    [days] = [r for r in rows(identification) if r[0].startswith("ID-03")]
    assert days[1] == "35.5 days" and days[3] == "\u22121.0 days since 2023 (better)"


def test_every_recommendation_links_to_the_anchors_of_the_indicators_it_rests_on() -> None:
    page = parse(render_html(national()))
    ids = {e.attrs["id"] for e in page.walk() if "id" in e.attrs}
    for recommendation in national().recommendations:
        item = by_id(page, f"rec-{recommendation.id}")
        links = [a.attrs["href"] for a in item.find("a")]
        assert links == [f"#ind-{code}" for code in recommendation.indicators]
    internal = [a.attrs["href"][1:] for a in page.find("a") if a.attrs["href"].startswith("#")]
    assert internal and set(internal) <= ids


def test_every_indicator_of_the_catalogue_has_its_anchor_and_cites_its_findings() -> None:
    page = parse(render_html(regional()))
    for code in seed().codes:
        by_id(page, f"ind-{code}")
    cited = [a.attrs["href"] for a in by_id(page, "ind-RF-01").find("a")]
    assert cited == ["#rec-R1"]


def test_the_audit_basis_appendix_names_each_log_and_the_versions_it_was_built_from() -> None:
    content = national()
    content = replace(
        content,
        basis=replace(content.basis, logs=(*content.basis.logs, LogBasis("hub/reg", 7, "0" * 64))),
    )
    appendix = by_id(parse(render_html(content)), "audit-basis")
    assert rows(table_after(appendix, "Source logs"))[1:] == [
        ["hub/reg", "7", "0" * 64],
        ["mk.actnow/indicators", "310", INDICATORS_ROOT],
        ["mk.actnow/intake", "1200", INTAKE_ROOT],
    ]
    text = squeeze(appendix.text)
    assert f"Code version {CODE_VERSION}" in text
    assert "Indicator catalogue ban-regional-core 2025.1-seed" in text
    assert "National profiles MK version 3" in text


def test_a_correction_says_prominently_which_version_it_supersedes_and_why() -> None:
    reason = "ID-01 counted a re-identified person twice."
    page = parse(render_html(national(version=2, supersedes=Supersession("rep-mk-2024", 1,
                                                                         reason))))  # fmt: skip
    notice = by_id(page, "supersedes")
    assert notice.attrs.get("role") == "note"
    assert "supersedes report rep-mk-2024, version 1" in squeeze(notice.text)
    assert f"Reason: {reason}" in squeeze(notice.text)
    first = parse(render_html(national()))
    assert not [e for e in first.walk() if e.attrs.get("id") == "supersedes"]


def test_the_regional_table_marks_the_countries_whose_definition_is_not_comparable() -> None:
    page = parse(render_html(regional()))
    table = table_after(by_id(page, "area-referral"), "Quantitative indicators by country")
    heads = rows(table)[0]
    assert heads == ["Indicator", "AL", "MK", "RS"]
    [row] = [tr for tr in table.find("tr") if "RF-01" in tr.text]
    figures = [c for c in row.children if c.tag == "td"]
    marked = ["nc" in c.classes for c in figures]
    assert marked == [False, True, False]  # MK measures RF-01 by a national definition
    assert "not comparable" in figures[1].text and "not comparable" not in figures[0].text
    [other] = [tr for tr in table.find("tr") if "RF-02" in tr.text]
    assert not any("nc" in c.classes for c in other.children)


def test_a_national_report_does_not_mark_its_own_definitions_as_not_comparable() -> None:
    assert not national().values[0].comparable("RF-01")
    page = parse(render_html(national()))
    assert not [e for e in page.walk() if "nc" in e.classes]
    assert "not comparable" not in page.text


def test_the_regional_breakdowns_have_a_column_per_country() -> None:
    page = parse(render_html(regional()))
    breakdown = rows(by_id(page, "bd-ID-01"))
    assert breakdown[0] == ["Category", "AL", "MK", "RS"]
    assert ["female", "24", "35", "59"] in breakdown
    assert ["male", *["suppressed (< 5)"] * 3] in breakdown


def test_the_report_needs_nothing_from_outside_itself() -> None:
    html = render_html(regional())
    page = parse(html)
    assert not page.find("script") and not page.find("link") and not page.find("img")
    assert not re.search(rb"(src|href)=\"(?!#)", html)
    assert b"url(" not in html and b"@import" not in html


def test_scores_show_their_level_label_and_evidence_or_why_there_is_none() -> None:
    page = parse(render_html(national()))
    table = table_after(by_id(page, "area-identification"), "Qualitative assessments")
    [row] = [r for r in rows(table) if r[0].startswith("ID-06")]
    assert row[1].startswith("2 — ")
    assert row[2] == "Rulebook on identification · Official Gazette 12/2021 · 2021-02-01"
    assistance = table_after(by_id(page, "area-assistance"), "Qualitative assessments")
    [missing] = [r for r in rows(assistance) if r[0].startswith("AS-09")]
    assert missing[1] == "not assessed No monitoring visit in 2024."
    assert missing[2] == ""
