"""Qualitative assessments: the qualitative indicators of a country and year with their scores
and where their review stands; a monitor scores one (a level of its scale, or not assessed
with the reason, a rationale and at least one evidence item); a reviewer of the country, never
the person who scored it, confirms the score or returns it with a comment. Every step stays in
the history. The indicators service (/api/v1/assessments...) checks all of it; these pages
show what it says, next to the field it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from werkzeug import Response
from werkzeug.exceptions import NotFound

from services.web.backend import ServiceError
from services.web.forms import FieldSpec
from services.web.labels import N_
from services.web.pages import call, get, page, signed_in, user_countries
from services.web.pages import translate as _
from services.web.pages.indicators import area_name, catalogue, indicator_title

blp = Blueprint("assessments", __name__, url_prefix="/assessments")

READERS = ("monitor", "reviewer", "national_admin", "auditor", "regional_analyst",
           "platform_admin")  # fmt: skip
YEARS_SHOWN = 6
EVIDENCE_ROWS = 3  # a form has room for three documents; each scoring may be sent again
NOT_ASSESSED = "not_assessed"
REVIEW_ACTIONS = ("confirm", "return")

STATE_LABELS = {
    "": N_("Not scored"),
    "awaiting_review": N_("Awaiting review"),
    "confirmed": N_("Confirmed"),
    "returned": N_("Returned for rework"),
}
ACTION_LABELS = {"scored": N_("Scored"), "confirmed": N_("Confirmed"), "returned": N_("Returned")}
# what a refusal of the service means to the person who sees it, by the field it names
REFUSALS = {
    "reviewed_by": N_("You scored this assessment yourself: another reviewer has to review it."),
    "status": N_("The assessment has changed its state meanwhile: look at it again."),
    "If-Match": N_("Someone changed this assessment meanwhile. Look at it again and send again."),
}


# --- pure helpers ---------------------------------------------------------------------------
def years(this_year: int) -> list[str]:
    return [str(year) for year in range(this_year, this_year - YEARS_SHOWN, -1)]


def rows_of(
    indicators: Sequence[Mapping[str, Any]], assessments: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """Each qualitative indicator of the catalogue with its assessment, if it has one."""
    by_code = {a["code"]: a for a in assessments}
    return [(i, by_code.get(i["code"])) for i in indicators if i["kind"] == "qualitative"]


def scoring_body(form: Mapping[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The JSON a posted scoring form stands for, and which form row each evidence item sent
    came from (the service names an item by its place in the list it got)."""
    choice = form.get("score", "").strip()
    body: dict[str, Any] = {"rationale": form.get("rationale", "").strip() or None}
    if choice == NOT_ASSESSED:
        body["score"] = None
        body["not_assessed_reason"] = form.get("not_assessed_reason", "").strip() or None
    else:
        body["score"] = int(choice) if choice.isdigit() else None
    evidence, rows = [], []
    for row in range(EVIDENCE_ROWS):
        title = form.get(f"evidence.{row}.title", "").strip()
        reference = form.get(f"evidence.{row}.reference", "").strip()
        day = form.get(f"evidence.{row}.date", "").strip()
        if not (title or reference or day):
            continue
        item = {"kind": "document", "title": title, "reference": reference or title}
        if day:
            item["date"] = day
        evidence.append(item)
        rows.append(row)
    body["evidence"] = evidence
    return body, rows


def form_errors(errors: Mapping[str, str], rows: Sequence[int]) -> dict[str, str]:
    """The service's errors named as the form's fields: evidence.<sent>.x -> evidence.<row>.x."""
    named: dict[str, str] = {}
    for name, message in errors.items():
        parts = name.split(".")
        if parts[0] == "evidence" and len(parts) > 1 and parts[1].isdigit():
            sent = int(parts[1])
            parts[1] = str(rows[sent]) if sent < len(rows) else parts[1]
        named[".".join(parts)] = message
    return named


def is_link(reference: str | None) -> bool:
    """Only web addresses become links (never javascript: or data: ones)."""
    return bool(reference) and str(reference).lower().startswith(("https://", "http://"))


