"""Confirmed qualitative assessments on their way to the hub. For each country and reference
year with assessments in the node's read model, the publisher appends an
`indicators.RegionalAssessmentsPublished` with every assessment a reviewer has confirmed under
the node's catalogue version — whenever that set changed (the content hash says so) — and the
regional relay puts it on `<node>.regional`.

What goes out is the score, whether the indicator was assessed at all, how many evidence items
the score rests on and the day it was confirmed. Who scored or reviewed it, the rationale, the
reason for not assessing and the evidence itself stay in the country: they can name people.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from threading import Event as StopFlag
from typing import Any

import orjson
from psycopg_pool import ConnectionPool

from services.indicators.assessment_views import Assessments
from services.indicators.assessments import ACCEPTED
from services.indicators.catalogue import Catalogue
from services.indicators.events import REGIONAL_ASSESSMENTS
from services.indicators.profiles import for_hub, profile_from, profile_stream
from shared.backbone.envelope import Actor, NewEvent
from shared.backbone.projections import query_read_model
from shared.backbone.store import ConcurrencyError, EventStore, ExpectedVersion

log = logging.getLogger(__name__)
Profile = tuple[int | None, dict[str, str]]  # confirmed version, status of each core code


def published_stream(country: str, year: int) -> str:
    return f"regional-assessments-{country}-{year}"


def regional_scores(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The confirmed assessments among read-model rows, as the region may see them, by code.
    An assessment scored again after its confirmation awaits review: it is left out until a
    reviewer confirms the new score."""
    return [
        {"code": row["code"], "score": row["score"], "not_assessed": row["score"] is None,
         "evidence_items": len(_evidence(row["evidence"])),
         "confirmed_on": _day(row["reviewed_at"]).isoformat()}
        for row in sorted(rows, key=lambda r: str(r["code"]))
        if row["status"] == ACCEPTED
    ]  # fmt: skip


def regional_assessments_payload(
    country: str, year: int, catalog_version: str, scores: Sequence[Mapping[str, Any]],
    profile: Profile = (None, {}),
) -> dict[str, Any]:  # fmt: skip
    version, statuses = profile
    scored = {s["code"]: statuses[s["code"]] for s in scores if s["code"] in statuses}
    content = orjson.dumps([catalog_version, list(scores), version, scored],
                           option=orjson.OPT_SORT_KEYS)  # fmt: skip
    return {"country": country, "year": year, "catalog_version": catalog_version,
            "content_hash": hashlib.sha256(content).hexdigest(), "scores": list(scores),
            "profile_version": version, "profile": scored}  # fmt: skip


def _evidence(value: Any) -> list[Any]:
    return orjson.loads(value) if isinstance(value, str | bytes) else list(value or ())


def _day(moment: datetime | date | str) -> date:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).date()
    return moment


class AssessmentsPublisher:
    """The worker task that publishes each country-year's confirmed scores when they change."""

    def __init__(self, pool: ConnectionPool, schema: str, store: EventStore,
                 catalogue: Catalogue, assessments: Assessments) -> None:  # fmt: skip
        self.pool, self.schema, self.store = pool, schema, store
        self.catalogue, self.assessments = catalogue, assessments
        self._sent: dict[tuple[str, int], str] = {}  # (country, year) -> content hash

    def run(self, stop: StopFlag, every: float = 2.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("publishing confirmed assessments failed; trying again")
            stop.wait(every)

    def run_once(self) -> int:
        rows = query_read_model(
            self.pool, self.schema, self.assessments,
            "SELECT country, year, code, status, score, evidence, reviewed_at"
            " FROM {schema}.assessments WHERE catalog_version = %s",
            (self.catalogue.catalog_version,),
        )  # fmt: skip
        by_year: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
        for row in rows:
            by_year.setdefault((str(row["country"]), int(row["year"])), []).append(row)
        profiles: dict[str, Profile] = {}
        sent = 0
        for (country, year), mine in sorted(by_year.items()):
            scores = regional_scores(mine)
            if country not in profiles:
                profiles[country] = self._profile(country)
            payload = regional_assessments_payload(country, year, self.catalogue.catalog_version,
                                                   scores, profiles[country])  # fmt: skip
            if self._sent.get((country, year)) != payload["content_hash"]:
                sent += self.publish(payload)
        return sent

    def publish(self, payload: dict[str, Any]) -> int:
        """Appends the payload unless the stream's last publication has its content. The
        stream's version is the guard: of two workers that read the same version, one appends
        and the other's append fails and is dropped (it reads the stream again next round)."""
        key = (payload["country"], payload["year"])
        published = self.store.read_stream(published_stream(*key))
        last = published[-1] if published else None
        if last is not None and last.payload["content_hash"] == payload["content_hash"]:
            self._sent[key] = payload["content_hash"]
            return 0
        if last is None and not payload["scores"]:
            self._sent[key] = payload["content_hash"]  # nothing confirmed, nothing said yet
            return 0
        expected = last.stream_version if last is not None else ExpectedVersion.NO_STREAM
        event = NewEvent(REGIONAL_ASSESSMENTS, payload, actor=Actor(user="indicators"))
        try:
            self.store.append(published_stream(*key), expected, [event])
        except ConcurrencyError:
            log.info("another worker published the assessments of %s %s first", *key)
            return 0
        self._sent[key] = payload["content_hash"]
        return 1

    def _profile(self, country: str) -> Profile:
        """The country's confirmed national profile as the hub may see it (none confirmed:
        every core indicator counts as adopted)."""
        version = self.catalogue.catalog_version
        confirmed = profile_from(country, version, self.store.read_stream(
            profile_stream(country, version))).confirmed_version  # fmt: skip
        return (confirmed.number if confirmed else None), for_hub(self.catalogue, confirmed)
