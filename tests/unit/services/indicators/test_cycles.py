"""Monitoring cycles and data requests (pure decisions): a cycle is opened on a confirmed
profile, requests go to the institutions the profile and catalogue name, their statuses follow
from the submissions and the date, a refusal is recorded with its reason, and the cycle says
for every indicator whether it has data, is scored, or is missing and why."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

import services.registry  # noqa: F401  (registers the event types)
from services.indicators import cycles
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.cycles import (
    AssessmentSeen,
    Cycle,
    GenerateCommand,
    OpenCommand,
    Organisation,
)
from services.indicators.profiles import ProfileEntry, ProfileVersion, resolved
from shared.auth import Grant, Principal
from shared.backbone.envelope import Actor, NewEvent, RecordedEvent
from shared.backbone.registry import REGISTRY
from shared.errors import Conflict, Forbidden, NotFound, ValidationProblem

CATALOGUE = load_catalogue(SEED_PATH)
TODAY = date(2026, 1, 10)
DUE = OpenCommand(date(2026, 3, 31), date(2026, 5, 31), date(2026, 9, 30))
ADMIN = Principal("mk.admin", "", (Grant("national_admin", "MK"),))
MONITOR = Principal("mk.monitor", "", (Grant("monitor", "MK"),))
CASE_WORKER = Principal("mk.cw", "", (Grant("case_worker", "MK"),))
RS_MONITOR = Principal("rs.monitor", "", (Grant("monitor", "RS"),))
POLICE = Organisation(str(uuid.uuid4()), "Ministry of Interior, police", "police")
PROSECUTION = Organisation(str(uuid.uuid4()), "Public Prosecutor's Office", "prosecution")
COURT = Organisation(str(uuid.uuid4()), "Basic Court Skopje", "court")
COORDINATOR = Organisation(str(uuid.uuid4()), "National Commission", "national_coordinator")
ORGANISATIONS = [POLICE, PROSECUTION, COURT, COORDINATOR]


def provider(organisation: Organisation) -> Principal:
    return Principal("mk.provider", organisation.organisation_id, (Grant("data_provider", "MK"),))


def entries(**changed: ProfileEntry) -> dict[str, ProfileEntry]:
    return resolved(CATALOGUE, ProfileVersion(1, changed))


@dataclass
class Stream:
    """A cycle's stream: decided events are validated as the store would and recorded."""

    events: list[RecordedEvent] = field(default_factory=list)

    @property
    def cycle(self) -> Cycle | None:
        return cycles.cycle_from(self.events)

    def record(self, decided: Sequence[NewEvent]) -> Cycle:
        for event in decided:
            REGISTRY.validate(event.event_type, 1, event.payload)
            version = len(self.events) + 1
            moment = datetime(2026, 1, 10, tzinfo=UTC) + timedelta(hours=version)
            self.events.append(RecordedEvent(
                event_id=uuid.uuid4(), event_type=event.event_type, schema_version=1,
                stream_id=cycles.cycle_stream("MK", 2025), stream_version=version,
                origin="mk.indicators", log_index=version, occurred_at=moment,
                recorded_at=moment, actor=Actor("someone"), correlation_id=None,
                causation_id=None, payload_bytes=orjson.dumps(event.payload), leaf_hash=b"",
            ))  # fmt: skip
        found = self.cycle
        assert found is not None
        return found


def opened(profile: dict[str, ProfileEntry] | None = None) -> tuple[Stream, Cycle]:
    stream = Stream()
    cycle = stream.record(cycles.open_cycle(ADMIN, CATALOGUE, None, "MK", 2025, [1], DUE, TODAY))
    events, _ = cycles.generate_requests(MONITOR, CATALOGUE, cycle, profile or entries(),
                                         ORGANISATIONS, GenerateCommand(), TODAY)  # fmt: skip
    return stream, stream.record(events)


def by_organisation(cycle: Cycle, organisation: Organisation) -> cycles.DataRequest:
    return next(r for r in cycle.requests.values()
                if r.organisation_id == organisation.organisation_id)  # fmt: skip


# --- what an indicator needs and who holds it ----------------------------------------------------
def test_an_indicator_reads_the_agg_fields_of_its_numerator_and_denominator() -> None:
    assert cycles.aggregate_fields_of(CATALOGUE.indicator("CJ-04")) == (
        "agg_cj_FinalConvictionsEffectiveImprisonment", "agg_cj_PersonsConvictedFinal")  # fmt: skip
    assert cycles.aggregate_fields_of(CATALOGUE.indicator("CJ-05")) == (
        "agg_cj_FinalSentenceRecords",)  # fmt: skip
    assert cycles.aggregate_fields_of(CATALOGUE.indicator("ID-01")) == ()


