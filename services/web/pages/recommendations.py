"""Recommendations and their follow-up across years: a country's recommendations (its published
reports' and the GRETA ones a monitor entered), filtered by source, the year that follows them
up and status; for a year, what became of each — a monitor assesses it with evidence, a
reviewer who did not assess it confirms or returns the assessment — and the country's
implementation rate. At the regional hub, each country's implementation rate (counts only).

The reporting service (/api/v1/recommendations..., /api/v1/regional/recommendations) decides
who may do what; these pages show what it says, next to the field it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from markupsafe import Markup
from werkzeug import Response
from werkzeug.exceptions import NotFound

from services.web import charts
from services.web.backend import ServiceError
from services.web.forms import Choice, FieldSpec
from services.web.labels import N_
from services.web.pages import call, get, page, signed_in, user_countries
from services.web.pages import translate as _
from services.web.pages.assessments import form_errors, is_link
from shared.auth import REGIONAL

blp = Blueprint("recommendations", __name__, url_prefix="/recommendations")

READERS = ("monitor", "reviewer", "national_admin", "auditor", "regional_analyst",
           "platform_admin")  # fmt: skip
REGIONAL_READERS = ("regional_analyst", "auditor", "platform_admin")
YEARS_SHOWN = 6
EVIDENCE_ROWS = 2
SOURCES = ("report", "GRETA")
FOLLOW_UP_STATUSES = ("implemented", "partly_implemented", "not_implemented",
                      "no_longer_relevant")  # fmt: skip
STATUSES = (*FOLLOW_UP_STATUSES, "not_assessed")
REVIEW_ACTIONS = {"confirm": "confirmation", "return": "return"}

SOURCE_LABELS = {"report": N_("National report"), "GRETA": N_("GRETA")}
STATUS_LABELS = {
    "implemented": N_("Implemented"), "partly_implemented": N_("Partly implemented"),
    "not_implemented": N_("Not implemented"), "no_longer_relevant": N_("No longer relevant"),
    "not_assessed": N_("Not assessed"),
}  # fmt: skip
STATE_LABELS = {
    "": N_("Not assessed yet"), "awaiting_review": N_("Awaiting review"),
    "confirmed": N_("Confirmed"), "returned": N_("Returned for rework"),
}  # fmt: skip
ACTION_LABELS = {"assessed": N_("Assessed"), "confirmed": N_("Confirmed"),
                 "returned": N_("Returned")}  # fmt: skip
REFUSALS = {
    "status": N_("The assessment has changed its state meanwhile: look at it again."),
    "If-Match": N_("Someone changed it meanwhile. Look at it again and send again."),
}


# --- pure helpers ---------------------------------------------------------------------------
def years(this_year: int) -> list[int]:
    """The reference years a follow-up may be about, the last complete year first."""
    return list(range(this_year - 1, this_year - 1 - YEARS_SHOWN, -1))


def listed(text: str) -> list[str]:
    """Names or codes typed one a line or separated by commas or semicolons."""
    parts = text.replace(";", "\n").replace(",", "\n").splitlines()
    return [part.strip() for part in parts if part.strip()]


def greta_body(form: Mapping[str, str], country: str) -> dict[str, Any]:
    """The JSON of the GRETA form; a year that is not a number stays text for the service to
    name."""
    year = form.get("year", "").strip()
    return {"country": country, "round": form.get("round", "").strip(),
            "paragraph": form.get("paragraph", "").strip(),
            "year": int(year) if year.isdigit() else year,
            "text": form.get("text", "").strip(),
            "addressees": listed(form.get("addressees", "")),
            "indicators": [c.upper() for c in listed(form.get("indicators", ""))]}  # fmt: skip


def follow_up_body(form: Mapping[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The JSON of an assessment form, and which form row each evidence item sent came from
    (the service names an item by its place in the list)."""
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
    body = {"status": form.get("status", "").strip(), "evidence": evidence,
            "note": form.get("note", "").strip() or None}  # fmt: skip
    return body, rows


def follow_up_of(recommendation: Mapping[str, Any], year: int) -> Mapping[str, Any] | None:
    return next((f for f in recommendation.get("follow_ups") or () if f.get("year") == year),
                None)  # fmt: skip


