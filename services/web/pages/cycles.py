"""The monitoring cycle: a country's cycles, opening one (reference year and deadlines), and a
cycle at a glance — where every indicator of its profile stands (has data, scored, in review,
or missing and why), the requests sent to the institutions with their statuses, the reminders
for the overdue ones, and for each request its Excel workbook and its letter as PDF.

A data provider sees only the requests sent to its own organisation: it downloads them,
answers through the submission form, or says why it refuses. The indicators service
(/api/v1/cycles...) decides all of it; these pages show what it says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from werkzeug import Response
from werkzeug.exceptions import NotFound

from services.web.backend import ServiceError
from services.web.forms import Choice, FieldSpec
from services.web.labels import N_
from services.web.languages import LANGUAGES
from services.web.pages import call, get, page, signed_in, user_countries
from services.web.pages import translate as _
from services.web.pages.indicators import catalogue, indicator_title

blp = Blueprint("cycles", __name__, url_prefix="/cycles")

STATE_READERS = ("monitor", "reviewer", "national_admin", "auditor", "platform_admin")
READERS = (*STATE_READERS, "data_provider")
OPENERS = ("monitor", "national_admin")
REFUSERS = ("monitor", "data_provider")
YEARS_OFFERED = 6
# the service's own field errors that belong to no field of the opening form
OPEN_FIELDS = ("year", "requests_due", "scoring_due", "report_due")
GENERATE_FIELDS = ("deadline", "language")
# languages the service writes letters in (services.indicators.cycles.LETTER_LANGUAGES)
LETTER_LANGUAGES = ("en", "mk", "sq", "sr-Cyrl", "sr-Latn", "bs", "cnr")

STATE_LABELS = {
    "data": N_("Has data"), "scored": N_("Scored"), "in_review": N_("In review"),
    "missing": N_("Missing"),
}  # fmt: skip
REASON_LABELS = {
    "dropped": N_("Dropped from the national profile"),
    "request_refused": N_("The institution refused the request"),
    "request_overdue": N_("The request is overdue"),
    "request_unanswered": N_("Awaiting the institution's answer"),
    "not_requested": N_("No institution has been asked"),
    "no_data_source": N_("No institution holds the figures"),
    "no_case_data": N_("No values computed from case records"),
    "not_scored": N_("Not scored yet"),
    "returned": N_("Returned by the reviewer for rework"),
    "national_addition": N_("A national addition: not computed or scored by the tool"),
}
STATUS_LABELS = {
    "sent": N_("Sent"), "partly_answered": N_("Partly answered"), "overdue": N_("Overdue"),
    "answered": N_("Answered"), "refused": N_("Refused"),
}  # fmt: skip
KIND_LABELS = {"quantitative": N_("Quantitative"), "qualitative": N_("Qualitative")}
REFUSALS = {
    "status": N_("The request was refused or answered meanwhile: look at it again."),
    "If-Match": N_("Someone changed this cycle meanwhile. Look at it again and send again."),
}


# --- pure helpers ---------------------------------------------------------------------------
def years_offered(today: date) -> list[int]:
    """The reference years a cycle may be opened for, the last complete year first."""
    return list(range(today.year - 1, today.year - 1 - YEARS_OFFERED, -1))


def year_to_open(offered: Sequence[int], opened: Iterable[int]) -> int:
    """The newest year offered that has no cycle yet (the newest, if all have one)."""
    taken = set(opened)
    return next((year for year in offered if year not in taken), offered[0])


def suggested_deadlines(year: int, today: date) -> dict[str, str]:
    """Deadlines to start from: requests answered a month from now (and never within the
    reference year), scores a month later, the report a month after that."""
    requests_due = max(today + timedelta(days=30), date(year + 1, 1, 31))
    return {"requests_due": requests_due.isoformat(),
            "scoring_due": (requests_due + timedelta(days=30)).isoformat(),
            "report_due": (requests_due + timedelta(days=60)).isoformat()}  # fmt: skip


def open_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON of an opening form; an empty date is left out, so the service names it."""
    body: dict[str, Any] = {}
    for name in ("requests_due", "scoring_due", "report_due"):
        value = form.get(name, "").strip()
        if value:
            body[name] = value
    version = form.get("profile_version", "").strip()
    if version:
        body["profile_version"] = int(version) if version.isdigit() else version
    return body