def test_each_field_is_asked_of_the_first_institution_the_catalogue_names_never_the_monitor(
) -> None:  # fmt: skip
    holders = {h.institution: h for h in cycles.data_holders(CATALOGUE, entries())}
    assert holders["police"].fields == ("agg_cj_InvestigationsOpened",)
    assert set(holders["courts"].fields) >= {"agg_cj_PersonsConvictedFinal",
                                             "agg_cj_FinalSentenceRecords"}  # fmt: skip
    assert "agg_cj_InvestigationsOpened" not in holders["prosecution"].fields
    assert holders["national_coordinator"].fields == ("agg_fin_AssistanceFundingEUR",)
    assert "csos_monitor" not in holders and "budget_documents" not in holders


def test_an_adapted_indicator_is_asked_of_the_institution_the_profile_names_and_a_dropped_one_not(
) -> None:  # fmt: skip
    adapted = ProfileEntry(
        "CJ-02",
        "adapted",
        {"en": "Persons indicted"},
        legal_basis="CPC art. 1",
        institution="Public Prosecutor's Office",
    )
    dropped = ProfileEntry("CJ-07", "dropped", reason="No such statistics exist")
    holders = cycles.data_holders(CATALOGUE, entries(**{"CJ-02": adapted, "CJ-07": dropped}))
    named = next(h for h in holders if h.institution == "Public Prosecutor's Office")
    assert named.fields == ("agg_cj_PersonsIndicted",) and not named.source
    assert all("agg_cj_THBCasesConcludedOtherOffence" not in h.fields for h in holders)


def test_holders_find_their_organisation_by_type_by_name_or_as_the_monitor_chose() -> None:
    holders = [
        cycles.Holder("police", ("agg_cj_InvestigationsOpened",), ("CJ-01",), True),
        cycles.Holder(
            "public prosecutor's  office", ("agg_cj_PersonsIndicted",), ("CJ-02",), False
        ),
        cycles.Holder("courts", ("agg_cj_PersonsConvictedFinal",), ("CJ-03",), True),
    ]
    second_court = Organisation(str(uuid.uuid4()), "Appeal Court", "court")
    found, unaddressed = cycles.addressed(holders, [*ORGANISATIONS, second_court], {})
    assert set(found) == {POLICE.organisation_id, PROSECUTION.organisation_id}
    assert unaddressed[0].institution == "courts"
    assert set(unaddressed[0].candidates) == {COURT.organisation_id, second_court.organisation_id}
    found, unaddressed = cycles.addressed(
        holders, [*ORGANISATIONS, second_court], {"courts": second_court.organisation_id}
    )
    assert second_court.organisation_id in found and not unaddressed
    with pytest.raises(ValidationProblem) as problem:
        cycles.addressed(holders, ORGANISATIONS, {"courts": str(uuid.uuid4())})
    assert set(problem.value.errors) == {"organisations.courts"}


# --- opening a cycle -----------------------------------------------------------------------------
def test_a_cycle_is_opened_on_the_latest_confirmed_profile_with_its_deadlines() -> None:
    [event] = cycles.open_cycle(MONITOR, CATALOGUE, None, "MK", 2025, [1, 2], DUE, TODAY)
    assert event.event_type == cycles.CYCLE_OPENED
    assert event.payload["profile_version"] == 2 and event.payload["requests_due"] == "2026-03-31"
    assert event.payload["catalog_version"] == CATALOGUE.catalog_version


def test_only_a_national_admin_or_monitor_of_the_country_opens_a_cycle() -> None:
    for who in (CASE_WORKER, RS_MONITOR, provider(POLICE)):
        with pytest.raises(Forbidden):
            cycles.open_cycle(who, CATALOGUE, None, "MK", 2025, [1], DUE, TODAY)


def test_opening_errors_name_their_fields() -> None:
    late = OpenCommand(date(2025, 6, 1), date(2025, 5, 1), date(2025, 9, 1), profile_version=3)
    with pytest.raises(ValidationProblem) as problem:
        cycles.open_cycle(ADMIN, CATALOGUE, None, "MK", 2025, [1], late, TODAY)
    assert set(problem.value.errors) == {"requests_due", "scoring_due", "profile_version"}
    with pytest.raises(ValidationProblem) as problem:
        cycles.open_cycle(ADMIN, CATALOGUE, None, "MK", 2025, [], DUE, TODAY)
    assert set(problem.value.errors) == {"profile_version"}
    with pytest.raises(ValidationProblem) as problem:
        cycles.open_cycle(ADMIN, CATALOGUE, None, "MK", 2027, [1], DUE, TODAY)
    assert set(problem.value.errors) == {"year"}


