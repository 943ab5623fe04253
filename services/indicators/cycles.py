"""Monitoring cycles and data requests (domain README §2, §7 "Monitoring cycle"): one reference
year of one country under one catalogue version and a confirmed national profile version, with
its deadlines; the requests for the `agg_` figures each institution holds, derived from the
profile's data-source mapping; and, at a glance, where every indicator of the profile stands.

Stream: `cycle-<CC>-<year>`. It holds the opening, every request sent and what became of it.
A request is `sent`; `refused` when the institution (or the monitor, on its behalf) says so;
`answered` or `partly_answered` when the institution's submissions for the year cover all or
some of the requested fields; `overdue` when its deadline has passed before it was answered.
Refusals are recorded by people; the other statuses are derived from the submissions and the
date, and the follow-up task records each change as an event, so the history shows when a
request was answered or became overdue. A refusal or a request left unanswered is evidence for
the coordination indicators (README §5.3 `coordination_data`).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from services.indicators.catalogue import QUALITATIVE, Catalogue, Indicator, Statistic
from services.indicators.profiles import ADAPTED, DROPPED, NONCOMPARABLE, ProfileEntry
from shared.auth import Principal
from shared.backbone.envelope import NewEvent, RecordedEvent
from shared.errors import Conflict, Forbidden, NotFound, ValidationProblem

STREAM_PREFIX = "cycle-"
CYCLE_OPENED = "indicators.CycleOpened"
REQUEST_SENT = "indicators.DataRequestSent"
REQUEST_ANSWERED = "indicators.DataRequestAnswered"
REQUEST_PARTLY_ANSWERED = "indicators.DataRequestPartlyAnswered"
REQUEST_REFUSED = "indicators.DataRequestRefused"
REQUEST_OVERDUE = "indicators.DataRequestOverdue"
REQUEST_EVENTS = (REQUEST_SENT, REQUEST_ANSWERED, REQUEST_PARTLY_ANSWERED, REQUEST_REFUSED,
                  REQUEST_OVERDUE)  # fmt: skip

# a request's status; `overdue` outranks `partly_answered` (the rest is still awaited)
SENT, ANSWERED, PARTLY_ANSWERED, REFUSED, OVERDUE = (
    "sent", "answered", "partly_answered", "refused", "overdue",
)  # fmt: skip
REQUEST_STATUSES = (SENT, PARTLY_ANSWERED, OVERDUE, ANSWERED, REFUSED)

# where an indicator of the cycle stands
HAS_DATA, SCORED, IN_REVIEW, MISSING = "data", "scored", "in_review", "missing"
INDICATOR_STATES = (HAS_DATA, SCORED, IN_REVIEW, MISSING)
# why it is missing
MISSING_REASONS = (
    "dropped", "request_refused", "request_overdue", "request_unanswered", "not_requested",
    "no_data_source", "no_case_data", "not_scored", "returned", "national_addition",
)  # fmt: skip

OPENERS = ("national_admin", "monitor")
REQUESTERS = ("monitor", "national_admin")
REFUSERS = ("monitor",)  # and the data_provider of the institution asked
PROVIDERS = ("data_provider",)
FIRST_YEAR = 2000
TEXT_LIMIT = 2000

# the national language a request letter is written in, by country (README §3)
NATIONAL_LANGUAGE = {"AL": "sq", "BA": "bs", "ME": "cnr", "MK": "mk", "RS": "sr-Cyrl",
                     "XK": "sq"}  # fmt: skip
LETTER_LANGUAGES = ("en", "mk", "sq", "sr-Cyrl", "sr-Latn", "bs", "cnr")

# the catalogue's sources that are not institutions to ask: the monitor's own research, budget
# documents and GRETA reports are gathered by the monitor itself
NOT_ASKED = frozenset({"csos_monitor", "budget_documents", "greta"})
# catalogue source -> the identity service's organisation type holding it
SOURCE_TYPES: Mapping[str, str] = {
    "police": "police", "border_police": "border_police", "prosecution": "prosecution",
    "courts": "court", "misdemeanour_courts": "court", "social_welfare": "social_welfare_centre",
    "labour_inspectorate": "labour_inspectorate", "migration_authority": "migration_authority",
    "health_services": "health_service", "national_coordinator": "national_coordinator",
    "international_organisations": "international_organisation",
    "ngo_service_providers": "cso",
}  # fmt: skip
REQUEST_ID_NAMESPACE = uuid.UUID("6f1c3a52-8a0e-4d5e-9b61-0c2d7f4e8a19")


def cycle_stream(country: str, year: int) -> str:
    return f"{STREAM_PREFIX}{country}-{year}"


def request_id_for(country: str, year: int, organisation_id: str) -> str:
    """The same institution is asked once per cycle: its request id follows from both."""
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, f"{country}-{year}-{organisation_id}"))


# --- state ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class DataRequest:
    request_id: str
    organisation_id: str
    organisation_name: str
    institution: str  # as the profile or the catalogue names the holder of the data
    fields: tuple[str, ...]
    indicators: tuple[str, ...]
    deadline: date
    language: str
    sent_by: str
    sent_at: datetime
    refusal: Refusal | None = None
    # what the follow-up recorded so far (the live status is derived, see `request_status`)
    answered_fields: tuple[str, ...] = ()
    answered_recorded: bool = False
    overdue_recorded: bool = False


@dataclass(frozen=True)
class Cycle:
    country: str
    year: int
    catalog_version: str
    profile_version: int
    requests_due: date
    scoring_due: date
    report_due: date
    opened_by: str
    opened_at: datetime
    requests: Mapping[str, DataRequest] = field(default_factory=dict)
    version: int = 0

    @property
    def period(self) -> str:
        return str(self.year)

    def request(self, request_id: str) -> DataRequest:
        found = self.requests.get(request_id)
        if found is None:
            raise NotFound(f"the cycle {self.country} {self.year} has no request {request_id}",
                           {"request_id": ["No such request in this cycle."]})  # fmt: skip
        return found


def cycle_from(events: Sequence[RecordedEvent]) -> Cycle | None:
    cycle: Cycle | None = None
    for event in events:
        p = event.payload
        if event.event_type == CYCLE_OPENED:
            cycle = Cycle(
                p["country"], p["year"], p["catalog_version"], p["profile_version"],
                date.fromisoformat(p["requests_due"]), date.fromisoformat(p["scoring_due"]),
                date.fromisoformat(p["report_due"]), p["opened_by"], event.occurred_at,
            )  # fmt: skip
        elif cycle is not None and event.event_type in REQUEST_EVENTS:
            cycle = replace(cycle, requests={**cycle.requests,
                                             p["request_id"]: _applied(cycle, event)})  # fmt: skip
        if cycle is not None:
            cycle = replace(cycle, version=event.stream_version)
    return cycle


def _applied(cycle: Cycle, event: RecordedEvent) -> DataRequest:
    p = event.payload
    if event.event_type == REQUEST_SENT:
        return DataRequest(
            p["request_id"], p["organisation_id"], p["organisation_name"], p["institution"],
            tuple(p["fields"]), tuple(p["indicators"]), date.fromisoformat(p["deadline"]),
            p["language"], p["sent_by"], event.occurred_at,
        )  # fmt: skip
    request = cycle.requests[p["request_id"]]
    if event.event_type == REQUEST_REFUSED:
        return replace(request, refusal=Refusal(p["reason"], p["refused_by"], event.occurred_at))
    if event.event_type == REQUEST_OVERDUE:
        return replace(request, overdue_recorded=True)
    answered = tuple(p["answered_fields"])
    return replace(request, answered_fields=answered,
                   answered_recorded=event.event_type == REQUEST_ANSWERED)  # fmt: skip


# --- what each indicator needs, and who holds it ---------------------------------------------
def aggregate_fields_of(indicator: Indicator) -> tuple[str, ...]:
    """The `agg_` fields an indicator's numerator and denominator read: an aggregate figure,
    or the records of an `agg_` records field."""
    found: list[str] = []
    for statistic in (indicator.numerator, indicator.denominator):
        name = _aggregate_of(statistic)
        if name is not None and name not in found:
            found.append(name)
    return tuple(found)


def _aggregate_of(statistic: Statistic | None) -> str | None:
    if statistic is None:
        return None
    if statistic.kind == "aggregate":
        return statistic.aggregate
    if statistic.subject.kind in ("records", "aggregate"):
        return statistic.subject.name
    return None


@dataclass(frozen=True)
class Holder:
    """An institution holding some of the cycle's `agg_` fields, as the profile (an adapted
    indicator's `institution`) or the catalogue (the field's first `submitted_by` source that
    is an institution) names it."""

    institution: str
    fields: tuple[str, ...]
    indicators: tuple[str, ...]
    source: bool  # True: a catalogue source key; False: a name from the national profile


def data_holders(catalogue: Catalogue, entries: Mapping[str, ProfileEntry]) -> list[Holder]:
    """Who is asked for what: for every quantitative core indicator the profile keeps, the
    institution holding each `agg_` field it reads. One institution per field: where two
    institutions report the same figure, the values computer takes one (police and prosecution
    both count investigations of the same cases), so the first the catalogue names is asked."""
    fields: dict[tuple[str, bool], list[str]] = {}
    indicators: dict[tuple[str, bool], list[str]] = {}
    for code, entry in entries.items():
        if entry.national_addition or entry.status == DROPPED:
            continue
        indicator = catalogue.indicator(code)
        for name in aggregate_fields_of(indicator):
            key = _holder_of(catalogue, entry, name)
            if key is None:
                continue
            if name not in fields.setdefault(key, []):
                fields[key].append(name)
            if code not in indicators.setdefault(key, []):
                indicators[key].append(code)
    return [Holder(key[0], tuple(sorted(names)), tuple(indicators[key]), key[1])
            for key, names in fields.items()]  # fmt: skip


def _holder_of(catalogue: Catalogue, entry: ProfileEntry, name: str) -> tuple[str, bool] | None:
    if entry.status in (ADAPTED, NONCOMPARABLE) and entry.institution:
        return (entry.institution, False)
    source = field_source(catalogue, name)
    return (source, True) if source is not None else None


def field_source(catalogue: Catalogue, name: str) -> str | None:
    """The first institution the catalogue says submits an `agg_` field; None when only the
    monitor's own research or documents provide it."""
    spec = catalogue.aggregate_fields[name]
    return next((s for s in spec.submitted_by if s not in NOT_ASKED), None)


