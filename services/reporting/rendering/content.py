"""What a report says, frozen: the one input every output format is rendered from.

A `ReportContent` holds everything a rendering reads — figures, scores, narrative and the
pinned basis — and nothing it would have to look up, so that the same content always renders
to the same bytes (issue 7: same basis, byte-identical output). It is checked whole when it is
built: every problem is collected into one `ValidationProblem`, keyed by field path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.indicators.catalogue import Catalogue
from services.indicators.computing import PeriodValues, cell_key
from services.indicators.evaluator import Value
from shared.errors import ValidationProblem

NATIONAL, REGIONAL = "national", "regional"
KINDS = (NATIONAL, REGIONAL)
NOT_ASSESSED = "not_assessed"
SCORES = (0, 1, 2, NOT_ASSESSED)
YEAR = re.compile(r"^[0-9]{4}\Z")
COUNTRY = re.compile(r"^[A-Z]{2}\Z")
HEX_HASH = re.compile(r"^[0-9a-f]{64}\Z")
# Finding ids become parts of HTML anchors (`#rec-R1`): keep them to characters that need no
# escaping in an id or a URL fragment.
FINDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}\Z")

_Add = Callable[[str, str], None]  # how a check reports a problem: path, message


@dataclass(frozen=True)
class PeriodFigures:
    """The figures of one country for one reference period (e.g. "2024")."""

    period: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class CountrySeries:
    """One country's figures over the reference period and the years before it (the trend).
    `noncomparable` lists the indicator codes the country measures by a national definition
    (profile status `adapted_noncomparable`): shown, but marked, in a regional comparison."""

    country: str
    periods: tuple[PeriodFigures, ...]
    noncomparable: frozenset[str] = frozenset()

    def comparable(self, code: str) -> bool:
        return code not in self.noncomparable

    @classmethod
    def from_computed(
        cls,
        country: str,
        computed: Iterable[PeriodValues],
        noncomparable: Iterable[str] = (),
        disclosed: bool = True,
    ) -> CountrySeries:
        """From the indicators service's `compute_country` output. A report is published, so
        it takes the values after disclosure control unless the caller says otherwise."""
        periods = tuple(
            PeriodFigures(p.period, tuple(p.regional if disclosed else p.national))
            for p in computed
        )
        return cls(country, periods, frozenset(noncomparable))


@dataclass(frozen=True)
class EvidenceRef:
    """A document a qualitative score rests on: a citation or URL, or a file by its hash."""

    title: str
    reference: str | None = None
    date: str | None = None  # ISO date
    sha256: str | None = None


@dataclass(frozen=True)
class Assessment:
    """A confirmed qualitative score of one indicator for one country: 0, 1, 2 on the
    indicator's scale, or `not_assessed` with the reason."""

    indicator: str
    country: str
    score: int | str
    evidence: tuple[EvidenceRef, ...] = ()
    rationale: str | None = None
    not_assessed_reason: str | None = None


@dataclass(frozen=True)
class Finding:
    """A conclusion or a recommendation, the indicators it rests on and (a recommendation) the
    institutions it is addressed to."""

    id: str
    text: str
    indicators: tuple[str, ...] = ()
    addressees: tuple[str, ...] = ()


FOLLOW_UP_STATUSES = ("implemented", "partly_implemented", "not_implemented",
                      "no_longer_relevant", NOT_ASSESSED)  # fmt: skip


