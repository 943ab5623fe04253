"""The HTTP contract of national profiles and qualitative assessments.

A single profile or assessment is read from its stream (so it is current, with an ETag to send
back in If-Match); lists come from the read models in `assessment_views` and may lag by about a
second. Writers: national_admin (or platform_admin) for profiles, monitor for scores, reviewer
for reviews, each for their own country.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from flask import Response, current_app, jsonify
from marshmallow import Schema, fields, validate

from services.identity.events import COUNTRIES
from services.indicators import assessments, profiles
from services.indicators.api import Indicators, indicators
from services.indicators.assessment_views import Assessments, NationalProfiles
from services.indicators.assessments import Assessment, ScoreCommand
from services.indicators.profiles import Profile, ProfileEntry, ProfileVersion
from services.registry import REGISTRY
from shared.auth import Principal, authenticated
from shared.backbone.envelope import NewEvent
from shared.backbone.projections import Projection, query_read_model
from shared.backbone.store import EventStore, ExpectedVersion
from shared.blueprint import Blueprint
from shared.errors import Forbidden, NotFound, PreconditionFailed
from shared.web import etag, event_context, if_match_version, stream_precondition

# who may read a country's profiles and assessments: its national roles and the hub's
READERS = ("monitor", "reviewer", "national_admin", "auditor", "data_provider",
           "regional_analyst", "platform_admin")  # fmt: skip
STORE = "actnow.indicators.store"


# --- schemas --------------------------------------------------------------------------------
def _texts(description: str) -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.String(),
                       metadata={"description": description})  # fmt: skip


class CodeMappingSchema(Schema):
    field = fields.String(required=True, metadata={
        "description": "A catalogue field (ext_IdentifyingBodyType) or event attribute"
                       " (ServiceDelivered.service_type) with a code list"})  # fmt: skip
    national_code = fields.String(required=True)
    core_code = fields.String(required=True)


class ProfileIndicatorIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(profiles.STATUSES))
    titles = _texts(f"Language ({', '.join(profiles.LANGUAGES)}) -> title")
    scale_texts = fields.Dict(keys=fields.String(), values=_texts("Language -> text"),
                              metadata={"description": "Score -> language -> text"})  # fmt: skip
    legal_basis = fields.String(allow_none=True)
    institution = fields.String(allow_none=True, metadata={
        "description": "The national institution that holds the data"})  # fmt: skip
    mappings = fields.List(fields.Nested(CodeMappingSchema))
    difference = fields.String(allow_none=True, metadata={
        "description": "adapted_noncomparable: what differs from the core definition"})  # fmt: skip
    reason = fields.String(allow_none=True, metadata={"description": "dropped: why"})
    kind = fields.String(allow_none=True, validate=validate.OneOf(profiles.KINDS),
                         metadata={"description": "national additions"})  # fmt: skip


class ProfileIndicatorOut(ProfileIndicatorIn):
    code = fields.String()
    core_title = fields.String(allow_none=True)
    national_addition = fields.Boolean()
    explicit = fields.Boolean(metadata={"description": "false: adopted because not mentioned"})
    comparable = fields.Boolean(metadata={"description": "Adopted or adapted core indicator"})


class ProfileIndicatorResponse(ProfileIndicatorOut):
    country = fields.String()
    catalog_version = fields.String()
    profile_version = fields.Integer()
    confirmed = fields.Boolean()
    version = fields.Integer(metadata={"description": "The stream version (the ETag)"})


class ProfileOut(Schema):
    country = fields.String()
    catalog_version = fields.String()
    profile_version = fields.Integer()
    confirmed = fields.Boolean()
    confirmed_at = fields.DateTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)
    confirmed_version = fields.Integer(
        allow_none=True,
        metadata={"description": "The latest confirmed version: the country's current profile"},
    )
    version = fields.Integer(metadata={"description": "The stream version (the ETag)"})
    indicators = fields.List(fields.Nested(ProfileIndicatorOut))


class VersionQuery(Schema):
    version = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "A profile version; the latest without it"})  # fmt: skip


class CountryQuery(Schema):
    country = fields.String(required=True, validate=validate.OneOf(COUNTRIES))


class ProfileSummary(Schema):
    country = fields.String()
    catalog_version = fields.String()
    profile_version = fields.Integer()
    confirmed_at = fields.DateTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)
    indicators_set = fields.Integer(metadata={"description": "Indicators set explicitly"})


class EvidenceSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(assessments.EVIDENCE_KINDS))
    title = fields.String(metadata={"description": "document"})
    reference = fields.String(metadata={"description": "document: citation or URL"})
    date = fields.Date(metadata={"description": "document"})
    sha256 = fields.String(metadata={"description": "file: SHA-256 of the uploaded file"})
    name = fields.String(metadata={"description": "file"})


class EvidenceOut(EvidenceSchema):
    date = fields.String(metadata={"description": "document: YYYY-MM-DD"})


class ScoreIn(Schema):
    score = fields.Integer(allow_none=True, strict=True)
    not_assessed_reason = fields.String(allow_none=True)
    rationale = fields.String(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))


class ReviewIn(Schema):
    comment = fields.String(allow_none=True)


class ReturnIn(Schema):
    comment = fields.String(required=True)


class StepOut(Schema):
    action = fields.String()
    by = fields.String()
    at = fields.DateTime()
    version = fields.Integer()
    score = fields.Integer(allow_none=True)
    not_assessed_reason = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class AssessmentSummary(Schema):
    country = fields.String()
    year = fields.Integer()
    code = fields.String()
    title = fields.String()
    catalog_version = fields.String()
    status = fields.String()
    score = fields.Integer(allow_none=True)
    not_assessed_reason = fields.String(allow_none=True)
    rationale = fields.String(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceOut))
    scored_by = fields.String()
    scored_at = fields.DateTime()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)
    rounds = fields.Integer(metadata={"description": "How many times it was scored"})
    version = fields.Integer()


class AssessmentOut(AssessmentSummary):
    history = fields.List(fields.Nested(StepOut))


class AssessmentQuery(Schema):
    country = fields.String(required=True, validate=validate.OneOf(COUNTRIES))
    year = fields.Integer()
    status = fields.String(validate=validate.OneOf(assessments.STATES))


assessments_blp = Blueprint(
    "assessments", __name__, url_prefix="/api/v1",
    description="National profiles and qualitative assessments",
)  # fmt: skip

PROFILE = "/profiles/<country>/<catalog_version>"
ASSESSMENT = "/assessments/<country>/<int:year>/<code>"


# --- profiles -------------------------------------------------------------------------------
@assessments_blp.route(PROFILE)
@assessments_blp.arguments(VersionQuery, location="query")
@assessments_blp.response(200, ProfileOut)
def get_profile(query: dict[str, Any], country: str, catalog_version: str) -> Response:
    """A country's profile (the latest version, or `version`): every core indicator, adopted
    unless the profile says otherwise, then the national additions."""
    profile = _readable_profile(country, catalog_version)
    version = _profile_version(profile, query.get("version"))
    return _with_etag(ProfileOut().dump(_profile_out(profile, version)), profile.stream_version)


@assessments_blp.route(f"{PROFILE}/indicators/<code>")
@assessments_blp.arguments(VersionQuery, location="query")
@assessments_blp.response(200, ProfileIndicatorResponse)
def get_profile_indicator(
    query: dict[str, Any], country: str, catalog_version: str, code: str
) -> Response:
    profile = _readable_profile(country, catalog_version)
    version = _profile_version(profile, query.get("version"))
    return _indicator_response(profile, version, code)


@assessments_blp.route(f"{PROFILE}/indicators/<code>", methods=["PUT"])
@assessments_blp.arguments(ProfileIndicatorIn)
@assessments_blp.response(200, ProfileIndicatorResponse)
def set_profile_indicator(
    body: dict[str, Any], country: str, catalog_version: str, code: str
) -> Response:
    """Sets one indicator's status (national_admin of the country, or platform_admin). In a
    confirmed version nothing changes: the change opens the next version."""
    principal = authenticated()
    country = known_country(country)
    profiles.check_may_edit(principal, country)
    profile = _profile(country, catalog_version)
    _check_if_match(profile.stream_version, "profile")
    events = profiles.set_indicator(principal, indicators().catalogue, profile, code, body,
                                    **event_context(principal))  # fmt: skip
    profile = _appended(profile, events)
    return _indicator_response(profile, profile.latest, code)


@assessments_blp.route(f"{PROFILE}/confirm", methods=["POST"])
@assessments_blp.response(200, ProfileOut)
def confirm_profile(country: str, catalog_version: str) -> Response:
    """Confirms (freezes) the latest profile version (national_admin or platform_admin)."""
    principal = authenticated()
    country = known_country(country)
    profiles.check_may_edit(principal, country)
    profile = _profile(country, catalog_version)
    _check_if_match(profile.stream_version, "profile")
    events = profiles.confirm(principal, indicators().catalogue, profile,
                              **event_context(principal))  # fmt: skip
    profile = _appended(profile, events)
    return _with_etag(ProfileOut().dump(_profile_out(profile, profile.latest)),
                      profile.stream_version)  # fmt: skip


@assessments_blp.route("/profiles")
@assessments_blp.arguments(CountryQuery, location="query")
@assessments_blp.response(200, ProfileSummary(many=True))
def list_profiles(query: dict[str, Any]) -> list[dict[str, Any]]:
    """A country's profile versions, newest first (read model)."""
    _require_reader(authenticated(), query["country"])
    return _rows(
        NationalProfiles,
        "SELECT p.country, p.catalog_version, p.profile_version, p.confirmed_at,"
        " p.confirmed_by, (SELECT count(*) FROM {schema}.profile_indicators i"
        " WHERE i.country = p.country AND i.catalog_version = p.catalog_version"
        " AND i.profile_version = p.profile_version AND i.explicit) AS indicators_set"
        " FROM {schema}.profiles p WHERE p.country = %s"
        " ORDER BY p.catalog_version DESC, p.profile_version DESC",
        (query["country"],),
    )


