"""Qualitative assessments: a monitor scores on the indicator's scale with evidence, a second
person reviews, returned scorings are scored again and every step stays in the history (pure
decisions)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest

import services.registry  # noqa: F401  (registers the event types)
from services.indicators import assessments
from services.indicators.assessments import Assessment, ScoreCommand
from shared.auth import Grant, Principal
from shared.backbone.envelope import Actor, NewEvent, RecordedEvent
from shared.backbone.registry import REGISTRY
from shared.errors import Conflict, Forbidden, NotFound, ValidationProblem
from tests.unit.services.indicators.people import seed

TODAY = date(2025, 3, 1)
MONITOR = Principal("mk.monitor", "", (Grant("monitor", "MK"),))
OTHER_MONITOR = Principal("mk.monitor2", "", (Grant("monitor", "MK"),))
REVIEWER = Principal("mk.reviewer", "", (Grant("reviewer", "MK"),))
OTHER_REVIEWER = Principal("mk.reviewer2", "", (Grant("reviewer", "MK"),))
# a monitor who is also a reviewer may review the work of others, never their own
BOTH = Principal("mk.both", "", (Grant("monitor", "MK"), Grant("reviewer", "MK")))
SOP = {"kind": "document", "title": "Standard operating procedures",
       "reference": "https://example.org/sop.pdf", "date": "2023-06-01"}  # fmt: skip
UPLOAD = {"kind": "file", "sha256": "ab" * 32, "name": "greta-2024.pdf"}


@dataclass
class Stream:
    """An assessment's stream: decided events are recorded on it (validated as the store
    would) and the assessment is rebuilt from all of it."""

    events: list[RecordedEvent] = field(default_factory=list)

    @property
    def assessment(self) -> Assessment | None:
        return assessments.assessment_from(self.events)

    def record(self, decided: Sequence[NewEvent]) -> Assessment:
        for event in decided:
            REGISTRY.validate(event.event_type, 1, event.payload)
            version = len(self.events) + 1
            moment = datetime(2025, 2, 1, tzinfo=UTC) + timedelta(hours=version)
            self.events.append(RecordedEvent(
                event_id=uuid.uuid4(), event_type=event.event_type, schema_version=1,
                stream_id=assessments.assessment_stream("MK", 2024, "ID-06"),
                stream_version=version, origin="mk.indicators", log_index=version,
                occurred_at=moment, recorded_at=moment, actor=Actor("someone"),
                correlation_id=None, causation_id=None,
                payload_bytes=orjson.dumps(event.payload), leaf_hash=b"",
            ))  # fmt: skip
        found = self.assessment
        assert found is not None
        return found


def score(
    current: Assessment | None = None,
    who: Principal = MONITOR,
    code: str = "ID-06",
    year: int = 2024,
    country: str = "MK",
    **command: Any,
) -> list[NewEvent]:
    command = {"score": 1, "evidence": [SOP], **command}
    return assessments.score(who, seed(), current, country, year, code, ScoreCommand(**command),
                             TODAY)  # fmt: skip


def scored(**command: Any) -> Stream:
    stream = Stream()
    stream.record(score(**command))
    return stream


def errors_of(problem: pytest.ExceptionInfo[ValidationProblem]) -> set[str]:
    return set(problem.value.errors)


# --- scoring ----------------------------------------------------------------------------------
def test_a_monitor_scores_a_qualitative_indicator_on_its_scale_with_evidence() -> None:
    [event] = score(rationale=" By-law only. ", evidence=[SOP, UPLOAD])
    assert event.event_type == assessments.SCORED
    p = event.payload
    assert (p["country"], p["year"], p["code"], p["score"]) == ("MK", 2024, "ID-06", 1)
    assert p["catalog_version"] == seed().catalog_version and p["scored_by"] == "mk.monitor"
    assert p["rationale"] == "By-law only." and p["not_assessed_reason"] is None
    assert p["evidence"] == [SOP, UPLOAD]


def test_the_assessment_awaits_review_once_scored() -> None:
    assessment = scored().assessment
    assert assessment is not None and assessment.status == assessments.AWAITING_REVIEW
    assert assessment.scoring.score == 1 and assessment.scoring.scored_by == "mk.monitor"
    assert assessment.scoring.evidence[0].date == date(2023, 6, 1)


@pytest.mark.parametrize("value", [3, -1, 10, True])
def test_a_score_outside_the_indicators_scale_is_refused(value: int) -> None:
    with pytest.raises(ValidationProblem) as problem:
        score(score=value)
    assert errors_of(problem) == {"score"}


@pytest.mark.parametrize("value", [0, 1, 2])
def test_every_level_of_the_scale_can_be_scored(value: int) -> None:
    assert score(score=value)[0].payload["score"] == value


def test_only_qualitative_indicators_of_the_catalogue_are_scored() -> None:
    with pytest.raises(ValidationProblem) as problem:
        score(code="ID-01")  # quantitative: computed from data
    assert errors_of(problem) == {"code"}
    for code in ("ID-99", "RS-AS-90"):
        with pytest.raises(NotFound):
            score(code=code)


def test_a_score_needs_at_least_one_evidence_item() -> None:
    with pytest.raises(ValidationProblem) as problem:
        score(evidence=[])
    assert errors_of(problem) == {"evidence"}


def test_not_assessed_needs_a_reason_and_no_score() -> None:
    [event] = score(score=None, evidence=[], not_assessed_reason="No answer to our request.")
    assert event.payload["score"] is None
    assert event.payload["not_assessed_reason"] == "No answer to our request."
    with pytest.raises(ValidationProblem) as problem:
        score(score=None, not_assessed_reason="  ")
    assert errors_of(problem) == {"score"}
    with pytest.raises(ValidationProblem) as problem:
        score(score=2, not_assessed_reason="Both?")
    assert errors_of(problem) == {"score"}


@pytest.mark.parametrize(("item", "fields"), [
    ({"kind": "document"}, {"evidence.0.title", "evidence.0.reference", "evidence.0.date"}),
    ({**SOP, "date": "2025-03-02"}, {"evidence.0.date"}),  # after today
    ({**SOP, "date": "not a date"}, {"evidence.0.date"}),
    ({**SOP, "title": " "}, {"evidence.0.title"}),
    ({"kind": "file", "sha256": "abc", "name": "x.pdf"}, {"evidence.0.sha256"}),
    ({"kind": "file", "sha256": "g" * 64, "name": "x.pdf"}, {"evidence.0.sha256"}),
    ({"kind": "file", "sha256": "ab" * 32}, {"evidence.0.name"}),
    ({"kind": "photo"}, {"evidence.0.kind"}),
])  # fmt: skip
def test_an_evidence_item_is_a_document_reference_or_a_file_hash(item: dict, fields: set) -> None:
    with pytest.raises(ValidationProblem) as problem:
        score(evidence=[item])
    assert fields <= errors_of(problem)
    assert {f for f in errors_of(problem) if f.startswith("evidence.")} == fields


def test_a_file_hash_is_recorded_in_lower_case_and_an_item_only_once() -> None:
    [event] = score(evidence=[{**UPLOAD, "sha256": "AB" * 32}])
    assert event.payload["evidence"] == [UPLOAD]
    with pytest.raises(ValidationProblem) as problem:
        score(evidence=[UPLOAD, {**UPLOAD, "sha256": "AB" * 32}])
    assert errors_of(problem) == {"evidence.1"}


@pytest.mark.parametrize("year", [1999, 2026])
def test_a_year_before_the_tool_or_still_to_come_is_refused(year: int) -> None:
    with pytest.raises(ValidationProblem) as problem:
        score(year=year)
    assert errors_of(problem) == {"year"}


@pytest.mark.parametrize("who", [
    REVIEWER,
    Principal("rs.monitor", "", (Grant("monitor", "RS"),)),
    Principal("mk.admin", "", (Grant("national_admin", "MK"),)),
    Principal("root", "", (Grant("platform_admin", "regional"),)),
])  # fmt: skip
def test_only_a_monitor_of_the_country_scores(who: Principal) -> None:
    with pytest.raises(Forbidden):
        score(who=who)


def test_sending_the_same_scoring_again_records_nothing() -> None:
    assessment = scored().assessment
    assert score(assessment) == []
    assert score(assessment, score=2)  # a change before review is a new scoring
    assert score(assessment, who=OTHER_MONITOR)  # so is another monitor taking it over


# --- review -----------------------------------------------------------------------------------
def test_a_reviewer_confirms_the_scoring_awaiting_review() -> None:
    stream = scored()
    [event] = assessments.confirm(REVIEWER, stream.assessment, None)
    assert event.payload == {"country": "MK", "year": 2024, "code": "ID-06", "score_version": 1,
                             "score": 1, "reviewed_by": "mk.reviewer", "comment": None}  # fmt: skip
    confirmed = stream.record([event])
    assert confirmed.status == assessments.ACCEPTED and confirmed.reviewed_by == "mk.reviewer"


def test_the_reviewer_must_not_be_the_person_who_scored_it() -> None:
    stream = scored(who=BOTH)
    for decide in (assessments.confirm, assessments.return_for_rework):
        with pytest.raises(Forbidden) as refused:
            decide(BOTH, stream.assessment, "my own work")
        assert "reviewed_by" in refused.value.errors
    assert assessments.confirm(REVIEWER, stream.assessment, None)


def test_a_monitor_who_is_also_a_reviewer_reviews_the_scoring_of_another() -> None:
    assert assessments.confirm(BOTH, scored().assessment, "Agreed.")


@pytest.mark.parametrize("who", [
    MONITOR, OTHER_MONITOR,
    Principal("rs.reviewer", "", (Grant("reviewer", "RS"),)),
    Principal("mk.admin", "", (Grant("national_admin", "MK"),)),
])  # fmt: skip
def test_only_a_reviewer_of_the_country_reviews(who: Principal) -> None:
    assessment = scored().assessment
    with pytest.raises(Forbidden):
        assessments.confirm(who, assessment, None)
    with pytest.raises(Forbidden):
        assessments.return_for_rework(who, assessment, "No.")


def test_a_returned_assessment_says_why() -> None:
    assessment = scored().assessment
    for comment in (None, "", "  "):
        with pytest.raises(ValidationProblem) as problem:
            assessments.return_for_rework(REVIEWER, assessment, comment)
        assert errors_of(problem) == {"comment"}


def test_nothing_is_reviewed_before_it_is_scored() -> None:
    with pytest.raises(NotFound):
        assessments.confirm(REVIEWER, None, None)
    with pytest.raises(NotFound):
        assessments.return_for_rework(REVIEWER, None, "Why?")


def test_rescoring_after_a_return_appends_to_the_history() -> None:
    stream = scored(score=2)
    stream.record(assessments.return_for_rework(REVIEWER, stream.assessment, "Not nationwide."))
    returned = stream.assessment
    assert returned is not None and returned.status == assessments.SENT_BACK
    assert returned.review_comment == "Not nationwide."
    with pytest.raises(Conflict):  # nothing awaits review until it is scored again
        assessments.confirm(REVIEWER, returned, None)
    again = stream.record(score(returned, score=1, rationale="Applied in two regions only."))
    assert again.status == assessments.AWAITING_REVIEW and again.reviewed_by is None
    [confirmation] = assessments.confirm(REVIEWER, again, None)
    assert confirmation.payload["score_version"] == 3 and confirmation.payload["score"] == 1
    final = stream.record([confirmation])
    assert [(s.action, s.by, s.score) for s in final.history] == [
        ("scored", "mk.monitor", 2),
        ("returned", "mk.reviewer", None),
        ("scored", "mk.monitor", 1),
        ("confirmed", "mk.reviewer", None),
    ]
    assert final.history[1].comment == "Not nationwide." and final.version == 4


def test_a_confirmed_assessment_is_final() -> None:
    stream = scored()
    confirmed = stream.record(assessments.confirm(REVIEWER, stream.assessment, None))
    with pytest.raises(Conflict):
        score(confirmed, score=2)
    with pytest.raises(Conflict):
        assessments.confirm(OTHER_REVIEWER, confirmed, None)
    with pytest.raises(Conflict):
        assessments.return_for_rework(OTHER_REVIEWER, confirmed, "Too late?")