@dataclass(frozen=True)
class FollowUpItem:
    """An earlier recommendation (of an earlier report, or of GRETA) and what became of it in
    the report's reference year, as a reviewer confirmed it (`not_assessed` until then)."""

    recommendation_id: str
    source: str  # report GRETA
    reference: str
    issued: str  # the year it was made
    text: str
    status: str
    addressees: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    evidence: tuple[EvidenceRef, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class LogBasis:
    """A source log as the report read it: a signed checkpoint's origin, tree size and root."""

    origin: str
    tree_size: int
    root_hash: str  # hex


@dataclass(frozen=True)
class ReportBasis:
    logs: tuple[LogBasis, ...]
    catalog_version: str
    profile_versions: Mapping[str, int | str]  # country -> national profile version
    code_version: str  # git revision


@dataclass(frozen=True)
class Supersession:
    """The published version a correction replaces, and why."""

    report_id: str
    version: int
    reason: str


@dataclass(frozen=True)
class ReportContent:
    report_id: str
    version: int
    kind: str  # national regional
    title: str
    country: str | None  # None for a regional report
    period: str  # the reference year
    catalogue: Catalogue
    values: tuple[CountrySeries, ...]
    basis: ReportBasis
    published_at: datetime  # given by the caller: rendering never reads the clock
    summary: str = ""
    assessments: tuple[Assessment, ...] = ()
    conclusions: tuple[Finding, ...] = ()
    recommendations: tuple[Finding, ...] = ()
    good_practices: tuple[str, ...] = ()
    supersedes: Supersession | None = None
    language: str = "en"
    follow_up: tuple[FollowUpItem, ...] = ()  # a national report's earlier recommendations

    def __post_init__(self) -> None:
        errors = problems(self)
        if errors:
            raise ValidationProblem(
                f"Report {self.report_id} v{self.version} cannot be rendered: "
                + ", ".join(sorted(errors)),
                errors,
            )

    @property
    def catalog_version(self) -> str:
        return self.catalogue.catalog_version

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted(series.country for series in self.values))


def problems(content: ReportContent) -> dict[str, list[str]]:
    """Every reason the content cannot be rendered, by field path."""
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    _check_header(content, add)
    _check_values(content, add)
    _check_assessments(content, add)
    _check_findings(content, add)
    _check_follow_up(content, add)
    _check_basis(content, add)
    return errors


def _check_header(content: ReportContent, add: _Add) -> None:
    if content.kind not in KINDS:
        add("kind", f"Unknown {content.kind!r}; allowed: {', '.join(KINDS)}.")
    if content.kind == NATIONAL and (content.country is None or not COUNTRY.match(content.country)):
        add("country", "A national report needs its country (ISO 3166 alpha-2).")
    if content.kind == REGIONAL and content.country is not None:
        add("country", "A regional report covers all countries: leave country empty.")
    if not YEAR.match(content.period):
        add("period", "Must be a reference year such as 2024.")
    if content.version < 1:
        add("version", "Versions start at 1.")
    if content.published_at.utcoffset() != timedelta(0):
        # A local time would make the same report render differently per server zone.
        add("published_at", "Must be a UTC timestamp (tzinfo with offset 0).")
    earlier = content.supersedes
    if earlier is not None and not earlier.reason.strip():
        add("supersedes.reason", "A correction must say why it replaces the published version.")
    if (
        earlier is not None
        and earlier.report_id == content.report_id
        and earlier.version >= content.version
    ):
        add("supersedes.version", f"A correction of version {earlier.version} comes after it.")


def _check_values(content: ReportContent, add: _Add) -> None:
    countries = [series.country for series in content.values]
    if len(set(countries)) != len(countries):
        add("values", "Names a country twice.")
    if content.kind == NATIONAL and countries != [content.country]:
        add("values", f"A national report holds the figures of {content.country} only.")
    quantitative = {i.code for i in content.catalogue.indicators if i.quantitative}
    for series in content.values:
        at = f"values.{series.country}"
        if not COUNTRY.match(series.country):
            add(at, "Country must be an ISO 3166 alpha-2 code.")
        for unknown in sorted(series.noncomparable - set(content.catalogue.codes)):
            add(f"{at}.noncomparable", f"No indicator {unknown} in the catalogue.")
        periods = [figures.period for figures in series.periods]
        if len(set(periods)) != len(periods):
            add(f"{at}.periods", "Names a period twice.")
        for figures in series.periods:
            _check_period(content, figures, quantitative, f"{at}.{figures.period}", add)