def at_fields(errors: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The service's errors by the form's fields; what no field of the form names (e.g. the
    profile not yet confirmed) goes to the form as a whole."""
    known = set(names)
    found = {name: message for name, message in errors.items() if name in known}
    rest = [message for name, message in errors.items() if name not in known]
    if rest:
        found["form"] = " ".join(rest)
    return found


def reminders_of(requests: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The overdue requests, the longest overdue first."""
    overdue = [r for r in requests if r.get("status") == "overdue"]
    return sorted(overdue, key=lambda r: (-int(r.get("days_overdue") or 0),
                                          str(r.get("organisation_name") or "")))  # fmt: skip


def may_refuse(status: str) -> bool:
    """A request can still be refused while nothing final has happened to it."""
    return status not in ("refused", "answered")


def asked_of(indicator: Mapping[str, Any], requests: Sequence[Mapping[str, Any]]) -> list[str]:
    """The organisations asked for an indicator's figures, by name."""
    by_id = {r["request_id"]: r.get("organisation_name") or "" for r in requests}
    return sorted({by_id[rid] for rid in indicator.get("requests") or () if rid in by_id})


# --- reading --------------------------------------------------------------------------------
def _may(roles: Sequence[str], country: str) -> bool:
    return bool(g.user and g.user.may(roles, country))


def _country() -> tuple[str, list[str]]:
    countries = user_countries()
    asked = request.args.get("country", "")
    return (asked if asked in countries else countries[0]), countries


def _titles() -> dict[str, str]:
    return {i["code"]: indicator_title(i) for i in catalogue()}


def _cycle_of(country: str, year: int) -> dict[str, Any] | None:
    """The cycle's summary as the list gives it (a data provider may not read its state)."""
    found = get("indicators", "/api/v1/cycles", country=country) or []
    return next((c for c in found if int(c["year"]) == year), None)


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "reason_labels": REASON_LABELS,
            "status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS}  # fmt: skip


def _letter_choices() -> tuple[Choice, ...]:
    names = {language.code: language.name for language in LANGUAGES}
    return tuple(Choice(code, names.get(code, code)) for code in LETTER_LANGUAGES)


def _open_specs() -> list[FieldSpec]:
    years = tuple(Choice(str(y), str(y)) for y in years_offered(date.today()))
    return [FieldSpec("year", _("Reference year"), "select", True, years),
            FieldSpec("requests_due", _("Institutions answer by"), "date", True,
                      hint=_("After the reference year: the figures of a whole year are asked"
                             " for.")),
            FieldSpec("scoring_due", _("Qualitative indicators scored by"), "date", True),
            FieldSpec("report_due", _("National report by"), "date", True)]  # fmt: skip


def _generate_specs() -> list[FieldSpec]:
    return [FieldSpec("deadline", _("Answer by"), "date",
                      hint=_("Optional: the cycle's deadline for the institutions without it.")),
            FieldSpec("language", _("Language of the letters"), "select", False,
                      _letter_choices(),
                      hint=_("Optional: the national language without it."))]  # fmt: skip


# --- pages ----------------------------------------------------------------------------------
@blp.route("/")
@signed_in(*READERS)
def index() -> str:
    country, countries = _country()
    return _index(country, countries)


def _index(country: str, countries: list[str], values: Mapping[str, str] | None = None,
           errors: Mapping[str, str] | None = None) -> str:  # fmt: skip
    found = get("indicators", "/api/v1/cycles", country=country) or []
    year = year_to_open(years_offered(date.today()), (int(c["year"]) for c in found))
    shown = dict(values or {"year": str(year), **suggested_deadlines(year, date.today())})
    return page("cycles/index.html", cycles=found, country=country, countries=countries,
                may_open=_may(OPENERS, country), specs=_open_specs(), values=shown,
                errors=dict(errors or {}))  # fmt: skip


@blp.route("/<country>", methods=["POST"])
@signed_in(*OPENERS)
def open_cycle(country: str) -> Response | tuple[str, int]:
    countries = user_countries()
    if country not in countries:
        raise NotFound()
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    year = values.get("year", "").strip()
    if not year.isdigit():
        errors = {"year": _("Choose the reference year.")}
        return _index(country, countries, values, errors), 422
    try:
        call("indicators", "POST", f"/api/v1/cycles/{country}/{year}", json=open_body(values))
    except ServiceError as error:
        if error.status not in (400, 403, 409, 422):
            raise
        errors = at_fields(error.field_errors() or {"form": error.detail}, OPEN_FIELDS)
        return _index(country, countries, values, errors), error.status
    return redirect(url_for("cycles.show", country=country, year=int(year), done="opened"))


@blp.route("/<country>/<int:year>")
@signed_in(*READERS)
def show(country: str, year: int) -> str:
    return _show(country, year)


def _show(country: str, year: int, errors: Mapping[str, str] | None = None,
          failed: str = "", values: Mapping[str, str] | None = None) -> str:  # fmt: skip
    """`failed`: which form the errors are about ("generate", or a request id refused)."""
    context = {"country": country, "year": year, "errors": dict(errors or {}),
               "failed": failed, "values": dict(values or {}), "notice": request.args,
               "letter_choices": _letter_choices(), "may_refuse": may_refuse,
               "reason_spec": FieldSpec("reason", _("Why the request is refused"), "textarea",
                                        True), **_labels()}  # fmt: skip
    if not _may(STATE_READERS, country):
        return _own_requests(country, year, context)
    try:
        state = call("indicators", "GET", f"/api/v1/cycles/{country}/{year}")
    except ServiceError as error:
        if error.status == 404:
            raise NotFound() from error
        raise
    cycle = state.body
    requests = cycle.get("requests") or []
    return page("cycles/show.html", cycle=cycle, etag=state.headers.get("ETag", ""),
                requests=requests, reminders=reminders_of(requests), titles=_titles(),
                asked_of=asked_of, may_generate=_may(OPENERS, country),
                may_refuse_as=_may(("monitor",), country), generate_specs=_generate_specs(),
                **context)  # fmt: skip


def _own_requests(country: str, year: int, context: dict[str, Any]) -> str:
    cycle = _cycle_of(country, year)
    if cycle is None:
        raise NotFound()
    mine = get("indicators", f"/api/v1/cycles/{country}/{year}/requests") or []
    return page("cycles/provider.html", cycle=cycle, requests=mine, **context)


@blp.route("/<country>/<int:year>/requests", methods=["POST"])
@signed_in(*OPENERS)
def generate(country: str, year: int) -> Response | str | tuple[str, int]:
    values = {k: v.strip() for k, v in request.form.items() if k not in ("csrf_token", "etag")}
    body = {name: values[name] for name in GENERATE_FIELDS if values.get(name)}
    tag = request.form.get("etag", "")
    try:
        answer = call("indicators", "POST", f"/api/v1/cycles/{country}/{year}/requests",
                      json=body, headers={"If-Match": tag} if tag else None)  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 409, 412, 422):
            raise
        return _show(country, year, _refusal(error, GENERATE_FIELDS), "generate",
                     values), error.status  # fmt: skip
    sent = len(answer.body.get("requests") or [])
    unaddressed = [u["institution"] for u in answer.body.get("unaddressed") or []]
    return redirect(url_for("cycles.show", country=country, year=year, done="generated",
                            sent=sent, unaddressed=unaddressed))  # fmt: skip