@dataclass(frozen=True)
class Organisation:
    """An organisation of the country, as the identity service registered it."""

    organisation_id: str
    name: str
    type: str


@dataclass(frozen=True)
class Unaddressed:
    """A holder no organisation could be found for: the monitor names one (`organisations`)."""

    institution: str
    fields: tuple[str, ...]
    indicators: tuple[str, ...]
    candidates: tuple[str, ...]  # organisation ids when several fit


def addressed(
    holders: Sequence[Holder],
    organisations: Sequence[Organisation],
    chosen: Mapping[str, str],
) -> tuple[dict[str, tuple[Organisation, list[Holder]]], list[Unaddressed]]:
    """Each holder's organisation: the one the monitor chose, else the only organisation of
    the source's type, else the one whose name is the profile's institution. Holders that end
    up at the same organisation make one request."""
    by_id = {o.organisation_id: o for o in organisations}
    errors = {f"organisations.{name}": ["Not an organisation of this country."]
              for name, chosen_id in chosen.items() if chosen_id not in by_id}  # fmt: skip
    if errors:
        raise ValidationProblem("an organisation named for an institution is not one of the"
                                " country's", errors)  # fmt: skip
    found: dict[str, tuple[Organisation, list[Holder]]] = {}
    unaddressed: list[Unaddressed] = []
    for holder in holders:
        candidates = _candidates(holder, organisations, chosen, by_id)
        if len(candidates) != 1:
            ids = tuple(c.organisation_id for c in candidates)
            unaddressed.append(
                Unaddressed(holder.institution, holder.fields, holder.indicators, ids)
            )
            continue
        organisation = candidates[0]
        found.setdefault(organisation.organisation_id, (organisation, []))[1].append(holder)
    return found, unaddressed