def test_a_cycle_is_opened_once() -> None:
    _, cycle = opened()
    with pytest.raises(Conflict):
        cycles.open_cycle(ADMIN, CATALOGUE, cycle, "MK", 2025, [1], DUE, TODAY)


# --- generating requests -------------------------------------------------------------------------
def test_one_request_goes_to_each_institution_in_the_national_language() -> None:
    _, cycle = opened()
    assert {r.organisation_id for r in cycle.requests.values()} == {
        o.organisation_id for o in ORGANISATIONS}  # fmt: skip
    police = by_organisation(cycle, POLICE)
    assert police.fields == ("agg_cj_InvestigationsOpened",) and police.indicators == ("CJ-01",)
    assert police.deadline == DUE.requests_due and police.language == "mk"
    assert police.request_id == cycles.request_id_for("MK", 2025, POLICE.organisation_id)


def test_generating_again_asks_only_institutions_not_asked_yet() -> None:
    stream, cycle = opened()
    again, _ = cycles.generate_requests(MONITOR, CATALOGUE, cycle, entries(), ORGANISATIONS,
                                        GenerateCommand(), TODAY)  # fmt: skip
    assert again == []
    assert stream.cycle == cycle


def test_a_request_deadline_in_the_past_or_an_unknown_language_is_refused_by_field() -> None:
    stream = Stream()
    cycle = stream.record(cycles.open_cycle(ADMIN, CATALOGUE, None, "MK", 2025, [1], DUE, TODAY))
    with pytest.raises(ValidationProblem) as problem:
        cycles.generate_requests(MONITOR, CATALOGUE, cycle, entries(), ORGANISATIONS,
                                 GenerateCommand(date(2026, 1, 1), "de"), TODAY)  # fmt: skip
    assert set(problem.value.errors) == {"deadline", "language"}
    with pytest.raises(Forbidden):
        cycles.generate_requests(CASE_WORKER, CATALOGUE, cycle, entries(), ORGANISATIONS,
                                 GenerateCommand(), TODAY)  # fmt: skip
    with pytest.raises(NotFound):
        cycles.generate_requests(MONITOR, CATALOGUE, None, entries(), ORGANISATIONS,
                                 GenerateCommand(), TODAY)  # fmt: skip


# --- statuses ------------------------------------------------------------------------------------
def test_a_request_is_sent_partly_answered_overdue_or_answered_by_submissions_and_date() -> None:
    _, cycle = opened()
    court = by_organisation(cycle, COURT)
    some = {court.fields[0]}
    before, after = date(2026, 3, 1), date(2026, 4, 3)
    assert cycles.request_status(court, set(), before).status == cycles.SENT
    assert cycles.request_status(court, some, before).status == cycles.PARTLY_ANSWERED
    late = cycles.request_status(court, some, after)
    assert late.status == cycles.OVERDUE and late.days_overdue == 3
    assert late.answered_fields == tuple(some) and court.fields[0] not in late.missing_fields
    assert cycles.request_status(court, set(court.fields), after).status == cycles.ANSWERED


def test_the_follow_up_records_answered_once_and_overdue_once() -> None:
    stream, cycle = opened()
    police, court = by_organisation(cycle, POLICE), by_organisation(cycle, COURT)
    submitted = {POLICE.organisation_id: set(police.fields),
                 COURT.organisation_id: {court.fields[0]}}  # fmt: skip
    late = date(2026, 4, 10)
    decided = cycles.follow_up(cycle, submitted, late)
    kinds = {(e.event_type, e.payload["request_id"]) for e in decided}
    assert (cycles.REQUEST_ANSWERED, police.request_id) in kinds
    assert (cycles.REQUEST_PARTLY_ANSWERED, court.request_id) in kinds
    assert (cycles.REQUEST_OVERDUE, court.request_id) in kinds
    cycle = stream.record(decided)
    assert cycles.follow_up(cycle, submitted, late) == []
    submitted[COURT.organisation_id] = set(court.fields)
    [answered] = [e for e in cycles.follow_up(cycle, submitted, late)
                  if e.payload["request_id"] == court.request_id]  # fmt: skip
    assert answered.event_type == cycles.REQUEST_ANSWERED