def scale_of(indicator: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The indicator's scale as the catalogue gives it, or its bare scores."""
    return list(indicator.get("scale") or [{"score": n, "label": "", "meaning": ""}
                                           for n in (0, 1, 2)])  # fmt: skip


def score_text(assessment: Mapping[str, Any] | None, scale: Sequence[Mapping[str, Any]]) -> str:
    if not assessment:
        return ""
    score = assessment.get("score")
    if score is None:
        return _("Not assessed") if assessment.get("not_assessed_reason") else ""
    label = next((level.get("label") for level in scale if level.get("score") == score), "")
    return f"{score}: {label}" if label else str(score)


# --- reading --------------------------------------------------------------------------------
def _chosen(countries: list[str]) -> tuple[str, str]:
    country = request.args.get("country", "")
    year = request.args.get("year", "")
    shown = years(date.today().year)
    return (country if country in countries else countries[0],
            year if year in shown else str(date.today().year - 1))  # fmt: skip


def _indicator(code: str) -> dict[str, Any]:
    for indicator in catalogue():
        if indicator["code"] == code and indicator["kind"] == "qualitative":
            return indicator
    raise NotFound()


def _assessment(country: str, year: int, code: str) -> dict[str, Any] | None:
    try:
        return call("indicators", "GET", f"/api/v1/assessments/{country}/{year}/{code}").body
    except ServiceError as error:
        if error.status == 404:
            return None
        raise


def _may(role: str, country: str) -> bool:
    return bool(g.user and g.user.may((role,), country))


def _refusal(error: ServiceError) -> dict[str, str]:
    found = error.field_errors()
    for name, message in REFUSALS.items():
        if name in found:
            return {"form": _(message)}
    if error.status == 412:
        return {"form": _(REFUSALS["If-Match"])}
    return found or {"form": error.detail}


def _if_match(version: str) -> dict[str, str]:
    return {"If-Match": f'"{version}"'} if version.isdigit() and int(version) > 0 else {}


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "action_labels": ACTION_LABELS,
            "score_text": score_text, "is_link": is_link, "title_of": indicator_title}  # fmt: skip


# --- pages ----------------------------------------------------------------------------------
@blp.route("/")
@signed_in(*READERS)
def index() -> str:
    countries = user_countries()
    country, year = _chosen(countries)
    found = get("indicators", "/api/v1/assessments", country=country, year=year)
    rows = rows_of(catalogue(), found)
    scales = {i["code"]: scale_of(i) for i, _a in rows}
    return page("assessments/index.html", rows=rows, country=country, year=year,
                countries=countries, years=years(date.today().year), scales=scales,
                area_name=area_name, may_score=_may("monitor", country),
                may_review=_may("reviewer", country), **_labels())  # fmt: skip


def _show(
    country: str, year: int, code: str, errors: dict[str, str] | None = None,
    comment: str = "",
) -> str:  # fmt: skip
    indicator = _indicator(code)
    assessment = _assessment(country, year, code)
    status = assessment["status"] if assessment else ""
    return page("assessments/show.html", indicator=indicator, assessment=assessment,
                country=country, year=year, scale=scale_of(indicator), status=status,
                may_score=_may("monitor", country) and status != "confirmed",
                may_review=_may("reviewer", country) and status == "awaiting_review",
                errors=errors or {}, comment=comment, notice=request.args.get("done", ""),
                comment_spec=FieldSpec("comment", _("Comment"), "textarea", hint=_(
                    "Required when you return the score: say what to change.")),
                **_labels())  # fmt: skip


@blp.route("/<country>/<int:year>/<code>")
@signed_in(*READERS)
def show(country: str, year: int, code: str) -> str:
    return _show(country, year, code)


