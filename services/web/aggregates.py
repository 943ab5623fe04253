"""The institutions' submission form: inputs for the catalogue's `agg_` fields that the country's
indicators read, and the posted form turned into the body of `POST /api/v1/submissions`.

An input is named after the path the intake service names in its errors (`period`,
`document.title`, `figures.agg_x.total`, `figures.agg_x.breakdowns.sex` for a breakdown's cells,
`figures.agg_x.records.0.outcome`), so each of its errors lands next to the input it is about.
The form is built from the same catalogue the intake service checks submissions against; which
figures are valid is still the service's decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from services.indicators.catalogue import Catalogue, load_catalogue
from services.indicators.cycles import aggregate_fields_of
from services.intake.submissions import CATALOGUE
from services.web.forms import Choice, FieldSpec

Translate = Callable[[str], str]

BLANK_RECORDS = 2  # empty rows under a records table; "More rows" adds MORE_RECORDS
MORE_RECORDS = 3
DROPPED = "dropped"  # a profile entry the country does not compute


def N_(message: str) -> str:  # the gettext convention for "translate later"
    return message


FIGURE_LABELS = {
    "agg_cj_InvestigationsOpened": N_("Investigations opened"),
    "agg_cj_PersonsIndicted": N_("Persons indicted"),
    "agg_cj_PersonsConvictedFinal": N_("Persons convicted (final)"),
    "agg_cj_FinalConvictionsEffectiveImprisonment": N_(
        "Final convictions with effective imprisonment"
    ),
    "agg_cj_FinalSentenceRecords": N_("Final sentences"),
    "agg_cj_FinalJudgmentRecords": N_("Final judgments"),
    "agg_cj_THBCasesConcluded": N_("Trafficking cases concluded"),
    "agg_cj_THBCasesConcludedOtherOffence": N_("Trafficking cases concluded under another offence"),
    "agg_fin_AssistanceFundingEUR": N_("Funding for victim assistance"),
    "agg_mon_GretaRecsTotal": N_("GRETA recommendations in total"),
    "agg_mon_GretaRecsImplemented": N_("GRETA recommendations implemented"),
}
GROUP_LABELS = {
    "cj": N_("Criminal justice"),
    "fin": N_("Funding"),
    "mon": N_("Monitoring"),
}
UNIT_LABELS = {
    "case": N_("cases"),
    "defendant": N_("defendants"),
    "recommendation": N_("recommendations"),
    "amount_eur": N_("EUR"),
    "records": N_("records"),
}
DIMENSION_LABELS = {
    "exploitation_type": N_("Type of exploitation"),
    "defendant_sex": N_("Sex of the defendant"),
    "funding_recipient": N_("Recipient of the funding"),
}
# the codes a breakdown is submitted by (HTCDS codes, which the values computer groups into the
# catalogue's categories), and the categories of breakdowns that exist only in submissions
CODE_LABELS = {
    "SexualExploitation": N_("Sexual exploitation"),
    "ForcedLabour": N_("Forced labour"),
    "ChildLabour": N_("Child labour"),
    "Servitude": N_("Servitude"),
    "ForcedBegging": N_("Forced begging"),
    "ext_ForcedCriminality": N_("Forced criminality"),
    "ForcedMarriage": N_("Forced marriage"),
    "ForcedMilitaryByNonStateActors": N_("Forced military service by non-state actors"),
    "OrganRemoval": N_("Organ removal"),
    "ForcedAdoption": N_("Forced adoption"),
    "Surrogacy": N_("Surrogacy"),
    "Other": N_("Other"),
    "female": N_("Female"),
    "male": N_("Male"),
    "unknown": N_("Unknown"),
    "state_provider": N_("State providers"),
    "cso_provider": N_("Civil society providers"),
    "Conviction": N_("Conviction"),
    "Acquittal": N_("Acquittal"),
    "Dismissal": N_("Dismissal"),
}
ATTRIBUTE_LABELS = {
    "prison_months": N_("Prison (months)"),
    "suspended": N_("Suspended"),
    "exploitation_type": N_("Type of exploitation"),
    "days_indictment_to_final": N_("Days from indictment to final judgment"),
    "outcome": N_("Outcome"),
}
SOURCE_LABELS = {
    "police": N_("Police"),
    "prosecution": N_("Public prosecution"),
    "courts": N_("Courts"),
    "budget_documents": N_("Budget documents"),
    "national_coordinator": N_("National coordinator"),
    "csos_monitor": N_("Monitoring CSO"),
}


@cache
def catalogue() -> Catalogue:
    """The catalogue the intake service checks submissions against."""
    return load_catalogue(CATALOGUE)


@dataclass(frozen=True)
class Breakdown:
    name: str  # the error path of the whole breakdown: figures.agg_x.breakdowns.<dimension>
    dimension: str
    label: str
    cells: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Attribute:
    name: str
    label: str
    kind: str  # number integer boolean code
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Figure:
    """One `agg_` field of the form: a total with its breakdown cells, or a table of records."""

    name: str
    label: str
    kind: str  # count amount_eur records
    unit: str
    group: str
    total: FieldSpec | None = None
    breakdowns: tuple[Breakdown, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    indicators: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"figures.{self.name}"

    @property
    def records(self) -> bool:
        return self.kind == "records"

    def inputs(self) -> list[str]:
        """The names of its inputs that are not records."""
        cells = [cell.name for breakdown in self.breakdowns for cell in breakdown.cells]
        return ([self.total.name] if self.total else []) + cells


@dataclass
class FormValues:
    """What the form shows: the typed strings by input name, and each records field's rows
    (non-empty rows only, in the order they are sent, so that the service's row numbers in
    its errors are the rows shown)."""

    inputs: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[dict[str, str]]] = field(default_factory=dict)


# --- which figures a country's indicators read ------------------------------------------------
# (the same fields the monitoring cycle asks the institutions for: cycles.aggregate_fields_of)
def fields_in_use(
    cat: Catalogue, profile: Iterable[Mapping[str, Any]] | None
) -> dict[str, tuple[str, ...]]:
    """Each `agg_` field the country's indicators read, with the indicators reading it: those
    of the country's profile that it does not drop (every core indicator without a profile)."""
    kept = None if profile is None else {
        entry["code"] for entry in profile
        if entry.get("status") != DROPPED and not entry.get("national_addition")
    }  # fmt: skip
    used: dict[str, list[str]] = {}
    for indicator in cat.indicators:
        if kept is not None and indicator.code not in kept:
            continue
        for name in aggregate_fields_of(indicator):
            used.setdefault(name, []).append(indicator.code)
    return {name: tuple(used[name]) for name in cat.aggregate_fields if name in used}