def _candidates(
    holder: Holder,
    organisations: Sequence[Organisation],
    chosen: Mapping[str, str],
    by_id: Mapping[str, Organisation],
) -> list[Organisation]:
    if holder.institution in chosen:
        return [by_id[chosen[holder.institution]]]
    if holder.source:
        wanted = SOURCE_TYPES.get(holder.institution)
        return [o for o in organisations if wanted is not None and o.type == wanted]
    name = _folded(holder.institution)
    return [o for o in organisations if _folded(o.name) == name]


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


# --- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenCommand:
    requests_due: date
    scoring_due: date
    report_due: date
    profile_version: int | None = None  # the latest confirmed version without it


def open_cycle(
    principal: Principal,
    catalogue: Catalogue,
    current: Cycle | None,
    country: str,
    year: int,
    confirmed_versions: Collection[int],
    command: OpenCommand,
    today: date,
    **context: Any,
) -> list[NewEvent]:
    """Opens the cycle of a country's reference year under the service's catalogue and a
    confirmed version of the country's profile (README §2: the profile is confirmed first)."""
    if not principal.may(OPENERS, country):
        raise Forbidden(f"this needs the role national_admin or monitor for {country}")
    if current is not None:
        raise Conflict(f"the cycle {country} {year} is open already",
                       {"year": ["A cycle is open for this year."]})  # fmt: skip
    errors: dict[str, list[str]] = {}
    if not FIRST_YEAR <= year <= today.year:
        _add(errors, "year", f"From {FIRST_YEAR} to {today.year}.")
    elif command.requests_due <= date(year, 12, 31):
        _add(errors, "requests_due", f"After the reference year {year}: the figures of a whole"
                                     " year are asked for.")  # fmt: skip
    if not command.requests_due <= command.scoring_due <= command.report_due:
        _add(errors, "scoring_due", "Deadlines follow each other: requests_due, scoring_due,"
                                    " report_due.")  # fmt: skip
    version = command.profile_version
    if version is None and confirmed_versions:
        version = max(confirmed_versions)
    if version is None:
        _add(errors, "profile_version",
             f"{country} has confirmed no profile of {catalogue.catalog_version}: confirm"
             " it first.")  # fmt: skip
    elif version not in confirmed_versions:
        _add(errors, "profile_version", "Not a confirmed version of the profile.")
    if errors:
        raise ValidationProblem(
            f"the cycle has invalid fields: {', '.join(sorted(errors))}", errors
        )
    payload = {"country": country, "year": year, "catalog_version": catalogue.catalog_version,
               "profile_version": version, "requests_due": command.requests_due.isoformat(),
               "scoring_due": command.scoring_due.isoformat(),
               "report_due": command.report_due.isoformat(),
               "opened_by": principal.user}  # fmt: skip
    return [NewEvent(CYCLE_OPENED, payload, **context)]


