"""Confirmed assessments on their way to the hub: only confirmed scores go out, with nothing
that names a person, under a content hash that changes exactly when what the region sees
changes; a worker publishes a changed set once, and of two workers only one does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

import services.registry  # noqa: F401  (registers the event types)
from services.indicators.assessment_publication import (
    AssessmentsPublisher,
    published_stream,
    regional_assessments_payload,
    regional_scores,
)
from services.indicators.events import REGIONAL_ASSESSMENTS
from shared.backbone.envelope import Actor, NewEvent, RecordedEvent
from shared.backbone.registry import REGISTRY
from shared.backbone.store import ConcurrencyError, Expected, ExpectedVersion

SOP = {"kind": "document", "title": "Interview with Ana Petrovska, shelter director",
       "reference": "https://example.org/sop.pdf", "date": "2023-06-01"}  # fmt: skip
UPLOAD = {"kind": "file", "sha256": "ab" * 32, "name": "statement-marko-ilievski.pdf"}
VERSION = "2025.1-seed"


def row(code: str, status: str = "confirmed", score: int | None = 2, **extra: Any) -> dict:
    """A row of the Assessments read model, personal fields and all."""
    return {"country": "MK", "year": 2024, "code": code, "catalog_version": VERSION,
            "status": status, "score": score,
            "not_assessed_reason": None if score is not None else "No data from the courts",
            "rationale": "As Ana Petrovska told us on 3 March", "evidence": [SOP, UPLOAD],
            "scored_by": "mk.monitor", "scored_at": datetime(2025, 3, 1, tzinfo=UTC),
            "reviewed_by": "mk.reviewer", "review_comment": "Agreed with Marko",
            "reviewed_at": datetime(2025, 3, 14, 23, 30, tzinfo=UTC), **extra}  # fmt: skip


def payload(rows: Sequence[dict], profile: tuple = (None, {})) -> dict[str, Any]:
    return regional_assessments_payload("MK", 2024, VERSION, regional_scores(rows), profile)


def test_only_confirmed_assessments_go_out() -> None:
    rows = [row("ID-07"), row("ID-06", "awaiting_review"), row("ID-08", "returned"),
            row("CD-01", score=0)]  # fmt: skip
    assert [s["code"] for s in regional_scores(rows)] == ["CD-01", "ID-07"]


def test_a_confirmed_score_goes_out_with_its_evidence_count_and_the_day_it_was_confirmed() -> None:
    [score] = regional_scores([row("ID-06", score=1)])
    assert score == {"code": "ID-06", "score": 1, "not_assessed": False, "evidence_items": 2,
                     "confirmed_on": "2025-03-14"}  # fmt: skip


def test_an_indicator_not_assessed_goes_out_without_its_reason() -> None:
    [score] = regional_scores([row("ID-06", score=None)])
    assert (score["score"], score["not_assessed"]) == (None, True)
    assert "reason" not in orjson.dumps(score).decode()


def test_evidence_read_back_as_json_text_is_counted_too() -> None:
    [score] = regional_scores([row("ID-06", evidence=orjson.dumps([SOP]).decode())])
    assert score["evidence_items"] == 1


def test_the_payload_validates_and_names_no_one_and_quotes_nothing() -> None:
    published = payload([row("ID-06"), row("ID-07", score=None)], (2, {"ID-06": "adopted"}))
    REGISTRY.validate(REGIONAL_ASSESSMENTS, 1, published)
    text = orjson.dumps(published).decode()
    personal = ("mk.monitor", "mk.reviewer", "Ana", "Marko", "sop.pdf", "statement", "ab" * 32,
                "courts", "rationale", "scored_by", "reviewed_by", "comment")  # fmt: skip
    assert not [word for word in personal if word in text]


def test_the_profile_sent_is_only_the_status_of_the_scored_indicators() -> None:
    profile = (3, {"ID-06": "adapted", "ID-07": "dropped", "ID-01": "adopted"})
    assert payload([row("ID-06")], profile)["profile"] == {"ID-06": "adapted"}


def test_the_content_hash_does_not_depend_on_the_order_of_the_rows() -> None:
    rows = [row("ID-06"), row("ID-07", score=1)]
    assert payload(rows)["content_hash"] == payload(rows[::-1])["content_hash"]


def test_the_content_hash_changes_with_a_score_or_a_profile_status_only() -> None:
    first = payload([row("ID-06"), row("ID-07", "awaiting_review")])["content_hash"]
    changed_score = payload([row("ID-06", score=1)])["content_hash"]
    changed_profile = payload([row("ID-06")], (1, {"ID-06": "dropped"}))["content_hash"]
    pending_rescored = payload([row("ID-06"), row("ID-07", "returned", score=0)])["content_hash"]
    assert len({first, changed_score, changed_profile}) == 3
    assert pending_rescored == first


@dataclass
class Store:
    """Streams in memory, with the expected-version check of the event store."""

    streams: dict[str, list[RecordedEvent]] = field(default_factory=dict)

    def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        return list(self.streams.get(stream_id, []))

    def append(self, stream_id: str, expected: Expected, events: Sequence[NewEvent]) -> None:
        stream = self.streams.setdefault(stream_id, [])
        at = len(stream)
        if expected != (ExpectedVersion.NO_STREAM if at == 0 else at):
            raise ConcurrencyError(stream_id, expected, len(stream))
        for event in events:
            REGISTRY.validate(event.event_type, 1, event.payload)
            moment = datetime(2025, 3, 15, tzinfo=UTC)
            stream.append(RecordedEvent(
                event_id=uuid.uuid4(), event_type=event.event_type, schema_version=1,
                stream_id=stream_id, stream_version=len(stream) + 1, origin="mk.indicators",
                log_index=len(stream) + 1, occurred_at=moment, recorded_at=moment,
                actor=event.actor or Actor("indicators"), correlation_id=None,
                causation_id=None, payload_bytes=orjson.dumps(event.payload), leaf_hash=b"",
            ))  # fmt: skip


def publisher(store: Store) -> AssessmentsPublisher:
    return AssessmentsPublisher(None, "indicators", store, None, None)  # type: ignore[arg-type]


def test_a_changed_set_is_published_once_and_an_unchanged_one_never_again() -> None:
    store = Store()
    first, second = publisher(store), publisher(store)
    assert first.publish(payload([row("ID-06")])) == 1
    assert first.publish(payload([row("ID-06")])) == 0
    assert second.publish(payload([row("ID-06")])) == 0  # a restarted worker reads the stream
    assert first.publish(payload([row("ID-06", score=1)])) == 1
    stream = store.streams[published_stream("MK", 2024)]
    assert [e.payload["scores"][0]["score"] for e in stream] == [2, 1]
    assert {e.actor.user for e in stream} == {"indicators"}


def test_of_two_workers_that_read_the_same_version_only_one_publishes() -> None:
    store = Store()
    first, second = publisher(store), publisher(store)
    changed = payload([row("ID-06", score=0)])
    read_before = store.read_stream
    # the second worker read the stream before the first appended to it
    store.read_stream = lambda stream_id: []  # type: ignore[method-assign]
    assert first.publish(changed) == 1
    assert second.publish(changed) == 0
    store.read_stream = read_before  # type: ignore[method-assign]
    assert len(store.streams[published_stream("MK", 2024)]) == 1


def test_nothing_is_published_for_a_year_with_no_confirmed_score_and_no_publication() -> None:
    store = Store()
    assert publisher(store).publish(payload([row("ID-06", "awaiting_review")])) == 0
    assert store.streams == {}


def test_a_year_whose_only_confirmed_score_is_scored_again_is_published_empty() -> None:
    store = Store()
    worker = publisher(store)
    worker.publish(payload([row("ID-06")]))
    assert worker.publish(payload([row("ID-06", "awaiting_review")])) == 1
    assert store.streams[published_stream("MK", 2024)][-1].payload["scores"] == []