def test_a_refusal_is_recorded_with_its_reason_by_the_monitor_or_the_institution_asked() -> None:
    stream, cycle = opened()
    court = by_organisation(cycle, COURT)
    with pytest.raises(Forbidden):
        cycles.refuse(provider(POLICE), cycle, court.request_id, "No")
    with pytest.raises(ValidationProblem) as problem:
        cycles.refuse(MONITOR, cycle, court.request_id, "  ")
    assert set(problem.value.errors) == {"reason"}
    cycle = stream.record(cycles.refuse(provider(COURT), cycle, court.request_id,
                                        "The statistics are classified"))  # fmt: skip
    refused = cycle.requests[court.request_id]
    assert refused.refusal is not None and refused.refusal.by == "mk.provider"
    assert cycles.request_status(refused, set(), TODAY).status == cycles.REFUSED
    with pytest.raises(Conflict):
        cycles.refuse(MONITOR, cycle, court.request_id, "Again")
    with pytest.raises(NotFound):
        cycles.refuse(MONITOR, cycle, str(uuid.uuid4()), "Unknown")


# --- the cycle at a glance -----------------------------------------------------------------------
def test_every_indicator_says_whether_it_has_data_is_scored_or_is_missing_and_why() -> None:
    dropped = ProfileEntry("CJ-07", "dropped", reason="Not collected")
    profile = entries(**{"CJ-07": dropped})
    stream, cycle = opened(profile)
    police, court = by_organisation(cycle, POLICE), by_organisation(cycle, COURT)
    cycle = stream.record(cycles.refuse(MONITOR, cycle, court.request_id, "Classified"))
    submitted = {POLICE.organisation_id: set(police.fields)}
    day = date(2026, 4, 10)
    statuses = {r.request_id: cycles.request_status(r, submitted.get(r.organisation_id, ()), day)
                for r in cycle.requests.values()}  # fmt: skip
    assessed = {"CD-01": AssessmentSeen("confirmed", 1, None),
                "CD-02": AssessmentSeen("awaiting_review", 2, None),
                "CD-03": AssessmentSeen("returned", 0, None)}  # fmt: skip
    states = {s.code: s for s in cycles.indicator_states(
        CATALOGUE, profile, cycle, statuses, set(police.fields), {"ID-01"}, assessed)}  # fmt: skip
    assert states["CJ-01"].state == cycles.HAS_DATA
    assert (states["CJ-03"].state, states["CJ-03"].reason) == (cycles.MISSING, "request_refused")
    assert "Classified" in (states["CJ-03"].detail or "")
    assert states["CJ-02"].reason == "request_overdue"
    assert states["CJ-07"].reason == "dropped" and states["CJ-07"].detail == "Not collected"
    assert states["CD-07"].reason == "no_data_source"
    assert states["ID-01"].state == cycles.HAS_DATA
    assert states["ID-02"].reason == "no_case_data"
    assert states["CD-01"].state == cycles.SCORED and states["CD-02"].state == cycles.IN_REVIEW
    assert states["CD-03"].reason == "returned" and states["CD-04"].reason == "not_scored"


def test_a_refusal_or_a_request_left_unanswered_is_suggested_as_coordination_evidence() -> None:
    stream, cycle = opened()
    court = by_organisation(cycle, COURT)
    cycle = stream.record(cycles.refuse(MONITOR, cycle, court.request_id, "Classified"))
    day = date(2026, 4, 10)
    statuses = {r.request_id: cycles.request_status(r, set(), day)
                for r in cycle.requests.values()}  # fmt: skip
    suggestions = cycles.coordination_evidence(CATALOGUE, cycle, statuses, day)
    assert {s["status"] for s in suggestions} == {cycles.REFUSED, cycles.OVERDUE}
    assert len(suggestions) == len(ORGANISATIONS)
    refused = next(s for s in suggestions if s["status"] == cycles.REFUSED)
    assert refused["indicators"] == ["CD-04"]
    assert "Classified" in refused["evidence"]["title"]
    assert refused["evidence"]["kind"] == "document" and refused["evidence"]["date"] <= "2026-04-10"
    on_time = {r.request_id: cycles.request_status(r, set(), TODAY)
               for r in cycle.requests.values()}  # fmt: skip
    assert [
        s["status"] for s in cycles.coordination_evidence(CATALOGUE, cycle, on_time, TODAY)
    ] == [cycles.REFUSED]
