"""The report laid out as plain rows, ready for the templates: every figure already printed,
every anchor already named, so the templates only place text (and Jinja escapes all of it).

The layout follows the catalogue: one section per area, in the catalogue's order, holding the
area's quantitative indicators (value, parts, change, trend), their breakdowns, and the scores
of its qualitative indicators. Every indicator of the catalogue gets its row and anchor, with a
dash where there is no figure, so that a recommendation can always link to what it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from services.indicators.catalogue import Indicator
from services.indicators.evaluator import Cell, Value
from services.reporting.rendering import figures as fig
from services.reporting.rendering.charts import sparkline
from services.reporting.rendering.content import (
    NATIONAL,
    NOT_ASSESSED,
    Assessment,
    EvidenceRef,
    Finding,
    FollowUpItem,
    LogBasis,
    ReportContent,
)

# Headings for the areas of the seed catalogue (domain README §5.3); an area a later
# catalogue adds is headed by its name.
AREA_TITLES = {
    "identification": "Identification of victims",
    "referral": "Referral",
    "assistance": "Assistance and support",
    "child_victims": "Child victims",
    "non_punishment": "Non-punishment",
    "compensation": "Compensation and legal redress",
    "criminal_justice": "Investigation, prosecution and trial",
    "return_reintegration": "Return and reintegration",
    "coordination_data": "Coordination, data and privacy",
}
JUDGEMENT = {
    ("higher_is_better", 1): "better",
    ("higher_is_better", -1): "worse",
    ("lower_is_better", 1): "worse",
    ("lower_is_better", -1): "better",
}


def words(name: str) -> str:
    return name.replace("_", " ")


def indicator_anchor(code: str) -> str:
    return f"ind-{code}"


def finding_anchor(section: str, finding_id: str) -> str:
    return f"{section[:3]}-{finding_id}"


# --- Rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    text: str
    parts: str = ""
    suppressed: bool = False
    comparable: bool = True


@dataclass(frozen=True)
class Trend:
    chart: Markup
    points: tuple[str, ...]  # "2023: 41" per period: the chart as text
    change: str = ""
    judgement: str = ""


@dataclass(frozen=True)
class Citation:
    label: str
    anchor: str


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    anchor: str
    title: str
    unit: str
    polarity: str
    figures: tuple[Figure, ...]  # one per country
    trends: tuple[Trend, ...]  # one per country
    cited_by: tuple[Citation, ...]


@dataclass(frozen=True)
class BreakdownRow:
    category: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class BreakdownGroup:
    dimension: str
    rows: tuple[BreakdownRow, ...]


@dataclass(frozen=True)
class Breakdown:
    code: str
    title: str
    groups: tuple[BreakdownGroup, ...]
    comparable: tuple[bool, ...]  # one per country


@dataclass(frozen=True)
class Score:
    text: str
    assessed: bool
    rationale: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ScoreLine:
    code: str
    anchor: str
    title: str
    scores: tuple[Score, ...]  # one per country
    cited_by: tuple[Citation, ...]


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    lines: tuple[IndicatorLine, ...]
    breakdowns: tuple[Breakdown, ...]
    scores: tuple[ScoreLine, ...]


@dataclass(frozen=True)
class FindingView:
    id: str
    anchor: str
    paragraphs: tuple[str, ...]
    rests_on: tuple[Citation, ...]
    addressees: tuple[str, ...] = ()


@dataclass(frozen=True)
class FollowUpLine:
    """An earlier recommendation and what became of it in the reference year."""

    reference: str
    paragraphs: tuple[str, ...]
    addressees: str
    rests_on: tuple[Citation, ...]
    status: str  # for people: "partly implemented"
    status_key: str  # for the style: partly_implemented
    note: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ReportView:
    content: ReportContent
    national: bool
    countries: tuple[str, ...]
    periods: tuple[str, ...]  # every period shown in the trends, oldest first
    summary: tuple[str, ...]
    areas: tuple[Area, ...]
    conclusions: tuple[FindingView, ...]
    recommendations: tuple[FindingView, ...]
    good_practices: tuple[tuple[str, ...], ...]
    follow_up: tuple[FollowUpLine, ...]
    published: str  # for people: 2025-03-01 10:00 UTC
    timestamp: str  # W3C date-time: WeasyPrint copies it into the PDF's dates
    logs: tuple[LogBasis, ...]
    profiles: tuple[tuple[str, int | str], ...]
    suppression_rule: str


# --- Building ----------------------------------------------------------------------------------


class ReportIndex:
    """The values of a report by (country, period, indicator, cell), and its scores."""

    def __init__(self, content: ReportContent) -> None:
        self.values: dict[tuple[str, str, str, Cell], Value] = {}
        self._cells: dict[tuple[str, str], set[Cell]] = {}
        self.noncomparable = {s.country: s.noncomparable for s in content.values}
        self.assessments = {(a.country, a.indicator): a for a in content.assessments}
        for series in content.values:
            for figures in series.periods:
                for value in figures.values:
                    cell = tuple(value.cell)
                    self.values[(series.country, figures.period, value.indicator, cell)] = value
                    self._cells.setdefault((figures.period, value.indicator), set()).add(cell)
        self.periods = tuple(sorted({p.period for s in content.values for p in s.periods}))

    def get(self, country: str, period: str, code: str, cell: Cell = ()) -> Value | None:
        return self.values.get((country, period, code, cell))

    def cells(self, period: str, code: str) -> set[Cell]:
        return self._cells.get((period, code), set())

    def comparable(self, country: str, code: str) -> bool:
        return code not in self.noncomparable.get(country, frozenset())


def paragraphs(text: str) -> tuple[str, ...]:
    """Narrative text is plain text: paragraphs are separated by blank lines."""
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return tuple(block for block in blocks if block)


def build(content: ReportContent) -> ReportView:
    index = ReportIndex(content)
    countries = content.countries
    periods = tuple(p for p in index.periods if p <= content.period) or (content.period,)
    citations = _citations(content)
    order = fig.CellOrder(content.catalogue)
    areas = tuple(
        _area(content, index, order, area, countries, periods, citations)
        for area in content.catalogue.vocabularies.areas
    )
    disclosure = content.catalogue.disclosure
    return ReportView(
        content=content,
        national=content.kind == NATIONAL,
        countries=countries,
        periods=periods,
        summary=paragraphs(content.summary),
        areas=tuple(area for area in areas if area.lines or area.scores),
        conclusions=tuple(_finding("conclusions", f) for f in content.conclusions),
        recommendations=tuple(_finding("recommendations", f) for f in content.recommendations),
        good_practices=tuple(paragraphs(text) for text in content.good_practices),
        follow_up=tuple(map(_follow_up, content.follow_up)),
        published=content.published_at.strftime("%Y-%m-%d %H:%M UTC"),
        timestamp=content.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        logs=tuple(sorted(content.basis.logs, key=lambda log: log.origin)),
        profiles=tuple(sorted(content.basis.profile_versions.items())),
        suppression_rule=(
            f"A suppressed cell rests on fewer than {disclosure.min_cell} persons "
            f"({disclosure.k_cross} in a cross-tabulation), counting those in it and, for a "
            "share, those outside it — or was hidden with such a cell so that it cannot be "
            "worked out from the total."
        ),
    )


def _citations(content: ReportContent) -> dict[str, tuple[Citation, ...]]:
    """For each indicator, the conclusions and recommendations that rest on it."""
    cited: dict[str, list[Citation]] = {}
    for section in ("conclusions", "recommendations"):
        for finding in getattr(content, section):
            for code in dict.fromkeys(finding.indicators):
                cited.setdefault(code, []).append(
                    Citation(finding.id, finding_anchor(section, finding.id))
                )
    return {code: tuple(found) for code, found in cited.items()}


def _finding(section: str, finding: Finding) -> FindingView:
    return FindingView(
        id=finding.id,
        anchor=finding_anchor(section, finding.id),
        paragraphs=paragraphs(finding.text),
        rests_on=tuple(Citation(c, indicator_anchor(c)) for c in dict.fromkeys(finding.indicators)),
        addressees=finding.addressees,
    )


def _follow_up(item: FollowUpItem) -> FollowUpLine:
    return FollowUpLine(
        reference=f"{item.reference} ({item.issued})",
        paragraphs=paragraphs(item.text),
        addressees=", ".join(item.addressees),
        rests_on=tuple(Citation(c, indicator_anchor(c)) for c in dict.fromkeys(item.indicators)),
        status=words(item.status),
        status_key=item.status,
        note=item.note or "",
        evidence=tuple(map(evidence_text, item.evidence)),
    )


def _area(content: ReportContent, index: ReportIndex, order: fig.CellOrder, area: str,
          countries: Sequence[str], periods: Sequence[str],
          citations: dict[str, tuple[Citation, ...]]) -> Area:  # fmt: skip
    indicators = [i for i in content.catalogue.indicators if i.area == area]
    quantitative = [i for i in indicators if i.quantitative]
    lines = tuple(
        _line(content, index, i, countries, periods, citations.get(i.code, ()))
        for i in quantitative
    )
    breakdowns = tuple(
        found
        for i in quantitative
        if (found := _breakdown(content, index, order, i, countries)) is not None
    )
    scores = tuple(
        _score_line(index, i, countries, citations.get(i.code, ()))
        for i in indicators
        if not i.quantitative
    )
    return Area(area, AREA_TITLES.get(area, words(area).capitalize()), lines, breakdowns, scores)


def _figure(content: ReportContent, index: ReportIndex, value: Value | None,
            country: str, code: str) -> Figure:  # fmt: skip
    disclosure = content.catalogue.disclosure
    return Figure(
        text=fig.shown(value, disclosure),
        parts=fig.parts(value),
        suppressed=value is not None and value.suppressed,
        comparable=index.comparable(country, code),
    )


def _line(content: ReportContent, index: ReportIndex, indicator: Indicator,
          countries: Sequence[str], periods: Sequence[str],
          cited_by: tuple[Citation, ...]) -> IndicatorLine:  # fmt: skip
    code = indicator.code
    return IndicatorLine(
        code=code,
        anchor=indicator_anchor(code),
        title=indicator.title,
        unit=indicator.unit,
        polarity=words(indicator.polarity or "context"),
        figures=tuple(
            _figure(content, index, index.get(c, content.period, code), c, code) for c in countries
        ),
        trends=tuple(_trend(content, index, indicator, c, periods) for c in countries),
        cited_by=cited_by,
    )


def _published(value: Value | None) -> fig.Number | None:
    return None if value is None or value.suppressed else value.value


def _trend(content: ReportContent, index: ReportIndex, indicator: Indicator, country: str,
           periods: Sequence[str]) -> Trend:  # fmt: skip
    disclosure = content.catalogue.disclosure
    series = [index.get(country, p, indicator.code) for p in periods]
    points = tuple(f"{p}: {fig.shown(v, disclosure)}" for p, v in zip(periods, series, strict=True))
    chart = sparkline([_published(v) for v in series])
    current = _published(series[-1]) if periods[-1] == content.period else None
    before = [(p, n) for p, v in zip(periods[:-1], series[:-1], strict=True)
              if (n := _published(v)) is not None]  # fmt: skip
    if current is None or not before:
        return Trend(chart, points)
    period, previous = before[-1]
    change, sign = fig.difference(current, previous, indicator.unit)
    judgement = JUDGEMENT.get((indicator.polarity or "", sign), "no change" if sign == 0 else "")
    return Trend(chart, points, f"{change} since {period}", judgement)


def _breakdown(content: ReportContent, index: ReportIndex, order: fig.CellOrder,
               indicator: Indicator, countries: Sequence[str]) -> Breakdown | None:  # fmt: skip
    """The indicator's one-way breakdowns in the reference period; in a regional report the
    categories any country reported, one column per country."""
    code = indicator.code
    cells = order.cells(code, index.cells(content.period, code))
    groups = []
    for dimension, dim_cells in fig.by_dimension(cells).items():
        rows = tuple(
            BreakdownRow(
                category=words(cell[0][1]),
                figures=tuple(
                    _figure(content, index, index.get(c, content.period, code, cell), c, code)
                    for c in countries
                ),
            )
            for cell in dim_cells
        )
        groups.append(BreakdownGroup(words(dimension), rows))
    if not groups:
        return None
    comparable = tuple(index.comparable(c, code) for c in countries)
    return Breakdown(code, indicator.title, tuple(groups), comparable)


def _score_line(index: ReportIndex, indicator: Indicator, countries: Sequence[str],
                cited_by: tuple[Citation, ...]) -> ScoreLine:  # fmt: skip
    return ScoreLine(
        code=indicator.code,
        anchor=indicator_anchor(indicator.code),
        title=indicator.title,
        scores=tuple(
            _score(indicator, index.assessments.get((c, indicator.code))) for c in countries
        ),
        cited_by=cited_by,
    )


def _score(indicator: Indicator, assessment: Assessment | None) -> Score:
    if assessment is None:
        return Score("no assessment", False, "", ())
    if assessment.score == NOT_ASSESSED:
        reason = assessment.not_assessed_reason or ""
        return Score("not assessed", False, reason, tuple(map(evidence_text, assessment.evidence)))
    labels = {level.score: level.label for level in indicator.scale}
    label = labels.get(int(assessment.score), "")
    text = f"{assessment.score} — {label}" if label else str(assessment.score)
    return Score(
        text, True, assessment.rationale or "", tuple(map(evidence_text, assessment.evidence))
    )


def evidence_text(evidence: EvidenceRef) -> str:
    """A reference as text, never a link: a URL in evidence is shown, not followed, so that a
    hostile `javascript:` reference cannot become an active link in the report."""
    parts = [evidence.title]
    if evidence.reference:
        parts.append(evidence.reference)
    if evidence.date:
        parts.append(evidence.date)
    if evidence.sha256:
        parts.append(f"file sha256:{evidence.sha256}")
    return " · ".join(parts)