# --- assessments ----------------------------------------------------------------------------
@assessments_blp.route(ASSESSMENT)
@assessments_blp.response(200, AssessmentOut)
def get_assessment(country: str, year: int, code: str) -> Response:
    """One assessment as it stands, with its history."""
    principal = authenticated()
    country = known_country(country)
    _require_reader(principal, country)
    assessment = _assessment(country, year, code)
    if assessment is None:
        raise NotFound(f"{code} has not been scored for {country} {year}",
                       {"code": ["Not scored."]})  # fmt: skip
    return _assessment_response(assessment)


@assessments_blp.route(ASSESSMENT, methods=["POST"])
@assessments_blp.arguments(ScoreIn)
@assessments_blp.response(200, AssessmentOut)
def score_assessment(body: dict[str, Any], country: str, year: int, code: str) -> Response:
    """Scores a qualitative indicator (monitor of the country): `score` on the indicator's
    scale with at least one evidence item, or `not_assessed_reason`. Scoring again is allowed
    until the assessment is confirmed; every scoring stays in the history."""
    principal = authenticated()
    country = known_country(country)
    if not principal.may(assessments.SCORERS, country):
        raise Forbidden(f"this needs the role monitor for {country}")
    current = _assessment(country, year, code)
    _check_if_match(current.version if current else 0, "assessment")
    command = ScoreCommand(body.get("score"), body.get("not_assessed_reason"),
                           body.get("rationale"), body.get("evidence") or ())  # fmt: skip
    events = assessments.score(principal, indicators().catalogue, current, country, year, code,
                               command, date.today(), **event_context(principal))  # fmt: skip
    return _assessment_response(_append_assessment(country, year, code, current, events))