@blp.route("/<country>/<int:year>/requests/<request_id>/refusal", methods=["POST"])
@signed_in(*REFUSERS)
def refuse(country: str, year: int, request_id: str) -> Response | str | tuple[str, int]:
    reason = request.form.get("reason", "").strip()
    try:
        call("indicators", "POST",
             f"/api/v1/cycles/{country}/{year}/requests/{request_id}/refusal",
             json={"reason": reason})  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 404, 409, 412, 422):
            raise
        return _show(country, year, _refusal(error, ("reason",)), request_id,
                     {"reason": reason}), error.status  # fmt: skip
    return redirect(url_for("cycles.show", country=country, year=year, done="refused"))


@blp.route("/<country>/<int:year>/requests/<request_id>/workbook")
@signed_in(*READERS)
def workbook(country: str, year: int, request_id: str) -> Response:
    return _download(f"/api/v1/cycles/{country}/{year}/requests/{request_id}/workbook", {})


@blp.route("/<country>/<int:year>/requests/<request_id>/letter")
@signed_in(*READERS)
def letter(country: str, year: int, request_id: str) -> Response:
    language = request.args.get("language", "")
    params = {"language": language} if language in LETTER_LANGUAGES else {}
    return _download(f"/api/v1/cycles/{country}/{year}/requests/{request_id}/letter", params)


def _download(path: str, params: Mapping[str, str]) -> Response:
    """The service's file, byte for byte, with its type and name."""
    try:
        answer = call("indicators", "GET", path, params=dict(params))
    except ServiceError as error:
        if error.status == 404:
            raise NotFound() from error
        raise
    response = Response(answer.content, status=200)
    response.headers["Content-Type"] = answer.headers.get("Content-Type",
                                                          "application/octet-stream")  # fmt: skip
    disposition = answer.headers.get("Content-Disposition")
    if disposition:
        response.headers["Content-Disposition"] = disposition
    return response


def _refusal(error: ServiceError, names: Iterable[str]) -> dict[str, str]:
    found = error.field_errors()
    if error.status == 412 or "If-Match" in found:
        return {"form": _(REFUSALS["If-Match"])}
    if "status" in found:
        return {"form": _(REFUSALS["status"])}
    return at_fields(found or {"form": error.detail}, names)
