"""The national profile editor: for the country and the catalogue version the indicators service
computes, what each core indicator is in the national instrument (adopted, adapted, adapted but
not comparable, dropped), its national title, legal basis and the institution holding the
data; and confirming the profile. National administrators edit; monitors and other national
roles read. The indicators service checks every entry and names the fields it refuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, g, redirect, request, url_for
from werkzeug.exceptions import Forbidden, NotFound

from services.indicators.profiles import (
    CORE_STATUSES,
    DROPPED,
    EDITORS,
    NATIONAL_ADDITION,
    OPTIONAL_FIELDS,
    TEXT_FIELDS,
)
from services.web.backend import Answer, ServiceError
from services.web.forms import Choice, FieldSpec
from services.web.labels import N_
from services.web.languages import BY_CODE
from services.web.pages import call, get, page, signed_in, user_countries

blp = Blueprint("profiles", __name__, url_prefix="/profiles")

READERS = ("national_admin", "monitor", "reviewer", "auditor", "data_provider",
           "regional_analyst", "platform_admin")  # fmt: skip
STATUS_LABELS = {
    "adopted": N_("Adopted"), "adapted": N_("Adapted"),
    "adapted_noncomparable": N_("Adapted, not comparable"), "dropped": N_("Dropped"),
    "national_addition": N_("National addition"),
}  # fmt: skip
TEXT_LABELS = {
    "legal_basis": N_("Legal basis"), "institution": N_("Institution holding the data"),
    "difference": N_("What differs from the core definition"),
    "reason": N_("Reason for dropping it"),
}  # fmt: skip
TEXT_HINTS = {
    "legal_basis": N_("For an adapted indicator (required when adapted)."),
    "institution": N_("For an adapted indicator (required when adapted)."),
    "difference": N_("Required when adapted but not comparable."),
    "reason": N_("Required when dropped."),
}  # fmt: skip
# the languages a country's national titles are written in (profiles.LANGUAGES), English last
COUNTRY_LANGUAGES = {
    "AL": ("sq",), "BA": ("bs", "sr-Latn", "sr-Cyrl", "hr"), "ME": ("cnr", "sr-Latn", "sq"),
    "MK": ("mk", "sq"), "RS": ("sr-Cyrl", "sr-Latn"), "XK": ("sq", "sr-Latn"),
}  # fmt: skip
LANGUAGE_NAMES = {"hr": "Hrvatski", **{code: lang.name for code, lang in BY_CODE.items()}}


# --- pure helpers ---------------------------------------------------------------------------
def title_languages(country: str, titles: Mapping[str, str] | None = None) -> list[str]:
    """The languages to offer a national title in: the country's, then English, then any other
    the profile already has a title in."""
    wanted = [*COUNTRY_LANGUAGES.get(country, ()), "en"]
    return [*wanted, *sorted(code for code in titles or {} if code not in wanted)]


def entry_body(status: str, posted: Mapping[str, str], current: Mapping[str, Any],
               languages: list[str]) -> dict[str, Any]:  # fmt: skip
    """The PUT body for an indicator's entry: the status, the titles as edited (the languages
    not on the form kept), and only the texts the status uses, so that switching an indicator
    back to adopted does not send a legal basis the service would refuse."""
    body: dict[str, Any] = {"status": status} if status else {}
    titles = {k: v for k, v in (current.get("titles") or {}).items() if k not in languages}
    titles.update({code: posted[f"titles.{code}"].strip() for code in languages
                   if posted.get(f"titles.{code}", "").strip()})  # fmt: skip
    if titles:
        body["titles"] = titles
    allowed = OPTIONAL_FIELDS.get(status, TEXT_FIELDS)
    for name in TEXT_FIELDS:
        value = posted.get(name, "").strip()
        if value and name in allowed:
            body[name] = value
    if "mappings" in allowed and current.get("mappings"):
        body["mappings"] = current["mappings"]  # kept: not edited on this page
    if current.get("scale_texts"):
        body["scale_texts"] = current["scale_texts"]
    if status == NATIONAL_ADDITION and current.get("kind"):
        body["kind"] = current["kind"]
    return body


def placed_errors(errors: Mapping[str, str], languages: list[str]) -> dict[str, str]:
    """The service's errors by form field: a missing title ("titles") is shown at the title
    in the country's first language."""
    placed = dict(errors)
    if "titles" in placed and languages:
        first = f"titles.{languages[0]}"
        message = placed.pop("titles")
        placed[first] = f"{placed[first]} {message}" if first in placed else message
    return placed


def national_title(titles: Mapping[str, str], ui_language: str, country: str) -> str:
    """The national title in the reader's language if there is one, else in the country's."""
    for code in (ui_language, *COUNTRY_LANGUAGES.get(country, ())):
        if titles.get(code):
            return titles[code]
    return ""