# --- the form ---------------------------------------------------------------------------------
def submission_form(
    cat: Catalogue, in_use: Mapping[str, tuple[str, ...]], translate: Translate
) -> list[Figure]:
    """The figures of the form in the catalogue's order."""
    return [_figure(cat, name, indicators, translate) for name, indicators in in_use.items()]


def _figure(cat: Catalogue, name: str, indicators: tuple[str, ...], t: Translate) -> Figure:
    spec = cat.aggregate_fields[name]
    group = name.split("_")[1] if name.count("_") >= 2 else ""
    common = {"name": name, "label": t(FIGURE_LABELS.get(name, name)), "kind": spec.type,
              "group": group, "indicators": indicators,
              "sources": tuple(t(SOURCE_LABELS.get(s, s)) for s in spec.submitted_by)}  # fmt: skip
    if spec.type == "records":
        attributes = tuple(_attribute(attribute, kind, t)
                           for attribute, kind in spec.attributes.items())  # fmt: skip
        return Figure(unit=t(UNIT_LABELS["records"]), attributes=attributes, **common)
    unit = t(UNIT_LABELS.get(spec.unit_of_count or spec.type, spec.unit_of_count or spec.type))
    whole = spec.type == "count"
    path = f"figures.{name}"
    total = _number_input(f"{path}.total", t(N_("Total")), whole, hint=unit)
    breakdowns = tuple(
        Breakdown(f"{path}.breakdowns.{dimension}", dimension,
                  t(DIMENSION_LABELS.get(dimension, dimension)),
                  tuple(_number_input(f"{path}.breakdowns.{dimension}.{code}",
                                      t(CODE_LABELS.get(code, code)), True)
                        for code in breakdown_codes(cat, dimension)))
        for dimension in spec.breakdowns
    )  # fmt: skip
    return Figure(unit=unit, total=total, breakdowns=breakdowns, **common)


def breakdown_codes(cat: Catalogue, dimension: str) -> tuple[str, ...]:
    """The codes a breakdown is submitted by: the source codes of a dimension derived from a
    case field (`SexualExploitation`, which the values computer groups into `sexual`), or the
    categories of a breakdown that exists only in submissions (`female`)."""
    disaggregation = cat.disaggregations[dimension]
    if disaggregation.origin == "aggregate":
        return disaggregation.categories
    for source in disaggregation.derived_from:
        found = cat.fields.get(source)
        if found is not None and found.codes:
            return found.codes
    return tuple(c for c in disaggregation.categories if c != "unknown")


