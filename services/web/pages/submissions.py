"""The institutions' pages: their aggregate figures (the list, the submission form, a
submission's history) and the import of case files (HTCDS Excel, XLSForm/Kobo JSON) with a dry
run first. Figures go to the intake service's submissions API, files to its imports API; the
service checks roles, countries and every value, and its errors are shown next to the input
they name."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from werkzeug import Response
from werkzeug.exceptions import NotFound

from services.web import aggregates, imports
from services.web.aggregates import Figure, FormValues
from services.web.backend import ServiceError
from services.web.forms import FieldSpec
from services.web.pages import call, get, page, signed_in, user_countries

blp = Blueprint("submissions", __name__, url_prefix="/submissions")

# as the intake service allows (it checks again, for the country)
READERS = ("data_provider", "monitor", "reviewer", "national_admin")
SUBMITTERS = ("data_provider", "monitor")
IMPORTERS = ("case_worker", "data_provider")
IMPORT_PAGE = IMPORTERS
FIELD_ERRORS = (400, 409, 422)


def N_(message: str) -> str:  # the gettext convention for "translate later"
    return message


FILE_FORMATS = {
    "htcds-excel": N_("HTCDS 2.0 Excel workbook"),
    "htcds-excel-validation": N_("HTCDS 2.0 Excel workbook (single select with validation)"),
    "xlsform-json": N_("HTCDS XLSForm submissions (JSON)"),
    "xlsform-kobo": N_("HTCDS XLSForm submissions exported from KoboToolbox"),
    "xlsform-odata": N_("HTCDS XLSForm submissions exported from ODK Central"),
}


def gettext(message: str) -> str:
    return g.translations.gettext(message)


def _country() -> tuple[str, list[str]]:
    countries = user_countries()
    chosen = request.values.get("country", "")
    return (chosen if chosen in countries else countries[0]), countries


def _form(country: str) -> list[Figure]:
    cat = aggregates.catalogue()
    return aggregates.submission_form(
        cat, aggregates.fields_in_use(cat, _profile(country)), gettext
    )


def _profile(country: str) -> list[dict[str, Any]] | None:
    """The country's indicator profile; without one (or leave to read it) every core
    indicator counts."""
    version = aggregates.catalogue().catalog_version
    try:
        return get("indicators", f"/api/v1/profiles/{country}/{version}").get("indicators")
    except ServiceError as error:
        if error.status in (403, 404):
            return None
        raise


def _own_only() -> bool:
    """A data provider sees its own organisation's figures; the others see the country's."""
    return not g.user.has_role("monitor", "reviewer", "national_admin")


def _submissions(country: str, **query: Any) -> list[dict[str, Any]]:
    found = get("intake", "/api/v1/submissions", country=country, **query) or []
    if _own_only():
        found = [s for s in found if s["organisation_id"] == g.user.organisation]
    return found


def _organisation_names(country: str) -> dict[str, str]:
    """Organisation names, for those who may read the directory (administrators, auditors)."""
    if not g.user.may(("national_admin", "auditor"), country):
        return {}
    with contextlib.suppress(ServiceError):
        found = get("identity", "/api/v1/organisations", country=country) or []
        return {o["organisation_id"]: o["name"] for o in found}
    return {}


# --- the list -----------------------------------------------------------------------------------
@blp.route("/")
@signed_in(*READERS)
def index() -> str:
    country, countries = _country()
    form = _form(country)
    submissions = sorted(_submissions(country), key=lambda s: (s["period"], s["submitted_at"]),
                         reverse=True)  # fmt: skip
    shown = [
        {**s, "told": aggregates.told(s.get("figures") or {}, form, gettext)} for s in submissions
    ]
    return page("submissions/index.html", submissions=shown, country=country,
                countries=countries, names=_organisation_names(country),
                may_submit=g.user.may(SUBMITTERS, country))  # fmt: skip


@blp.route("/<organisation_id>/<period>")
@signed_in(*READERS)
def history(organisation_id: str, period: str) -> str:
    """Every version of one institution's figures for one period, the current one first."""
    country, _countries = _country()
    versions = [s for s in _submissions(country, period=period, history="true")
                if s["organisation_id"] == organisation_id]  # fmt: skip
    if not versions:
        raise NotFound()
    form = _form(country)
    versions = sorted(versions, key=lambda s: s["version"], reverse=True)
    shown = [
        {**s, "told": aggregates.told(s.get("figures") or {}, form, gettext)} for s in versions
    ]
    return page("submissions/history.html", versions=shown, country=country, period=period,
                organisation_id=organisation_id,
                name=_organisation_names(country).get(organisation_id),
                mine=organisation_id == g.user.organisation,
                may_submit=g.user.may(SUBMITTERS, country))  # fmt: skip