@assessments_blp.route(f"{ASSESSMENT}/confirm", methods=["POST"])
@assessments_blp.arguments(ReviewIn)
@assessments_blp.response(200, AssessmentOut)
def confirm_assessment(body: dict[str, Any], country: str, year: int, code: str) -> Response:
    """Confirms the scoring awaiting review (reviewer of the country, not its scorer)."""
    principal, country, current = _review_target(country, year, code)
    events = assessments.confirm(principal, current, body.get("comment"),
                                 **event_context(principal))  # fmt: skip
    return _assessment_response(_append_assessment(country, year, code, current, events))


@assessments_blp.route(f"{ASSESSMENT}/return", methods=["POST"])
@assessments_blp.arguments(ReturnIn)
@assessments_blp.response(200, AssessmentOut)
def return_assessment(body: dict[str, Any], country: str, year: int, code: str) -> Response:
    """Returns the scoring to the monitors with a comment (reviewer of the country, not its
    scorer)."""
    principal, country, current = _review_target(country, year, code)
    events = assessments.return_for_rework(principal, current, body["comment"],
                                           **event_context(principal))  # fmt: skip
    return _assessment_response(_append_assessment(country, year, code, current, events))


@assessments_blp.route("/assessments")
@assessments_blp.arguments(AssessmentQuery, location="query")
@assessments_blp.response(200, AssessmentSummary(many=True))
def list_assessments(query: dict[str, Any]) -> list[dict[str, Any]]:
    """A country's assessments as they stand (read model), by year and indicator."""
    _require_reader(authenticated(), query["country"])
    conditions, params = ["country = %s"], [query["country"]]
    for name in ("year", "status"):
        if name in query:
            conditions.append(f"{name} = %s")
            params.append(query[name])
    rows = _rows(
        Assessments,
        "SELECT country, year, code, catalog_version, status, score, not_assessed_reason,"
        " rationale, evidence, scored_by, scored_at, reviewed_by, reviewed_at, review_comment,"
        f" rounds, version FROM {{schema}}.assessments WHERE {' AND '.join(conditions)}"
        " ORDER BY year DESC, code",
        params,
    )
    return [{**row, "title": _title(str(row["code"]))} for row in rows]


