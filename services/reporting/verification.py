"""Re-deriving a published report, step by step, for an auditor: the publication's signature,
the pinned checkpoints' signatures, that each source log only grew since (consistency proof to
its current checkpoint) and still verifies, the replay of the pinned history from Kafka, the
recomputed values and the re-rendered outputs, and the stored bytes. Each step says what it
checked; the verdict holds only if every step does."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from psycopg import sql

from services.reporting.basis import (
    BasisError,
    PinnedLog,
    check_note,
    fetch_json,
    pin,
    pin_own,
    replay,
)
from services.reporting.building import REGIONAL, content_of, render_all, source_service
from services.reporting.regional_basis import node_of, regional_history, regional_topic
from services.reporting.signing import signature_holds
from services.reporting.workflow import Report
from shared.backbone import merkle, tamper


class Context(Protocol):
    settings: Any
    pool: Any
    store: Any
    catalogue: Any
    registry: Any


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str


@dataclass
class Verdict:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.steps.append(Step(name, ok, detail))
        return ok


def verify_report(
    service: Context, report: Report, token: str,
    echo: Callable[[Step], None] = lambda step: None,
) -> Verdict:  # fmt: skip
    verdict = Verdict()

    def step(name: str, ok: bool, detail: str) -> bool:
        verdict.add(name, ok, detail)
        echo(verdict.steps[-1])
        return ok

    if not report.published:
        step("published", False, f"report {report.report_id} has no published version")
        return verdict
    published = report.published[-1]
    version = published["version"]
    record = {k: v for k, v in published.items() if k != "signature"}
    step("signature", signature_holds(record, published["signer"], published["signature"]),
         f"version {version}, signed by {published['signer'].split('+')[0]}")  # fmt: skip
    pinned = [PinnedLog(**source) for source in published["sources"]]
    for log in pinned:
        problem = check_note(log)
        step(f"checkpoint {log.origin}", problem is None,
             problem or f"size {log.size}, root {log.root[:16]}..., signature holds")  # fmt: skip
        if report.kind == "national":  # a regional report's logs are checked on their topics
            _consistency(service, log, token, step)
    if report.kind == "national":
        replayed = _replayed_logs(service, pinned, step)
    else:
        replayed = _replayed_regional(service, pinned, step)
    if replayed is None:
        return verdict
    _rerender(service, report, published, pinned, replayed, step)
    _stored(service, report.report_id, version, published["hashes"], step)
    return verdict


def _replayed_logs(service: Context, pinned: list[PinnedLog],
                   step: Callable[[str, bool, str], bool]) -> dict[str, list] | None:  # fmt: skip
    """A national report's logs, each replayed from Kafka up to its pinned size."""
    replayed = {}
    for log in pinned:
        name = source_service(log.origin)
        try:
            topic = service.settings.events_topic(name)
            replayed[name] = replay(service.settings.kafka_bootstrap, topic, log,
                                    service.registry)  # fmt: skip
        except BasisError as exc:
            step(f"replay {log.origin}", False, str(exc))
            return None
        step(f"replay {log.origin}", True,
             f"{len(replayed[name])} events from Kafka give the pinned root")  # fmt: skip
    return replayed


def _replayed_regional(
    service: Context, pinned: list[PinnedLog], step: Callable[[str, bool, str], bool]
) -> dict[str, list] | None:
    """A regional report's figures: each node's regional topic read from the hub's Kafka, its
    chain of regional checkpoints checked from the first to the latest (the node's log only
    grew since the pinned one), and the figures the pinned checkpoint proves."""
    figures: list = []
    for log in pinned:
        topic = regional_topic(service.settings.topic_prefix, node_of(log.origin))
        try:
            history = regional_history(service.settings.kafka_bootstrap, topic, service.registry)
            step(f"consistency {log.origin}", True,
                 f"{len(history.chain)} regional checkpoints on {topic}, each signed and an"
                 f" extension of the one before, up to size {history.latest.size}")  # fmt: skip
            mine = history.up_to(log)
        except BasisError as exc:
            step(f"replay {log.origin}", False, str(exc))
            return None
        step(f"replay {log.origin}", True,
             f"{len(mine)} figures from {topic}, each proven in the pinned tree")  # fmt: skip
        figures += mine
    return {REGIONAL: figures}