# --- the form -----------------------------------------------------------------------------------
@blp.route("/new", methods=["GET", "POST"])
@signed_in(*SUBMITTERS)
def new() -> Response | str | tuple[str, int]:
    country, countries = _country()
    form = _form(country)
    if request.method == "GET":
        return _new_page(country, countries, form, *_current(country, request.args.get("period")))
    values = aggregates.values_posted(form, request.form)
    seen = request.form.get("seen_period", "")
    version = int(request.form.get("version", "0") or 0) if seen == values.inputs["period"] else 0
    if request.form.get("more"):  # "More rows" under a records table: nothing is sent yet
        return _new_page(country, countries, form, values, version, more=request.form["more"])
    body = aggregates.submission_body(form, values, country, g.user.organisation)
    try:
        answer = call("intake", "POST", "/api/v1/submissions", json=body,
                      headers={"If-Match": f'"{version}"'})  # fmt: skip
    except ServiceError as error:
        if error.status not in (*FIELD_ERRORS, 412):
            raise
        errors = error.field_errors() or {"form": error.detail}
        if error.status == 412:
            errors = {
                "form": gettext(
                    "Your organisation has already submitted figures for this "
                    "period, or they changed meanwhile."
                )
            }
        return _new_page(
            country, countries, form, values, version, errors, conflict=error.status == 412
        ), 422
    return redirect(url_for("submissions.index", country=country, sent=answer.body["period"],
                            version=answer.body["version"]))  # fmt: skip


def _current(country: str, period: str | None) -> tuple[FormValues, int]:
    """A resubmission starts from the figures its organisation submitted for the period."""
    if not period:
        return FormValues(), 0
    mine = [s for s in get("intake", "/api/v1/submissions", country=country, period=period) or []
            if s["organisation_id"] == g.user.organisation]  # fmt: skip
    if not mine:
        return FormValues({"period": period}), 0
    return aggregates.values_of(mine[0]), int(mine[0]["version"])


def _new_page(
    country: str,
    countries: list[str],
    form: list[Figure],
    values: FormValues,
    version: int,
    errors: dict[str, str] | None = None,
    more: str = "",
    conflict: bool = False,
) -> str:
    errors = errors or {}
    document = aggregates.document_inputs(gettext)
    labels = aggregates.input_labels(document, form, errors, gettext)
    specs = [FieldSpec(name, label, "text") for name, label in labels.items()]
    groups: dict[str, list[Figure]] = {}
    for figure in form:
        groups.setdefault(figure.group, []).append(figure)
    rows = {figure.name: aggregates.records_shown(values.records.get(figure.name, []),
                                                  more == figure.name)
            for figure in form if figure.records}  # fmt: skip
    opened = {figure.name for figure in form if _touched(figure, values, errors)} | {more}
    return page("submissions/new.html", country=country, countries=countries, groups=groups,
                group_labels=aggregates.GROUP_LABELS, document=document, values=values,
                version=version, errors=errors, rows=rows, opened=opened, conflict=conflict,
                specs=specs)  # fmt: skip


def _touched(figure: Figure, values: FormValues, errors: dict[str, str]) -> bool:
    """A figure with values or errors is shown open; the others are folded."""
    return (
        bool(values.records.get(figure.name))
        or any(values.inputs.get(name) for name in figure.inputs())
        or any(key == figure.path or key.startswith(figure.path + ".") for key in errors)
    )


# --- importing case files -----------------------------------------------------------------------
@blp.route("/import", methods=["GET", "POST"], endpoint="imports")
@signed_in(*IMPORT_PAGE)
def import_file() -> Response | str | tuple[str, int]:
    country, countries = _country()
    may_import = g.user.may(IMPORTERS, country)
    context = {
        "country": country,
        "countries": countries,
        "may_import": may_import,
        "file_spec": _file_input(),
        "formats": FILE_FORMATS,
    }
    if request.method == "GET" or not may_import:
        return page("submissions/import.html", **context, errors={})
    data, name, errors = _uploaded()
    if errors:
        return page("submissions/import.html", **context, errors=errors), 422
    commit = request.form.get("step") == "commit"
    if commit and not imports.same_file(data, request.form.get("checked", "")):
        errors = {"file": gettext("This is not the file that was checked. Check it again first.")}
        return page("submissions/import.html", **context, errors=errors), 422
    try:
        answer = call("intake", "POST", "/api/v1/imports",
                      params={"country": country, "commit": str(commit).lower()},
                      files={"file": (name, data)})  # fmt: skip
    except ServiceError as error:
        if error.status not in FIELD_ERRORS:
            raise
        errors = error.field_errors() or {"form": error.detail}
        return page("submissions/import.html", **context, errors=errors), 422
    report = answer.body
    if commit:
        return redirect(url_for("submissions.imports", country=country,
                                recorded=len(report.get("case_ids") or []),
                                events=report.get("events", 0),
                                linked=report.get("linked", 0)))  # fmt: skip
    return page("submissions/import_report.html", **context, report=report, name=name,
                problems=imports.row_errors(report.get("rows_with_errors") or []),
                checked=imports.digest(data), carried=imports.carried(data))  # fmt: skip


def _file_input() -> FieldSpec:
    return FieldSpec("file", gettext("File"), "file", True, hint=gettext(
        "An HTCDS 2.0 Excel workbook (.xlsx, either template) or a JSON export of HTCDS "
        "XLSForm submissions from KoboToolbox or ODK Central."))  # fmt: skip


def _uploaded() -> tuple[bytes, str, dict[str, str]]:
    """The file chosen, or the one carried back from the dry run's report."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read()
        return data, upload.filename, ({} if data else {"file": gettext("The file is empty.")})
    data = imports.uncarried(request.form.get("carried", ""))
    if data is not None:
        return data, request.form.get("name", "upload"), {}
    return b"", "", {"file": gettext("Choose a file.")}