# --- helpers --------------------------------------------------------------------------------
def event_store() -> EventStore:
    """One event store per app, made on first use (the service's `Indicators` has none)."""
    store: EventStore | None = current_app.extensions.get(STORE)
    if store is None:
        service = indicators()
        store = EventStore(service.pool, service.settings.schema, service.settings.origin,
                           REGISTRY)  # fmt: skip
        current_app.extensions[STORE] = store
    return store


def known_country(country: str) -> str:
    if country not in COUNTRIES:
        raise NotFound(f"no country {country!r}", {"country": [f"One of {', '.join(COUNTRIES)}."]})
    return country


def _require_reader(principal: Principal, country: str) -> None:
    if not principal.may(READERS, country):
        raise Forbidden(f"this needs a national role of {country} (not case_worker) or a"
                        " regional role")  # fmt: skip


def _check_if_match(version: int, what: str) -> None:
    """Before deciding: a decision taken on a state the client has not seen must not stand."""
    expected = if_match_version()
    if expected is not None and expected != version:
        raise PreconditionFailed(
            f"the {what} is at version {version}, not {expected}: read it again",
            {"If-Match": [f"Current ETag is {etag(version)}."]},
        )


def _append(stream: str, version: int, events: Sequence[NewEvent]) -> None:
    if not events:
        return
    with stream_precondition(if_match_version()):
        event_store().append(stream, version or ExpectedVersion.NO_STREAM, events)


# profiles
def _profile(country: str, catalog_version: str) -> Profile:
    catalogue = indicators().catalogue
    if catalog_version != catalogue.catalog_version:
        raise NotFound(
            f"this service keeps profiles of catalogue {catalogue.catalog_version} only",
            {"catalog_version": [f"Must be {catalogue.catalog_version}."]},
        )
    stream = profiles.profile_stream(country, catalog_version)
    return profiles.profile_from(country, catalog_version, event_store().read_stream(stream))


def _readable_profile(country: str, catalog_version: str) -> Profile:
    principal = authenticated()
    country = known_country(country)
    _require_reader(principal, country)
    return _profile(country, catalog_version)


def _appended(profile: Profile, events: Sequence[NewEvent]) -> Profile:
    stream = profiles.profile_stream(profile.country, profile.catalog_version)
    _append(stream, profile.stream_version, events)
    return _profile(profile.country, profile.catalog_version) if events else profile


def _profile_version(profile: Profile, number: int | None) -> ProfileVersion | None:
    if number is None:
        return profile.latest
    version = profile.version(number)
    if version is None:
        raise NotFound(f"the profile has no version {number}", {"version": ["No such version."]})
    return version