def _consistency(service: Context, log: PinnedLog, token: str,
                 step: Callable[[str, bool, str], bool]) -> None:  # fmt: skip
    own = source_service(log.origin) == service.settings.service
    url = "" if own else service.settings.service_url(source_service(log.origin))
    try:
        if own:  # the reporting log itself: asked here rather than over HTTP
            current = pin_own(service.store, log.size)
            assert current is not None  # it covers the pinned size, so it exists
            proof = [p.hex() for p in tamper.consistency_proof(service.store, log.size,
                                                                current.size)]  # fmt: skip
        else:
            current = pin(url, token)
            proof = fetch_json(f"{url}/api/v1/audit/consistency?old_size={log.size}"
                               f"&new_size={current.size}", token)["proof"]  # fmt: skip
        grew = merkle.verify_consistency(
            log.size, current.size, bytes.fromhex(log.root), bytes.fromhex(current.root),
            [bytes.fromhex(p) for p in proof])  # fmt: skip
        step(f"consistency {log.origin}", grew,
             f"the log grew from {log.size} to {current.size} events without changing what"
             " the report read" if grew else
             f"the log of {log.origin} is not an extension of the pinned one")  # fmt: skip
        checked = (_own_log(service.store) if own
                   else fetch_json(f"{url}/api/v1/audit/verification", token))  # fmt: skip
        step(f"log {log.origin}", checked["ok"],
             f"{checked['events_checked']} events recomputed"
             if checked["ok"] else "; ".join(checked["problems"][:3]))  # fmt: skip
    except BasisError as exc:
        step(f"consistency {log.origin}", False, str(exc))


def _own_log(store: Any) -> dict[str, Any]:
    found = tamper.verify(store)
    return {"ok": found.ok, "events_checked": found.events_checked, "problems": found.problems}


def _rerender(service: Context, report: Report, published: dict[str, Any],
              pinned: list[PinnedLog], replayed: dict[str, list],
              step: Callable[[str, bool, str], bool]) -> None:  # fmt: skip
    at_publication = _as_published(report, published["version"])
    built = render_all(content_of(at_publication, service.catalogue, replayed, pinned,
                                  datetime.fromisoformat(published["published_at"]),
                                  published["code_version"]))  # fmt: skip
    differing = [fmt for fmt, digest in published["hashes"].items()
                 if built.hashes.get(fmt) != digest]  # fmt: skip
    step("re-render", not differing,
         "every format re-derived byte for byte from the pinned basis" if not differing
         else f"re-rendered {', '.join(differing)} differ from what was published")  # fmt: skip


def _as_published(report: Report, version: int) -> Report:
    """The report as it stood when `version` was published (its narrative then)."""
    published = next(p for p in report.published if p["version"] == version)
    return Report(report.report_id, report.kind, report.country, report.period, report.title,
                  version, "published", report.drafted_by, narrative=published["narrative"],
                  supersedes_version=published["supersedes_version"],
                  correction_reason=published["correction_reason"])  # fmt: skip


def stored_outputs_differ(service: Context, report_id: str, version: int,
                          hashes: dict[str, str]) -> list[str]:  # fmt: skip
    """The formats whose stored bytes do not have the published hash."""
    with service.pool.connection() as conn:
        rows = conn.execute(
            sql.SQL("SELECT format, content FROM {}.report_outputs WHERE report_id = %s"
                    " AND version = %s").format(sql.Identifier(service.settings.schema)),
            (report_id, version),
        ).fetchall()  # fmt: skip
    stored = {fmt: hashlib.sha256(bytes(content)).hexdigest() for fmt, content in rows}
    return sorted(fmt for fmt, digest in hashes.items() if stored.get(fmt) != digest)


def _stored(service: Context, report_id: str, version: int, hashes: dict[str, str],
            step: Callable[[str, bool, str], bool]) -> None:  # fmt: skip
    wrong = stored_outputs_differ(service, report_id, version, hashes)
    step("stored outputs", not wrong,
         f"{len(hashes)} stored files match the signed hashes" if not wrong
         else f"stored {', '.join(wrong)} differ from what was published")  # fmt: skip