def _number_input(name: str, label: str, whole: bool, hint: str = "") -> FieldSpec:
    return FieldSpec(name, label, "number", minimum=0, step=None if whole else "0.01",
                     hint=hint, parse="int" if whole else "float")  # fmt: skip


def _attribute(name: str, kind: Any, t: Translate) -> Attribute:
    label = t(ATTRIBUTE_LABELS.get(name, name))
    if kind.kind == "boolean":
        return Attribute(name, label, "boolean", (Choice("true", t(N_("yes"))),
                                                  Choice("false", t(N_("no")))))  # fmt: skip
    if kind.codes:
        choices = tuple(Choice(code, t(CODE_LABELS.get(code, code))) for code in kind.codes)
        return Attribute(name, label, "code", choices)
    return Attribute(name, label, kind.kind if kind.kind in ("integer", "number") else "code")


def document_inputs(t: Translate) -> list[FieldSpec]:
    """The reference period and the document the figures come from (their provenance)."""
    return [
        FieldSpec("period", t(N_("Reference period")), "text", True,
                  hint=t(N_("A year (2024) or a quarter (2024-Q3)."))),
        FieldSpec("document.title", t(N_("Document the figures come from")), "text", True,
                  hint=t(N_("For example: Annual statistical report 2024."))),
        FieldSpec("document.reference", t(N_("Document reference or number")), "text"),
        FieldSpec("document.dated", t(N_("Date of the document")), "date"),
    ]  # fmt: skip


def input_labels(
    document: Iterable[FieldSpec], form: Iterable[Figure], errors: Iterable[str], t: Translate
) -> dict[str, str]:
    """A label for each input an error can name, for the list of errors above the form."""
    labels = {spec.name: spec.label for spec in document}
    figures = {figure.name: figure for figure in form}
    for figure in figures.values():
        labels[figure.path] = figure.label
        if figure.total is not None:
            labels[figure.total.name] = f"{figure.label}: {figure.total.label}"
        for breakdown in figure.breakdowns:
            labels[breakdown.name] = f"{figure.label}: {breakdown.label}"
        labels[f"{figure.path}.records"] = figure.label
    for key in errors:  # figures.<agg>.records.<n>.<attribute>
        parts = key.split(".")
        figure = figures.get(parts[1]) if len(parts) == 5 and parts[2] == "records" else None
        if figure is not None and parts[3].isdigit():
            names = {attribute.name: attribute.label for attribute in figure.attributes}
            labels[key] = t(N_("%(figure)s, record %(n)s: %(attribute)s")) % {
                "figure": figure.label, "n": int(parts[3]) + 1,
                "attribute": names.get(parts[4], parts[4]),
            }  # fmt: skip
    return labels


def records_shown(rows: list[dict[str, str]], more: bool) -> int:
    """How many rows a records table shows: the rows typed, then some empty ones."""
    return len(rows) + BLANK_RECORDS + (MORE_RECORDS if more else 0)


# --- posted form -> values -> API body ----------------------------------------------------------
def values_posted(figures: Iterable[Figure], posted: Mapping[str, str]) -> FormValues:
    """The posted strings worth keeping; empty records rows are left out and the rest numbered
    from 0 in the order shown."""
    figures = list(figures)
    names = [spec.name for spec in document_inputs(str)]
    names += [name for figure in figures for name in figure.inputs()]
    values = FormValues({name: posted.get(name, "").strip() for name in names})
    for figure in figures:
        if figure.records:
            values.records[figure.name] = _posted_rows(figure, posted)
    return values


def _posted_rows(figure: Figure, posted: Mapping[str, str]) -> list[dict[str, str]]:
    numbers = sorted({int(key.split(".")[3]) for key in posted
                      if key.startswith(f"{figure.path}.records.")
                      and key.count(".") == 4 and key.split(".")[3].isdigit()})  # fmt: skip
    rows = []
    for number in numbers:
        prefix = f"{figure.path}.records.{number}."
        row = {a.name: posted.get(prefix + a.name, "").strip() for a in figure.attributes}
        if any(row.values()):
            rows.append(row)
    return rows