@dataclass(frozen=True)
class GenerateCommand:
    deadline: date | None = None  # the cycle's requests_due without it
    language: str | None = None  # the country's national language without it
    organisations: Mapping[str, str] = field(default_factory=dict)  # institution -> org id


def generate_requests(
    principal: Principal,
    catalogue: Catalogue,
    cycle: Cycle | None,
    entries: Mapping[str, ProfileEntry],
    organisations: Sequence[Organisation],
    command: GenerateCommand,
    today: date,
    **context: Any,
) -> tuple[list[NewEvent], list[Unaddressed]]:
    """A request to each institution holding the cycle's `agg_` fields, from the profile the
    cycle was opened with. An institution asked already is not asked again, so generating
    again after an organisation was registered (or named) only adds what was missing."""
    cycle = _existing(cycle)
    if not principal.may(REQUESTERS, cycle.country):
        raise Forbidden(f"this needs the role monitor or national_admin for {cycle.country}")
    deadline = command.deadline or cycle.requests_due
    language = command.language or NATIONAL_LANGUAGE.get(cycle.country, "en")
    errors: dict[str, list[str]] = {}
    if deadline < today:
        _add(errors, "deadline", "Must not be in the past.")
    if language not in LETTER_LANGUAGES:
        _add(errors, "language", f"One of {', '.join(LETTER_LANGUAGES)}.")
    if errors:
        raise ValidationProblem(f"invalid fields: {', '.join(sorted(errors))}", errors)
    holders = data_holders(catalogue, entries)
    by_organisation, unaddressed = addressed(holders, organisations, command.organisations)
    asked = {r.organisation_id for r in cycle.requests.values()}
    events = []
    for organisation_id, (organisation, mine) in sorted(by_organisation.items()):
        if organisation_id in asked:
            continue
        fields = sorted({name for h in mine for name in h.fields})
        codes = sorted({code for h in mine for code in h.indicators})
        payload = {"country": cycle.country, "year": cycle.year,
                   "request_id": request_id_for(cycle.country, cycle.year, organisation_id),
                   "organisation_id": organisation_id, "organisation_name": organisation.name,
                   "institution": "; ".join(sorted({h.institution for h in mine})),
                   "fields": fields, "indicators": codes, "deadline": deadline.isoformat(),
                   "language": language, "sent_by": principal.user}  # fmt: skip
        events.append(NewEvent(REQUEST_SENT, payload, **context))
    return events, unaddressed