def _profile_out(profile: Profile, version: ProfileVersion | None) -> dict[str, Any]:
    """A profile that was never touched reads as a draft version 1 adopting everything."""
    entries = profiles.resolved(indicators().catalogue, version)
    confirmed = profile.confirmed_version
    return {"country": profile.country, "catalog_version": profile.catalog_version,
            "profile_version": version.number if version else 1,
            "confirmed": bool(version and version.confirmed),
            "confirmed_at": version.confirmed_at if version else None,
            "confirmed_by": version.confirmed_by if version else None,
            "confirmed_version": confirmed.number if confirmed else None,
            "version": profile.stream_version,
            "indicators": [_entry_out(e, version) for e in entries.values()]}  # fmt: skip


def _entry_out(entry: ProfileEntry, version: ProfileVersion | None) -> dict[str, Any]:
    explicit = version is not None and entry.code in version.entries
    return {**profiles.entry_payload(entry), "core_title": _title(entry.code),
            "national_addition": entry.national_addition, "explicit": explicit,
            "comparable": entry.comparable}  # fmt: skip


def _indicator_response(profile: Profile, version: ProfileVersion | None, code: str) -> Response:
    entry = profiles.resolved(indicators().catalogue, version).get(code)
    if entry is None:
        raise NotFound(f"{code} is not in the profile", {"code": ["Not in the profile."]})
    body = {**_entry_out(entry, version), "country": profile.country,
            "catalog_version": profile.catalog_version,
            "profile_version": version.number if version else 1,
            "confirmed": bool(version and version.confirmed),
            "version": profile.stream_version}  # fmt: skip
    return _with_etag(ProfileIndicatorResponse().dump(body), profile.stream_version)


# assessments
def _assessment(country: str, year: int, code: str) -> Assessment | None:
    stream = assessments.assessment_stream(country, year, code)
    return assessments.assessment_from(event_store().read_stream(stream))


def _review_target(country: str, year: int, code: str) -> tuple[Principal, str, Assessment | None]:
    principal = authenticated()
    country = known_country(country)
    if not principal.may(assessments.REVIEWERS, country):
        raise Forbidden(f"this needs the role reviewer for {country}")
    current = _assessment(country, year, code)
    _check_if_match(current.version if current else 0, "assessment")
    return principal, country, current


def _append_assessment(
    country: str, year: int, code: str, current: Assessment | None, events: Sequence[NewEvent]
) -> Assessment:
    _append(assessments.assessment_stream(country, year, code),
            current.version if current else 0, events)  # fmt: skip
    found = _assessment(country, year, code) if events else current
    assert found is not None  # scored now, or before
    return found


def _assessment_response(assessment: Assessment) -> Response:
    s = assessment.scoring
    body = {"country": assessment.country, "year": assessment.year, "code": assessment.code,
            "title": _title(assessment.code), "catalog_version": assessment.catalog_version,
            "status": assessment.status, "score": s.score,
            "not_assessed_reason": s.not_assessed_reason, "rationale": s.rationale,
            "evidence": [assessments.evidence_payload(e) for e in s.evidence],
            "scored_by": s.scored_by, "scored_at": s.scored_at,
            "reviewed_by": assessment.reviewed_by, "reviewed_at": assessment.reviewed_at,
            "review_comment": assessment.review_comment, "version": assessment.version,
            "rounds": sum(step.action == "scored" for step in assessment.history),
            "history": [asdict(step) for step in assessment.history]}  # fmt: skip
    return _with_etag(AssessmentOut().dump(body), assessment.version)


# shared
def _title(code: str) -> str | None:
    try:
        return indicators().catalogue.indicator(code).title
    except KeyError:
        return None  # a national addition: its titles are in the profile


def _with_etag(body: dict[str, Any], version: int) -> Response:
    response = jsonify(body)
    response.headers["ETag"] = etag(version)
    return response


def _rows(
    model: type[NationalProfiles] | type[Assessments], query: str, params: Sequence[Any]
) -> list[dict[str, Any]]:
    service: Indicators = indicators()
    projection: Projection = model(service.settings.events_topic("indicators"))
    return query_read_model(service.pool, service.settings.schema, projection, query, params)
