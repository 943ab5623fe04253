"""The case worker's pages: the case list, a new case, a case's timeline, adding an event.
The forms come from the intake event schemas; the intake service validates and answers with
errors by field, which are shown next to the fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, g, redirect, request, url_for
from werkzeug import Response
from werkzeug.exceptions import NotFound

from services.intake import cases as intake_cases
from services.web.backend import ServiceError
from services.web.forms import FieldSpec, form_of, payload_of, shown_values
from services.web.labels import EVENT_LABELS, FIELD_LABELS
from services.web.pages import call, get, page, signed_in, user_countries

blp = Blueprint("cases", __name__, url_prefix="/cases")

READERS = ("case_worker", "monitor", "national_admin")
PAGE_SIZE = 50
# set by the service, never typed: the person's pseudonym is made when the case opens
NOT_TYPED = ("person_id",)


def _label(name: str) -> str:
    return g.translations.gettext(FIELD_LABELS.get(name, name))


def _choice(code: str) -> str:
    return g.translations.gettext(code)


def event_form(event_type: str) -> list[FieldSpec]:
    schema = intake_cases.schema_of(f"intake.{event_type}")
    return form_of(schema, _label, _choice, leave_out=NOT_TYPED)


def recordable_types() -> list[tuple[str, str]]:
    """The events a case worker adds by hand (corrections and links have their own flows)."""
    shown = [name.removeprefix("intake.") for name in intake_cases.RECORDABLE]
    kept = [name for name in shown if name not in ("CaseCorrected", "PersonsLinked")]
    return [(name, g.translations.gettext(EVENT_LABELS.get(name, name))) for name in kept]


def case_form(countries: list[str]) -> list[FieldSpec]:
    from services.web.forms import Choice

    specs = event_form("CaseOpened")
    country = FieldSpec("country", _label("country"), "select", True,
                        tuple(Choice(c, g.formats.country(c)) for c in countries))  # fmt: skip
    return [country, *specs] if len(countries) > 1 else specs


@blp.route("/")
@signed_in(*READERS)
def index() -> str:
    countries = user_countries()
    country = request.args.get("country") or countries[0]
    number = max(int(request.args.get("page", "1") or 1), 1) if request.args.get(
        "page", "1").isdigit() else 1  # fmt: skip
    # the intake API pages by "after this case id": walk to the page asked for
    after: str | None = None
    found: dict[str, Any] = {"cases": [], "next_after": None}
    for _ in range(number):
        found = get("intake", "/api/v1/cases", country=country, limit=PAGE_SIZE, after=after,
                    status=request.args.get("status"),
                    trafficking_status=request.args.get("trafficking_status"))  # fmt: skip
        after = found.get("next_after")
        if not after:
            break

    def args(**changes: Any) -> str:
        merged = {**request.args.to_dict(), **{k: str(v) for k, v in changes.items()}}
        return urlencode(merged)

    return page("cases/index.html", cases=found["cases"], country=country, countries=countries,
                page_number=number, has_more=bool(found.get("next_after")), args=args,
                event_labels=EVENT_LABELS)  # fmt: skip


@blp.route("/new", methods=["GET", "POST"])
@signed_in("case_worker")
def new() -> Response | str | tuple[str, int]:
    countries = user_countries()
    specs = case_form(countries)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        body = payload_of(specs, request.form)
        if len(countries) == 1:
            body["country"] = countries[0]
        try:
            answer = call("intake", "POST", "/api/v1/cases", json=body)
        except ServiceError as error:
            if error.status not in (400, 409, 422):
                raise
            values, errors = shown_values(specs, request.form), _errors(error)
            return page("cases/new.html", specs=specs, values=values, errors=errors), 422
        return redirect(url_for("cases.show", case_id=answer.body["case_id"], opened=1))
    return page("cases/new.html", specs=specs, values=values, errors=errors)


def _errors(error: ServiceError) -> dict[str, str]:
    found = error.field_errors()
    return found or {"form": error.detail}


@blp.route("/<case_id>")
@signed_in(*READERS)
def show(case_id: str) -> str:
    case = _case(case_id)
    events = sorted(case["events"], key=lambda e: (_day_of(e), e["version"]))
    return page("cases/show.html", case=case, events=events, event_labels=EVENT_LABELS,
                field_labels=FIELD_LABELS, types=recordable_types())  # fmt: skip


def _day_of(event: dict[str, Any]) -> str:
    fields_ = event.get("fields") or {}
    return str(fields_.get("date") or fields_.get("start_date") or event.get("occurred_at") or "")


def _case(case_id: str) -> dict[str, Any]:
    try:
        return call("intake", "GET", f"/api/v1/cases/{case_id}").body
    except ServiceError as error:
        if error.status == 404:
            raise NotFound() from error
        raise


@blp.route("/<case_id>/events/new", methods=["GET", "POST"])
@signed_in("case_worker")
def add_event(case_id: str) -> Response | str | tuple[str, int]:
    types = dict(recordable_types())
    event_type = request.values.get("type", "")
    if event_type not in types:
        return page("cases/choose_event.html", case_id=case_id, types=list(types.items()))
    specs = event_form(event_type)
    case = _case(case_id)
    if request.method == "POST" and request.form.get("step") == "record":
        body = {"type": event_type, **payload_of(specs, request.form)}
        # the version the form was filled in against: a change meanwhile is not overwritten
        seen = request.form.get("version", str(case["version"]))
        try:
            call("intake", "POST", f"/api/v1/cases/{case_id}/events", json=body,
                 headers={"If-Match": f'"{seen}"'})  # fmt: skip
        except ServiceError as error:
            if error.status not in (400, 409, 412, 422):
                raise
            errors = _errors(error)
            if error.status == 412:
                errors = {"form": g.translations.gettext(
                    "Someone added to this case meanwhile. Check the timeline and send again."
                )}  # fmt: skip
            return page("cases/add_event.html", case=case, event_type=event_type,
                        title=types[event_type], specs=specs,
                        values=shown_values(specs, request.form), errors=errors), 422  # fmt: skip
        return redirect(url_for("cases.show", case_id=case_id, added=event_type))
    return page("cases/add_event.html", case=case, event_type=event_type, title=types[event_type],
                specs=specs, values={}, errors={})  # fmt: skip