def refuse(
    principal: Principal,
    cycle: Cycle | None,
    request_id: str,
    reason: str | None,
    **context: Any,
) -> list[NewEvent]:
    """Records that an institution refused a request, with its reason: said by the
    institution's data_provider, or by the monitor who received the refusal."""
    cycle = _existing(cycle)
    request = cycle.request(request_id)
    if not may_refuse(principal, cycle.country, request):
        raise Forbidden(f"this needs the role monitor for {cycle.country}, or data_provider of"
                        " the institution asked")  # fmt: skip
    if request.refusal is not None:
        raise Conflict("the request was refused already", {"status": ["Refused."]})
    if request.answered_recorded:
        raise Conflict("the request was answered: there is nothing left to refuse",
                       {"status": ["Answered."]})  # fmt: skip
    text = _clean(reason)
    if text is None:
        raise ValidationProblem("a refusal says why", {"reason": ["Required."]})
    if len(text) > TEXT_LIMIT:
        raise ValidationProblem("the reason is too long",
                                {"reason": [f"At most {TEXT_LIMIT} characters."]})  # fmt: skip
    payload = {"country": cycle.country, "year": cycle.year, "request_id": request_id,
               "reason": text, "refused_by": principal.user}  # fmt: skip
    return [NewEvent(REQUEST_REFUSED, payload, **context)]


def may_refuse(principal: Principal, country: str, request: DataRequest) -> bool:
    return principal.may(REFUSERS, country) or is_own_request(principal, country, request)


def is_own_request(principal: Principal, country: str, request: DataRequest) -> bool:
    """A data_provider sees and answers only the requests sent to its own organisation."""
    return principal.may(PROVIDERS, country) and principal.organisation == request.organisation_id


def _existing(cycle: Cycle | None) -> Cycle:
    if cycle is None:
        raise NotFound("no cycle is open for this country and year",
                       {"year": ["No cycle open."]})  # fmt: skip
    return cycle


# --- derived statuses -----------------------------------------------------------------------
@dataclass(frozen=True)
class RequestStatus:
    status: str
    answered_fields: tuple[str, ...]
    missing_fields: tuple[str, ...]
    days_overdue: int  # 0 unless overdue


def request_status(request: DataRequest, submitted: Collection[str], today: date) -> RequestStatus:
    """Where a request stands on `today`, given the `agg_` fields its institution submitted
    for the year."""
    answered = tuple(f for f in request.fields if f in submitted)
    missing = tuple(f for f in request.fields if f not in submitted)
    late = max(0, (today - request.deadline).days)
    if request.refusal is not None:
        status = REFUSED
    elif not missing:
        status, late = ANSWERED, 0
    elif late:
        status = OVERDUE
    elif answered:
        status = PARTLY_ANSWERED
    else:
        status = SENT
    return RequestStatus(status, answered, missing, late if status == OVERDUE else 0)