# --- pages ----------------------------------------------------------------------------------
def _t(message: str) -> str:
    return g.translations.gettext(message)


def _catalog_version() -> str:
    return get("indicators", "/api/v1/catalogue")["catalog_version"]


def _path(country: str, catalog_version: str, rest: str = "") -> str:
    return f"/api/v1/profiles/{quote(country)}/{quote(catalog_version)}{rest}"


def _answer(path: str) -> Answer:
    try:
        return call("indicators", "GET", path)
    except ServiceError as error:
        if error.status == 404:
            raise NotFound() from error
        raise


def _country() -> str:
    countries = user_countries()
    asked = request.values.get("country", "")
    return asked if asked in countries else countries[0]


def may_edit(country: str) -> bool:
    return g.user.may(EDITORS, country)


@blp.route("/")
@signed_in(*READERS)
def index() -> str:
    return _index(_country(), {})


def _index(country: str, errors: dict[str, str]) -> str:
    answer = _answer(_path(country, _catalog_version()))
    history = get("indicators", "/api/v1/profiles", country=country)
    language = g.language.code
    return page("profiles/index.html", profile=answer.body, etag=answer.headers.get("ETag", ""),
                country=country, countries=user_countries(), history=history,
                editable=may_edit(country), status_labels=STATUS_LABELS, errors=errors,
                title_of=lambda titles: national_title(titles, language, country))  # fmt: skip


def entry_form(country: str, entry: Mapping[str, Any]) -> list[FieldSpec]:
    statuses = (NATIONAL_ADDITION, DROPPED) if entry.get("national_addition") else CORE_STATUSES
    specs = [FieldSpec("status", _t("Status"), "select", True,
                       tuple(Choice(s, _t(STATUS_LABELS[s])) for s in statuses))]  # fmt: skip
    for code in title_languages(country, entry.get("titles") or {}):
        label = _t("National title (%(language)s)") % {"language": LANGUAGE_NAMES.get(code, code)}
        specs.append(FieldSpec(f"titles.{code}", label, "text",
                               hint=_t("Required when adapted, in at least one language.")
                               if code == title_languages(country)[0] else ""))  # fmt: skip
    for name in TEXT_FIELDS:
        specs.append(FieldSpec(name, _t(TEXT_LABELS[name]), "textarea", hint=_t(TEXT_HINTS[name])))
    return specs


def _values(entry: Mapping[str, Any]) -> dict[str, str]:
    values = {"status": entry.get("status") or ""}
    values.update({f"titles.{k}": v for k, v in (entry.get("titles") or {}).items()})
    values.update({name: entry.get(name) or "" for name in TEXT_FIELDS})
    return values


@blp.route("/<country>/<code>", methods=["GET", "POST"])
@signed_in(*READERS)
def edit(country: str, code: str) -> Response | str | tuple[str, int]:
    if country not in user_countries():
        raise NotFound()
    version = _catalog_version()
    path = _path(country, version, f"/indicators/{quote(code, safe='')}")
    answer = _answer(path)
    entry, tag = answer.body, answer.headers.get("ETag", "")
    specs = entry_form(country, entry)
    if request.method == "POST" and not may_edit(country):
        raise Forbidden()  # the service would refuse it too: readers see the entry only
    if request.method == "GET":
        return page("profiles/edit.html", entry=entry, country=country, specs=specs,
                    values=_values(entry), errors={}, etag=tag,
                    editable=may_edit(country))  # fmt: skip
    languages = [s.name.removeprefix("titles.") for s in specs if s.name.startswith("titles.")]
    posted = {spec.name: request.form.get(spec.name, "") for spec in specs}
    body = entry_body(posted["status"], posted, entry, languages)
    sent_tag = request.form.get("etag", "")
    try:
        call("indicators", "PUT", path, json=body,
             headers={"If-Match": sent_tag} if sent_tag else None)  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 409, 412, 422):
            raise
        errors = placed_errors(error.field_errors() or {"form": error.detail}, languages)
        if error.status == 412:
            errors = {"form": _t("Someone changed this profile meanwhile. Look again and retry.")}
        return page("profiles/edit.html", entry=entry, country=country, specs=specs,
                    values=posted, errors=errors, etag=tag, editable=True), 422  # fmt: skip
    return redirect(url_for("profiles.index", country=country, done=code) + f"#row-{code}")


@blp.route("/<country>/confirm", methods=["POST"])
@signed_in(*EDITORS)
def confirm(country: str) -> Response | tuple[str, int]:
    version = _catalog_version()
    tag = request.form.get("etag", "")
    try:
        call("indicators", "POST", _path(country, version, "/confirm"),
             headers={"If-Match": tag} if tag else None)  # fmt: skip
    except ServiceError as error:
        if error.status not in (403, 409, 412, 422):
            raise
        return _index(country, {"form": error.detail}), 422
    return redirect(url_for("profiles.index", country=country, done="confirmed"))