def rate_percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def sorted_rates(countries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Countries with a rate, highest first, then those without one, by code."""
    return sorted(countries, key=lambda c: (c.get("implementation_rate") is None,
                                            -(c.get("implementation_rate") or 0),
                                            str(c.get("country"))))  # fmt: skip


# --- reading --------------------------------------------------------------------------------
def _may(role: str, country: str) -> bool:
    return bool(g.user and g.user.may((role,), country))


def _regional() -> bool:
    return bool(g.user) and any(grant.role in REGIONAL_READERS and grant.scope == REGIONAL
                                for grant in g.user.grants)  # fmt: skip


def _year(value: str | None, default: int | None) -> int | None:
    return int(value) if value and value.isdigit() else default


def _labels() -> dict[str, Any]:
    return {"source_labels": SOURCE_LABELS, "status_labels": STATUS_LABELS,
            "state_labels": STATE_LABELS, "action_labels": ACTION_LABELS,
            "follow_up_of": follow_up_of, "is_link": is_link}  # fmt: skip


def _recommendation(recommendation_id: str) -> tuple[dict[str, Any], str]:
    try:
        answer = call("reporting", "GET", f"/api/v1/recommendations/{recommendation_id}")
    except ServiceError as error:
        if error.status == 404:
            raise NotFound() from error
        raise
    return answer.body, answer.headers.get("ETag", "")


def rates_chart(rows: Sequence[Mapping[str, Any]], year: int) -> Markup:
    bars = [charts.Bar(g.formats.country(r["country"]), rate_percent(r["implementation_rate"]),
                       _percent(r["implementation_rate"])) for r in rows]  # fmt: skip
    return charts.bar_chart(bars, chart_id=f"implementation-{year}",
                            title=_("Implementation rate of recommendations by country, %(year)s",
                                    year=year),
                            axis_title=_("Implemented, % of those still relevant"),
                            write=lambda tick: g.formats.number(tick))  # fmt: skip


def _percent(rate: float | None) -> str:
    if rate is None:
        return _("none assessed")
    return _("%(value)s %%", value=g.formats.number(rate_percent(rate), 1))


# --- pages ----------------------------------------------------------------------------------
@blp.route("/")
@signed_in(*READERS)
def index() -> str:
    this_year = date.today().year
    year = _year(request.args.get("year"), None if "year" in request.args else this_year - 1)
    context: dict[str, Any] = {"years": years(this_year), "year": year, "sources": SOURCES,
                               "statuses": STATUSES, "regional": _regional(),
                               "percent": _percent, **_labels()}  # fmt: skip
    if g.user.countries:
        context.update(_national(year))
    if context["regional"]:
        context.update(_hub(_year(request.args.get("hub_year"), this_year - 1) or this_year - 1))
    return page("recommendations/index.html", **context)


def _national(year: int | None) -> dict[str, Any]:
    countries = user_countries()
    asked = request.args.get("country", "")
    country = asked if asked in countries else countries[0]
    source = request.args.get("source") if request.args.get("source") in SOURCES else None
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    found = get("reporting", "/api/v1/recommendations", country=country, source=source,
                year=year, status=status)  # fmt: skip
    rates = (get("reporting", "/api/v1/recommendations/rates", country=country, year=year)
             if year else None)  # fmt: skip
    return {"national": True, "country": country, "countries": countries, "source": source,
            "status": status, "recommendations": found, "rates": rates,
            "may_enter": _may("monitor", country)}  # fmt: skip


def _hub(year: int) -> dict[str, Any]:
    found = get("reporting", "/api/v1/regional/recommendations", year=year)
    rows = sorted_rates(found.get("countries") or [])
    return {"hub_year": year, "hub_rows": rows,
            "hub_chart": rates_chart(rows, year) if rows else None}  # fmt: skip


def _greta_specs() -> list[FieldSpec]:
    return [FieldSpec("round", _("GRETA evaluation round"), "text", True),
            FieldSpec("paragraph", _("Paragraph"), "text", True),
            FieldSpec("year", _("Year of the GRETA report"), "number", True, step="1"),
            FieldSpec("text", _("Recommendation"), "textarea", True),
            FieldSpec("addressees", _("Addressed to"), "textarea",
                      hint=_("The institutions, one a line.")),
            FieldSpec("indicators", _("Indicators it rests on"), "text",
                      hint=_("Indicator codes separated by commas, e.g. AS-06."))]  # fmt: skip


@blp.route("/new", methods=["GET", "POST"])
@signed_in("monitor")
def new() -> Response | str | tuple[str, int]:
    countries = sorted(c for c in g.user.countries if _may("monitor", c))
    if not countries:
        raise NotFound()
    specs = _greta_specs()
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    country = values.get("country") or request.args.get("country") or countries[0]
    country = country if country in countries else countries[0]
    context = {"specs": specs, "countries": countries, "country": country}
    if request.method == "GET":
        return page("recommendations/new.html", values={}, errors={}, **context)
    try:
        answer = call("reporting", "POST", "/api/v1/recommendations",
                      json=greta_body(values, country))  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 409, 422):
            raise
        errors = _named(error.field_errors() or {"form": error.detail})
        return page("recommendations/new.html", values=values, errors=errors,
                    **context), error.status  # fmt: skip
    entered = answer.body["recommendation_id"]
    return redirect(url_for("recommendations.show", recommendation_id=entered, done="entered"))


def _named(errors: Mapping[str, str]) -> dict[str, str]:
    """`addressees.2` is the addressees field of the form."""
    named: dict[str, str] = {}
    for name, message in errors.items():
        field = name.split(".")[0]
        named[field] = f"{named[field]} {message}" if field in named else message
    return named


@blp.route("/<recommendation_id>")
@signed_in(*READERS)
def show(recommendation_id: str) -> str:
    year = _year(request.args.get("year"), date.today().year - 1)
    assert year is not None
    return _show(recommendation_id, year)


def _follow_up_specs() -> list[FieldSpec]:
    statuses = tuple(Choice(s, _(STATUS_LABELS[s])) for s in FOLLOW_UP_STATUSES)
    specs = [FieldSpec("status", _("What became of it"), "select", True, statuses),
             FieldSpec("note", _("Note"), "textarea",
                       hint=_("What was done, by whom, and what is still missing."))]  # fmt: skip
    for row in range(EVIDENCE_ROWS):
        specs += [
            FieldSpec(f"evidence.{row}.title", _("Document"), "text", row == 0),
            FieldSpec(f"evidence.{row}.reference", _("Article, page or web address"), "text"),
            FieldSpec(f"evidence.{row}.date", _("Date of the document"), "date", row == 0),
        ]  # fmt: skip
    return specs


def _show(recommendation_id: str, year: int, errors: Mapping[str, str] | None = None,
          values: Mapping[str, str] | None = None, failed: str = "") -> str:  # fmt: skip
    body, tag = _recommendation(recommendation_id)
    found = follow_up_of(body, year)
    state = (found or {}).get("state", "")
    country = body["country"]
    due = int(body["issued_year"]) < year and not _closed_before(body, year)
    return page("recommendations/show.html", recommendation=body, etag=tag, year=year,
                years=years(date.today().year), follow_up=found, state=state, due=due,
                may_assess=_may("monitor", country) and due and state != "confirmed",
                may_review=_may("reviewer", country) and state == "awaiting_review",
                specs=_follow_up_specs(), rows=range(EVIDENCE_ROWS), errors=dict(errors or {}),
                values=dict(values or {}), failed=failed, notice=request.args.get("done", ""),
                comment_spec=FieldSpec("comment", _("Comment"), "textarea", hint=_(
                    "Required when you return the assessment: say what to change.")),
                **_labels())  # fmt: skip


def _closed_before(body: Mapping[str, Any], year: int) -> bool:
    return any(f["year"] < year and f["state"] == "confirmed"
               and f["status"] in ("implemented", "no_longer_relevant")
               for f in body.get("follow_ups") or ())  # fmt: skip


@blp.route("/<recommendation_id>/follow-ups/<int:year>", methods=["POST"])
@signed_in("monitor")
def assess(recommendation_id: str, year: int) -> Response | str | tuple[str, int]:
    body, rows = follow_up_body(request.form)
    tag = request.form.get("etag", "")
    values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "etag")}
    try:
        call("reporting", "PUT", f"/api/v1/recommendations/{recommendation_id}/follow-ups/{year}",
             json=body, headers={"If-Match": tag} if tag else None)  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 404, 409, 412, 422):
            raise
        errors = form_errors(_refusal(error), rows)
        return _show(recommendation_id, year, errors, values, "assess"), error.status
    return redirect(url_for("recommendations.show", recommendation_id=recommendation_id,
                            year=year, done="assessed"))  # fmt: skip


@blp.route("/<recommendation_id>/follow-ups/<int:year>/review", methods=["POST"])
@signed_in("reviewer")
def review(recommendation_id: str, year: int) -> Response | str | tuple[str, int]:
    action = request.form.get("action", "")
    comment = request.form.get("comment", "").strip()
    if action not in REVIEW_ACTIONS:
        return _show(recommendation_id, year, {"form": _("Choose to confirm or to return.")},
                     {"comment": comment}, "review"), 422  # fmt: skip
    path = f"/api/v1/recommendations/{recommendation_id}/follow-ups/{year}/"
    try:
        call("reporting", "POST", path + REVIEW_ACTIONS[action],
             json={"comment": comment or None})  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 404, 409, 412, 422):
            raise
        return _show(recommendation_id, year, _refusal(error), {"comment": comment},
                     "review"), error.status  # fmt: skip
    done = "confirmed" if action == "confirm" else "returned"
    return redirect(url_for("recommendations.show", recommendation_id=recommendation_id,
                            year=year, done=done))  # fmt: skip


def _refusal(error: ServiceError) -> dict[str, str]:
    """The service's answer at the form's fields; four eyes (`reviewed_by`) and a changed
    state are about the form as a whole, in the service's words."""
    found = error.field_errors()
    if error.status == 412:
        return {"form": _(REFUSALS["If-Match"])}
    if "reviewed_by" in found:
        return {"form": error.detail}
    if "status" in found and error.status == 409:
        return {"form": _(REFUSALS["status"])}
    if "year" in found:
        return {"form": found["year"]}
    return found or {"form": error.detail}