def follow_up(
    cycle: Cycle, submitted: Mapping[str, Collection[str]], today: date, **context: Any
) -> list[NewEvent]:
    """The events that record what the submissions and the date changed: a request answered,
    answered in part (each time more fields come in), or overdue (once). `submitted` maps an
    organisation id to the `agg_` fields it submitted for the cycle's year."""
    events = []
    for request in cycle.requests.values():
        if request.refusal is not None or request.answered_recorded:
            continue
        live = request_status(request, submitted.get(request.organisation_id, ()), today)
        base = {"country": cycle.country, "year": cycle.year, "request_id": request.request_id}
        if live.status == ANSWERED:
            events.append(NewEvent(REQUEST_ANSWERED,
                                   {**base, "answered_fields": list(live.answered_fields)},
                                   **context))  # fmt: skip
            continue
        if set(live.answered_fields) > set(request.answered_fields):
            events.append(NewEvent(REQUEST_PARTLY_ANSWERED,
                                   {**base, "answered_fields": list(live.answered_fields),
                                    "missing_fields": list(live.missing_fields)},
                                   **context))  # fmt: skip
        if live.status == OVERDUE and not request.overdue_recorded:
            events.append(NewEvent(REQUEST_OVERDUE,
                                   {**base, "deadline": request.deadline.isoformat(),
                                    "noticed_on": today.isoformat(),
                                    "missing_fields": list(live.missing_fields)},
                                   **context))  # fmt: skip
    return events


# --- the cycle at a glance ------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorState:
    code: str
    kind: str
    profile_status: str
    state: str  # data scored in_review missing
    reason: str | None = None  # why it is missing
    detail: str | None = None
    fields: tuple[str, ...] = ()  # the agg_ fields it reads
    requests: tuple[str, ...] = ()  # the requests asking for them


@dataclass(frozen=True)
class AssessmentSeen:
    status: str  # awaiting_review confirmed returned
    score: int | None
    not_assessed_reason: str | None


def indicator_states(
    catalogue: Catalogue,
    entries: Mapping[str, ProfileEntry],
    cycle: Cycle,
    statuses: Mapping[str, RequestStatus],
    submitted: Collection[str],
    computed: Collection[str],
    assessed: Mapping[str, AssessmentSeen],
) -> list[IndicatorState]:
    """For each indicator of the cycle's profile: has it data (its `agg_` fields submitted by
    someone, or values computed from case data), is it scored (a confirmed assessment), or is
    it missing, and why. `statuses` are the requests' live statuses by request id,
    `submitted` the `agg_` fields submitted for the year by any institution, `computed` the
    indicators with values for the year, `assessed` the assessments of the year by code."""
    return [_state(catalogue, entry, cycle, statuses, submitted, computed, assessed)
            for entry in entries.values()]  # fmt: skip


def _state(
    catalogue: Catalogue,
    entry: ProfileEntry,
    cycle: Cycle,
    statuses: Mapping[str, RequestStatus],
    submitted: Collection[str],
    computed: Collection[str],
    assessed: Mapping[str, AssessmentSeen],
) -> IndicatorState:
    code = entry.code
    if entry.national_addition:
        kind = entry.kind or "quantitative"
        if entry.status == DROPPED:
            return IndicatorState(code, kind, entry.status, MISSING, "dropped", entry.reason)
        detail = "A national addition: not computed or scored by the tool."
        return IndicatorState(code, kind, entry.status, MISSING, "national_addition", detail)
    indicator = catalogue.indicator(code)
    if entry.status == DROPPED:
        return IndicatorState(code, indicator.kind, entry.status, MISSING, "dropped", entry.reason)
    if indicator.kind == QUALITATIVE:
        return _qualitative_state(entry, indicator, assessed.get(code))
    fields = aggregate_fields_of(indicator)
    if not fields:
        if code in computed:
            return IndicatorState(code, indicator.kind, entry.status, HAS_DATA)
        detail = f"No values computed from case records for {cycle.year}."
        return IndicatorState(code, indicator.kind, entry.status, MISSING, "no_case_data", detail)
    asking = {f: [r for r in cycle.requests.values() if f in r.fields] for f in fields}
    requests = tuple(sorted({r.request_id for rs in asking.values() for r in rs}))
    missing = [f for f in fields if f not in submitted]
    state = IndicatorState(code, indicator.kind, entry.status, HAS_DATA, fields=fields,
                           requests=requests)  # fmt: skip
    if not missing:
        return state
    reason, detail = _why_missing(catalogue, missing, asking, statuses)
    return replace(state, state=MISSING, reason=reason, detail=detail)