def _check_period(content: ReportContent, figures: PeriodFigures, quantitative: set[str],
                  at: str, add: _Add) -> None:  # fmt: skip
    if not YEAR.match(figures.period):
        add(at, "Must be a year such as 2024.")
    elif YEAR.match(content.period) and figures.period > content.period:
        # A report on a year rests on that year and the ones before, never on later figures.
        add(at, f"Is after the reference period {content.period}.")
    for unknown in sorted({v.indicator for v in figures.values} - quantitative):
        add(at, f"{unknown} is not a quantitative indicator of the catalogue.")
    seen = Counter((v.indicator, tuple(v.cell)) for v in figures.values)
    for code, cell in sorted(key for key, times in seen.items() if times > 1):
        # Which of two figures for one cell a table showed would depend on their order.
        add(at, f"{code} {cell_key(cell) or 'total'} has more than one value.")


def _check_assessments(content: ReportContent, add: _Add) -> None:
    qualitative = {i.code for i in content.catalogue.indicators if not i.quantitative}
    seen: set[tuple[str, str]] = set()
    for n, assessment in enumerate(content.assessments):
        at = f"assessments.{n}"
        key = (assessment.country, assessment.indicator)
        if key in seen:
            add(at, f"{assessment.indicator} of {assessment.country} is scored twice.")
        seen.add(key)
        if assessment.indicator not in qualitative:
            add(at, f"{assessment.indicator} is not a qualitative indicator of the catalogue.")
        if assessment.country not in {series.country for series in content.values}:
            add(at, f"{assessment.country} is not a country of the report.")
        if isinstance(assessment.score, bool) or assessment.score not in SCORES:
            add(f"{at}.score", "Must be 0, 1, 2 or not_assessed.")
        elif assessment.score != NOT_ASSESSED and not assessment.evidence:
            add(f"{at}.evidence", "A score needs at least one evidence item.")


def _check_findings(content: ReportContent, add: _Add) -> None:
    codes = set(content.catalogue.codes)
    for section in ("conclusions", "recommendations"):
        findings: Sequence[Finding] = getattr(content, section)
        ids = [finding.id for finding in findings]
        if len(set(ids)) != len(ids):
            add(section, "Names an id twice.")
        for finding in findings:
            at = f"{section}.{finding.id}"
            if not FINDING_ID.match(finding.id):
                add(at, "Id must be letters, digits, '_', '.' or '-' (at most 40).")
            for code in finding.indicators:
                if code not in codes:
                    add(at, f"Rests on {code}, which is not in the catalogue.")


def _check_follow_up(content: ReportContent, add: _Add) -> None:
    if content.follow_up and content.kind != NATIONAL:
        add("follow_up", "Only a national report follows up its country's recommendations.")
    codes = set(content.catalogue.codes)
    ids = [item.recommendation_id for item in content.follow_up]
    if len(set(ids)) != len(ids):
        add("follow_up", "Names a recommendation twice.")
    for item in content.follow_up:
        at = f"follow_up.{item.recommendation_id}"
        if not FINDING_ID.match(item.recommendation_id):
            add(at, "Id must be letters, digits, '_', '.' or '-' (at most 40).")
        if item.status not in FOLLOW_UP_STATUSES:
            add(f"{at}.status", f"One of {', '.join(FOLLOW_UP_STATUSES)}.")
        elif item.status != NOT_ASSESSED and not item.evidence:
            add(f"{at}.evidence", "An assessed recommendation needs at least one evidence item.")
        if not YEAR.match(item.issued) or (YEAR.match(content.period)
                                           and item.issued >= content.period):  # fmt: skip
            add(f"{at}.issued", f"Must be a year before the reference period {content.period}.")
        for code in item.indicators:
            if code not in codes:
                add(at, f"Rests on {code}, which is not in the catalogue.")


def _check_basis(content: ReportContent, add: _Add) -> None:
    basis = content.basis
    if basis.catalog_version != content.catalogue.catalog_version:
        pinned, loaded = basis.catalog_version, content.catalog_version
        add("basis.catalog_version", f"Pins {pinned}, but the catalogue is {loaded}.")
    if not basis.logs:
        add("basis.logs", "A report must pin at least one source log.")
    for log in basis.logs:
        if not HEX_HASH.match(log.root_hash):
            add(f"basis.logs.{log.origin}", "Root hash must be 64 lower-case hex digits.")
        if log.tree_size < 0:
            add(f"basis.logs.{log.origin}", "Tree size cannot be negative.")
    if not basis.code_version.strip():
        add("basis.code_version", "Must name the code revision that rendered the report.")