def _score_specs() -> list[FieldSpec]:
    specs = [FieldSpec("score", _("Score"), "select", True),
             FieldSpec("evidence", _("Evidence"), "text", True),
             FieldSpec("not_assessed_reason", _("Why it was not assessed"), "textarea"),
             FieldSpec("rationale", _("Rationale"), "textarea",
                       hint=_("What the evidence shows, in a few sentences."))]  # fmt: skip
    for row in range(EVIDENCE_ROWS):
        specs += [
            FieldSpec(f"evidence.{row}.title", _("Document"), "text", row == 0,
                      hint=_("A law, by-law, report or register, e.g. “Law on Foreigners,"
                             " Official Gazette 97/2018”.") if row == 0 else ""),
            FieldSpec(f"evidence.{row}.reference", _("Article, page or web address"), "text",
                      hint=_("Optional. A web address becomes a link.") if row == 0 else ""),
            FieldSpec(f"evidence.{row}.date", _("Date of the document"), "date", row == 0),
        ]  # fmt: skip
    return specs


def _values_of(assessment: Mapping[str, Any] | None) -> dict[str, Any]:
    """The form filled in with the scoring as it stands (to change it before review)."""
    if not assessment:
        return {}
    values: dict[str, Any] = {
        "rationale": assessment.get("rationale") or "",
        "not_assessed_reason": assessment.get("not_assessed_reason") or "",
    }
    score = assessment.get("score")
    values["score"] = NOT_ASSESSED if score is None else str(score)
    for row, item in enumerate((assessment.get("evidence") or [])[:EVIDENCE_ROWS]):
        values[f"evidence.{row}.title"] = item.get("title") or item.get("name") or ""
        reference = item.get("reference") or ""
        values[f"evidence.{row}.reference"] = "" if reference == item.get("title") else reference
        values[f"evidence.{row}.date"] = item.get("date") or ""
    return values


@blp.route("/<country>/<int:year>/<code>/score", methods=["GET", "POST"])
@signed_in("monitor")
def score(country: str, year: int, code: str) -> Response | str | tuple[str, int]:
    indicator = _indicator(code)
    assessment = _assessment(country, year, code)
    specs = _score_specs()
    context = {"indicator": indicator, "assessment": assessment, "country": country,
               "year": year, "scale": scale_of(indicator), "specs": specs,
               "rows": range(EVIDENCE_ROWS), "not_assessed": NOT_ASSESSED, **_labels()}  # fmt: skip
    if request.method == "GET":
        version = str(assessment["version"]) if assessment else "0"
        return page("assessments/score.html", values=_values_of(assessment), errors={},
                    version=version, **context)  # fmt: skip
    body, rows = scoring_body(request.form)
    version = request.form.get("version", "0")
    try:
        call("indicators", "POST", f"/api/v1/assessments/{country}/{year}/{code}", json=body,
             headers=_if_match(version))  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 409, 412, 422):
            raise
        errors = form_errors(_refusal(error), rows)
        values = {key: value for key, value in request.form.items() if key != "csrf_token"}
        return page("assessments/score.html", values=values, errors=errors, version=version,
                    **context), error.status  # fmt: skip
    return redirect(url_for("assessments.show", country=country, year=year, code=code,
                            done="scored"))  # fmt: skip


@blp.route("/<country>/<int:year>/<code>/review", methods=["POST"])
@signed_in("reviewer")
def review(country: str, year: int, code: str) -> Response | str | tuple[str, int]:
    action = request.form.get("action", "")
    comment = request.form.get("comment", "").strip()
    if action not in REVIEW_ACTIONS:
        return _show(country, year, code, {"form": _("Choose to confirm or to return.")},
                     comment), 422  # fmt: skip
    body = {"comment": comment or None} if action == "confirm" else {"comment": comment}
    try:
        call("indicators", "POST", f"/api/v1/assessments/{country}/{year}/{code}/{action}",
             json=body, headers=_if_match(request.form.get("version", "")))  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 404, 409, 412, 422):
            raise
        return _show(country, year, code, _refusal(error), comment), error.status
    done = "confirmed" if action == "confirm" else "returned"
    return redirect(url_for("assessments.show", country=country, year=year, code=code,
                            done=done))  # fmt: skip