def submission_body(
    figures: Iterable[Figure], values: FormValues, country: str, organisation_id: str
) -> dict[str, Any]:
    """The JSON body for `POST /api/v1/submissions`. A figure left empty is not submitted; a
    value that is not a number is sent as typed, so that the service names it."""
    inputs = values.inputs
    document = {key: inputs[f"document.{key}"] for key in ("title", "reference", "dated")
                if inputs.get(f"document.{key}")}  # fmt: skip
    body: dict[str, Any] = {"country": country, "organisation_id": organisation_id,
                            "period": inputs.get("period", ""), "document": document,
                            "figures": {}}  # fmt: skip
    for figure in figures:
        sent = _records_sent(figure, values) if figure.records else _figure_sent(figure, inputs)
        if sent:
            body["figures"][figure.name] = sent
    return body


def _figure_sent(figure: Figure, inputs: Mapping[str, str]) -> dict[str, Any]:
    sent: dict[str, Any] = {}
    if figure.total is not None and inputs.get(figure.total.name):
        sent["total"] = _typed(inputs[figure.total.name], figure.kind == "count")
    for breakdown in figure.breakdowns:
        cells = {cell.name.rsplit(".", 1)[1]: _typed(inputs[cell.name], True)
                 for cell in breakdown.cells if inputs.get(cell.name)}  # fmt: skip
        if cells:
            sent.setdefault("breakdowns", {})[breakdown.dimension] = cells
    return sent


def _records_sent(figure: Figure, values: FormValues) -> dict[str, Any]:
    rows = values.records.get(figure.name) or []
    if not rows:
        return {}
    kinds = {attribute.name: attribute.kind for attribute in figure.attributes}
    return {"records": [{name: _attribute_value(kinds[name], raw)
                         for name, raw in row.items() if raw} for row in rows]}  # fmt: skip


def _attribute_value(kind: str, raw: str) -> Any:
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if kind in ("integer", "number"):
        return _typed(raw, kind == "integer")
    return raw


def _typed(raw: str, whole: bool) -> Any:
    text = raw.replace(" ", "").replace("\u00a0", "")
    try:
        number = float(text.replace(",", ".")) if not whole else int(text)
    except ValueError:
        return raw
    return int(number) if not whole and number.is_integer() else number


# --- a recorded submission -> values (a resubmission starts from the current figures) --------
def values_of(submission: Mapping[str, Any]) -> FormValues:
    document = submission.get("document") or {}
    values = FormValues({"period": str(submission.get("period") or "")})
    for key in ("title", "reference", "dated"):
        if document.get(key) not in (None, ""):
            values.inputs[f"document.{key}"] = str(document[key])
    for name, figure in (submission.get("figures") or {}).items():
        if "records" in figure:
            values.records[name] = [{key: _shown(value) for key, value in record.items()}
                                    for record in figure["records"]]  # fmt: skip
            continue
        if figure.get("total") is not None:
            values.inputs[f"figures.{name}.total"] = _shown(figure["total"])
        for dimension, cells in (figure.get("breakdowns") or {}).items():
            for category, count in cells.items():
                values.inputs[f"figures.{name}.breakdowns.{dimension}.{category}"] = _shown(count)
    return values


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- a recorded submission, told in words ------------------------------------------------------
@dataclass(frozen=True)
class Told:
    """A submitted figure as the list shows it."""

    name: str
    label: str
    unit: str
    total: Any = None
    cells: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # (dimension, (cat, n))
    records: int | None = None


def told(figures_sent: Mapping[str, Any], form: Iterable[Figure], t: Translate) -> list[Told]:
    """Each figure of a submission with its label and unit, in the form's order; one the form
    does not show (the country's profile dropped it since) keeps its field name."""
    known = {figure.name: figure for figure in form}
    order = [name for name in known if name in figures_sent]
    order += sorted(name for name in figures_sent if name not in known)
    found = []
    for name in order:
        sent, figure = figures_sent[name] or {}, known.get(name)
        label = figure.label if figure else t(FIGURE_LABELS.get(name, name))
        unit = figure.unit if figure else ""
        if "records" in sent:
            found.append(Told(name, label, unit, records=len(sent["records"] or [])))
            continue
        cells = tuple(
            (t(DIMENSION_LABELS.get(dimension, dimension)),
             tuple((t(CODE_LABELS.get(category, category)), count)
                   for category, count in (counts or {}).items()))
            for dimension, counts in (sent.get("breakdowns") or {}).items()
        )  # fmt: skip
        found.append(Told(name, label, unit, sent.get("total"), cells))
    return found