def _qualitative_state(
    entry: ProfileEntry, indicator: Indicator, seen: AssessmentSeen | None
) -> IndicatorState:
    base = IndicatorState(entry.code, indicator.kind, entry.status, MISSING, "not_scored")
    if seen is None:
        return base
    if seen.status == "confirmed":
        detail = (f"Not assessed: {seen.not_assessed_reason}" if seen.score is None
                  else f"Score {seen.score}")  # fmt: skip
        return replace(base, state=SCORED, reason=None, detail=detail)
    if seen.status == "returned":
        return replace(base, reason="returned", detail="Returned by the reviewer for rework.")
    return replace(base, state=IN_REVIEW, reason=None, detail="Scored, awaiting review.")


# the reason that explains a missing figure best comes first
_REASON_ORDER = ("request_refused", "request_overdue", "request_unanswered", "not_requested",
                 "no_data_source")  # fmt: skip


def _why_missing(
    catalogue: Catalogue,
    missing: Iterable[str],
    asking: Mapping[str, list[DataRequest]],
    statuses: Mapping[str, RequestStatus],
) -> tuple[str, str]:
    found: list[tuple[str, str]] = []
    for name in missing:
        requests = asking.get(name) or []
        for request in requests:
            status = statuses[request.request_id].status
            who, due = request.organisation_name, request.deadline.isoformat()
            if status == REFUSED:
                assert request.refusal is not None
                reason = request.refusal.reason
                found.append(("request_refused", f"{name}: refused by {who} ({reason})"))
            elif status == OVERDUE:
                found.append(("request_overdue", f"{name}: {who} did not answer by {due}"))
            else:
                found.append(("request_unanswered", f"{name}: awaited from {who} by {due}"))
        if not requests:
            source = field_source(catalogue, name)
            if source is None:
                found.append(("no_data_source", f"{name}: no institution holds it"))
            else:
                found.append(("not_requested", f"{name}: no request sent to {source}"))
    found.sort(key=lambda pair: _REASON_ORDER.index(pair[0]))
    return found[0][0], "; ".join(detail for _, detail in found)


def coordination_evidence(
    catalogue: Catalogue, cycle: Cycle, statuses: Mapping[str, RequestStatus], today: date
) -> list[dict[str, Any]]:
    """A refusal or a request left unanswered past its deadline is evidence for the
    coordination indicators: for each, an evidence item (as `POST /assessments/...` takes it)
    suggested for the qualitative coordination indicators that name data request replies as
    evidence (all qualitative coordination indicators, if none does)."""
    coordination = [i for i in catalogue.indicators
                    if i.area == "coordination_data" and i.kind == QUALITATIVE]  # fmt: skip
    named = [i for i in coordination if any("data request" in e for e in i.evidence)]
    targets = [i.code for i in (named or coordination)]
    if not targets:
        return []
    suggestions = []
    for request in sorted(cycle.requests.values(), key=lambda r: r.organisation_name):
        status = statuses[request.request_id]
        if status.status not in (REFUSED, OVERDUE):
            continue
        if status.status == REFUSED:
            assert request.refusal is not None
            title = (f"{request.organisation_name} refused the data request of the"
                     f" {cycle.year} monitoring cycle: {request.refusal.reason}")  # fmt: skip
            day = request.refusal.at.date()
        else:
            title = (f"{request.organisation_name} did not answer the data request of the"
                     f" {cycle.year} monitoring cycle by {request.deadline.isoformat()}"
                     f" ({', '.join(status.missing_fields)})")  # fmt: skip
            day = today
        suggestions.append({
            "indicators": targets, "request_id": request.request_id, "status": status.status,
            "evidence": {"kind": "document", "title": title[:500],
                         "reference": f"cycle {cycle.country} {cycle.year}, request"
                                      f" {request.request_id}",
                         "date": min(day, today).isoformat()},
        })  # fmt: skip
    return suggestions


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value.strip())
    return text or None


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)
