"""Faults under load (issue 10, part 1): a mixed load runs while the Kafka broker, each
service's gunicorn and each service's worker are killed with SIGKILL and started again and
PostgreSQL is restarted, and the regional hub is cut off from the node for two minutes;
afterwards every count must agree.

How: a stack of its own (bench/own_stack.py: temporary folder, free ports, country MK) and,
next to it, a regional hub of its own (`HubStack`: a second Kafka cluster, MirrorMaker 2
copying the node's `mk.regional` topic into it, the hub's indicators and reporting services
with their workers, database `actnow_hub`; free ports too).
Client threads, each with its own keep-alive connection and its own cases, send for
`--minutes`: case openings and `ServiceDelivered` events (intake), aggregate submissions
(intake), assessment scorings (indicators), report drafts taken through submission and approval
and now and then published, which builds the report (reporting). Every request carries a
correlation id of its own (`X-Correlation-Id`), which the service writes into the events it
records, so each request's outcome can be traced to the store: answered 2xx, refused (4xx), or
unknown (no answer, or 5xx while something was down). Meanwhile a fault thread goes through the
schedule, one fault at a time, each waited out (service ready again) before the next; the
hub's fault is MirrorMaker 2 stopped for `--hub-cutoff` s (120) while the load goes on and the
node keeps publishing regional events, then started again (waited out: the hub's copy of the
topic has reached where the node's was at the restart).

Afterwards, once every relay and projection has caught up and the values are computed again:

1. accepted = stored: each 2xx request's events are in its service's `events` table exactly
   (the event ids it answered, or one event); a refused request recorded nothing; an unanswered
   one recorded nothing or everything (counted apart, never as accepted).
2. stored = on Kafka: every service's event ids on its topic (read from offset 0), none missing,
   none extra (a record the relay sent twice is counted, not an error: projections skip it).
3. applied = stored: each live projection's saved positions are at the end of its partitions,
   and the read models hold exactly the stored events (case timeline and intake history by
   event id, case list versions and event counts, submissions by version, assessments' rounds,
   report headers); no dead letters.
4. the indicator values kept by the indicators service equal `compute_country` over persons and
   submissions folded afresh from the intake topic.
5. the hub, once MirrorMaker 2 has caught up (timed): the regional events in the node's store =
   the distinct event ids on the node's `mk.regional` = those on the hub's copy; the hub's
   projections (indicators and reporting) at the end of the hub's topics, every one that reads
   the copy included, no dead letters; the hub's regional values read model = the latest
   `RegionalValuesPublished` per (country, period) on the copy, cell by cell, and nothing
   refused that the disclosure rules would not refuse; the privacy scan of every topic on the
   hub's Kafka (`actnow audit privacy --bootstrap`) clean.

5xx answers keep their problem+json `detail` (first 200 characters): the summary lists them per
request kind, with counts.

Prints a table and a verdict; exits 1 when a count disagrees (correctness), never on timing.
Run: `.venv/bin/python bench/faults.py [--minutes 10] [--quick] [--keep] [--hub-cutoff 120]`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from own_stack import COUNTRY, start_own_stack, stop_own_stack, token  # isort: skip
from own_stack import start_hub, stop_hub  # isort: skip

import orjson
import psycopg
from kafka import KafkaConsumer, TopicPartition
from psycopg import sql

from services.indicators import worker as indicators_worker
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.computing import cell_key, compute_country
from services.indicators.events import REGIONAL_CHECKPOINT, REGIONAL_EVENTS, REGIONAL_VALUES
from services.indicators.persons import person_from_case, record_from_json, record_to_json
from services.indicators.privacy import read_all, scan
from services.indicators.projections import disclosure_breach
from services.intake.submissions import SUBMITTED
from services.registry import REGISTRY
from services.reporting import worker as reporting_worker
from services.reporting.events import DRAFTED
from shared.backbone.projections import decode_record
from shared.settings import SERVICE_NAMES, Settings
from shared.stack.hub import HUB_SERVICES, HubStack
from shared.stack.processes import StackError, pid_alive, port_open, wait_until
from shared.stack.stack import Stack

OPENING = {
    "country": COUNTRY, "prs_Gender": "Feminine", "prs_Birthdate": "1999-04-02",
    "vic_TraffickingStatus": "ActualVictimOfTrafficking", "ext_FirstContactDate": "2025-01-10",
    "ext_IdentificationDate": "2025-02-20", "ext_IdentifyingBodyType": "Police",
    "vic_TypeOfExploitation": ["SexualExploitation"], "cas_Status": "Active",
}  # fmt: skip
SERVICE_DELIVERED = {"type": "ServiceDelivered", "start_date": "2025-03-01",
                     "service_type": "Medical", "provider_type": "NGO"}  # fmt: skip
EVIDENCE = [{"kind": "document", "title": "Standard operating procedures",
             "reference": "https://example.org/sop.pdf", "date": "2023-06-01"}]  # fmt: skip
ORGANISATIONS = [str(uuid.uuid4()) for _ in range(4)]


# --- requests and their outcomes ------------------------------------------------------------
@dataclass
class Outcome:
    kind: str
    service: str
    correlation: str
    status: int | None  # None: no answer (connection refused or cut, timeout)
    event_ids: frozenset[str] = frozenset()  # as the answer named them
    events: int = 0  # events a 2xx answer says were recorded
    at: float = 0.0
    detail: str | None = None  # a 5xx answer's problem+json detail (or its first bytes)

    @property
    def verdict(self) -> str:
        if self.status is None or self.status >= 500:
            return "unknown"
        return "accepted" if self.status < 300 else "refused"


@dataclass
class Record:
    started: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        outcome.at = time.monotonic() - self.started
        self.outcomes.append(outcome)  # list.append is atomic: no lock needed


class Client:
    """One keep-alive connection to one service, as one user; each call a correlation id."""

    def __init__(self, stack: Stack, service: str, bearer: str, record: Record) -> None:
        self.port, self.service, self.bearer, self.record = (
            stack.config.ports[service], service, bearer, record)  # fmt: skip
        self.conn: http.client.HTTPConnection | None = None

    def call(self, kind: str, method: str, path: str, body: Any = None,
             events: Callable[[dict], tuple[frozenset[str], int]] | None = None
             ) -> dict | None:  # fmt: skip
        correlation = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {self.bearer}", "X-Correlation-Id": correlation,
                   "Content-Type": "application/json"}  # fmt: skip
        status, answer, detail = None, None, None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            data = json.dumps(body).encode() if body is not None else b""
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
            detail = problem_detail(raw) if status >= 500 else None
            if response.getheader("Content-Type", "").startswith("application/json") and raw:
                answer = json.loads(raw)
            if response.will_close:
                self._close()
        except (OSError, http.client.HTTPException, ValueError):
            self._close()
        outcome = Outcome(kind, self.service, correlation, status, detail=detail)
        if status is not None and 200 <= status < 300:
            outcome.event_ids, outcome.events = (
                events(answer or {}) if events else (frozenset(), 1))  # fmt: skip
        self.record.add(outcome)
        return answer if outcome.verdict == "accepted" else None

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def problem_detail(raw: bytes, limit: int = 200) -> str:
    """What a 5xx answer said: its problem+json `detail` (else `title`), else its first bytes."""
    text = raw.decode("utf-8", "replace")
    try:
        problem = json.loads(raw)
        if isinstance(problem, dict):
            text = str(problem.get("detail") or problem.get("title") or text)
    except ValueError:
        pass
    text = " ".join(text.split())
    if not text:
        return "(empty body)"
    return text if len(text) <= limit else text[:limit] + "…"


def _ids(items: list[dict]) -> tuple[frozenset[str], int]:
    return frozenset(str(e["event_id"]) for e in items), len(items)


# --- the mixed load -------------------------------------------------------------------------
def case_load(client: Client, stop: threading.Event, pause: float) -> None:
    """Opens cases of its own now and then, and records services on them."""
    cases: list[str] = []
    while not stop.is_set():
        if not cases or random.random() < 0.1:
            answer = client.call("case opened", "POST", "/api/v1/cases", OPENING,
                                 lambda a: _ids(a.get("events", [])))  # fmt: skip
            if answer:
                cases.append(answer["case_id"])
        else:
            client.call("case event", "POST", f"/api/v1/cases/{random.choice(cases)}/events",
                        SERVICE_DELIVERED, lambda a: _ids(a.get("recorded", [])))  # fmt: skip
        stop.wait(pause)


def submission_load(client: Client, stop: threading.Event, pause: float) -> None:
    """Institutions submit, and submit again (a new version), their yearly figures."""
    n = 0
    while not stop.is_set():
        n += 1
        body = {"country": COUNTRY, "organisation_id": random.choice(ORGANISATIONS),
                "period": random.choice(["2024", "2025"]),
                "figures": {"agg_cj_InvestigationsOpened": {"total": random.randint(1, 50)}},
                "document": {"title": f"Police statistics, sending {n}"}}  # fmt: skip
        client.call("submission", "POST", "/api/v1/submissions", body)
        stop.wait(pause)


def assessment_load(client: Client, stop: threading.Event, pause: float) -> None:
    """A monitor scores qualitative indicators, and scores them again (each a new event)."""
    codes = [i.code for i in load_catalogue(SEED_PATH).indicators if not i.quantitative]
    n = 0
    while not stop.is_set():
        n += 1
        year, code = random.randint(2020, 2024), random.choice(codes[:8])
        body = {"score": random.randint(0, 2), "rationale": f"Scoring {n}", "evidence": EVIDENCE}
        client.call("assessment", "POST", f"/api/v1/assessments/{COUNTRY}/{year}/{code}", body)
        stop.wait(pause)


def report_load(monitor: Client, reviewer: Client, stop: threading.Event, pause: float,
                publish_every: float) -> None:  # fmt: skip
    """Reports drafted, submitted and approved; every `publish_every` s one is published
    (pinned checkpoints, replay from Kafka, values, five formats rendered, signed)."""
    last_publication = time.monotonic() - publish_every / 2
    while not stop.is_set():
        draft = monitor.call("report draft", "POST", "/api/v1/reports", {
            "kind": "national", "country": COUNTRY, "period": "2025",
            "title": f"Monitoring report {uuid.uuid4().hex[:6]}"})  # fmt: skip
        if draft:
            rid = draft["report_id"]
            if monitor.call("report step", "POST", f"/api/v1/reports/{rid}/submission") and \
                    reviewer.call("report step", "POST", f"/api/v1/reports/{rid}/approval") and \
                    time.monotonic() - last_publication > publish_every:  # fmt: skip
                last_publication = time.monotonic()
                monitor.call("report build", "POST", f"/api/v1/reports/{rid}/publication")
        stop.wait(pause)


def start_load(stack: Stack, record: Record, stop: threading.Event, minutes: float
               ) -> list[threading.Thread]:  # fmt: skip
    def user(service: str, name: str, role: str) -> Client:
        return Client(stack, service, token(stack, name, role), record)

    bodies: list[Callable[[], None]] = [
        *(lambda n=n: case_load(user("intake", f"bench.worker{n}", "case_worker"), stop, 0.05)
          for n in range(3)),
        lambda: submission_load(user("intake", "bench.provider", "data_provider"), stop, 1.0),
        lambda: assessment_load(user("indicators", "bench.monitor", "monitor"), stop, 1.0),
        lambda: report_load(user("reporting", "bench.monitor", "monitor"),
                            user("reporting", "bench.reviewer", "reviewer"), stop, 2.0,
                            publish_every=max(60.0, minutes * 60 / 4)),
    ]  # fmt: skip
    threads = [threading.Thread(target=body, daemon=True) for body in bodies]
    for thread in threads:
        thread.start()
    return threads


# --- faults ---------------------------------------------------------------------------------
def sigkill_group(leader: int) -> None:
    os.killpg(leader, signal.SIGKILL)
    wait_until(lambda: not pid_alive(leader), 30)


def restart_service(stack: Stack, service: str) -> None:
    for attempt in (1, 2, 3):
        try:
            stack.start_service(service, timeout=240)
            return
        except StackError as error:
            print(f"    {service} not ready (attempt {attempt}): {str(error).splitlines()[0]}")
    raise StackError(f"{service} did not come back")


def kill_process(stack: Stack, name: str) -> Callable[[], str]:
    service = name.removesuffix("-worker")

    def fault() -> str:
        leader = int((stack.config.run / f"{name}.pid").read_text().split()[0])
        sigkill_group(leader)
        if name == service:  # the listening socket goes with the master
            wait_until(lambda: not port_open(stack.config.ports[service]), 30)
        restart_service(stack, service)
        return f"SIGKILL {name} (process group {leader}), started again"

    return fault


def kill_kafka(stack: Stack) -> str:
    leader = stack.kafka.pid
    assert leader is not None
    sigkill_group(leader)
    ports = (stack.kafka.port, stack.kafka.controller_port)
    for attempt in range(1, 7):
        wait_until(lambda: not any(port_open(p) for p in ports), 60)
        try:
            stack.kafka.start(timeout=300)
            break
        except StackError as error:
            print(f"    Kafka not started (attempt {attempt}): {str(error).splitlines()[0]}")
            time.sleep(5)
    return f"SIGKILL Kafka broker (pid {leader}), started again"


def restart_postgres(stack: Stack) -> str:
    stack.postgres.stop()
    stack.postgres.start(timeout=120)
    return "PostgreSQL stopped (pg_ctl stop -m fast) and started again"


def regional_topic(stack: Stack) -> str:
    """The node's regional topic, and (MirrorMaker 2 keeps the name) the hub's copy of it."""
    return f"{stack.config.node}.regional"  # no topic prefix here, as topic() assumes


def end_offset(bootstrap: str, name: str) -> int:
    """How many records the topic has had (all partitions); 0 while it does not exist."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        return sum(consumer.end_offsets(parts).values()) if parts else 0
    finally:
        consumer.close()


def cut_off_hub(stack: Stack, hub: HubStack, seconds: float) -> str:
    """The hub cut off from the node: MirrorMaker 2 stopped for `seconds` while the load goes
    on, then started again; waited out when the hub's copy of the regional topic has as many
    records as the node's topic had at the restart (a record copied twice counts too: the
    exact comparison by event id is made after the load)."""
    name, pid = regional_topic(stack), hub.mirror.pid
    hub.mirror.stop()
    at_cut = end_offset(stack.kafka.bootstrap, name)
    time.sleep(seconds)
    at_restart = end_offset(stack.kafka.bootstrap, name)
    hub.mirror.start()
    restarted = time.monotonic()

    def caught_up() -> bool:
        try:
            return end_offset(hub.kafka.bootstrap, name) >= at_restart
        except Exception:
            return False

    caught = wait_until(caught_up, 600, 2)
    took = time.monotonic() - restarted
    return (f"hub cut off: MirrorMaker 2 (pid {pid}) stopped for {seconds:.0f} s, meanwhile the"
            f" node published {at_restart - at_cut} records on {name}; started again, the hub's"
            f" copy reached them {took:.1f} s after the restart"
            + ("" if caught else " (NOT within 600 s)"))  # fmt: skip


def schedule(stack: Stack, hub: HubStack | None, cutoff: float
             ) -> list[tuple[str, Callable[[], str]]]:  # fmt: skip
    """One fault of each kind, interleaved so that services see faults of the others."""
    s = SERVICE_NAMES
    kill = {name: kill_process(stack, name) for name in (*s, *(f"{x}-worker" for x in s))}
    hub_fault = [("hub", lambda: cut_off_hub(stack, hub, cutoff))] if hub is not None else []
    return [
        ("kafka", lambda: kill_kafka(stack)),
        ("intake-worker", kill["intake-worker"]), ("intake", kill["intake"]),
        ("postgres", lambda: restart_postgres(stack)), *hub_fault,
        ("indicators-worker", kill["indicators-worker"]), ("identity", kill["identity"]),
        ("reporting-worker", kill["reporting-worker"]), ("indicators", kill["indicators"]),
        ("identity-worker", kill["identity-worker"]), ("reporting", kill["reporting"]),
    ]  # fmt: skip


def run_faults(stack: Stack, hub: HubStack | None, record: Record, seconds: float,
               log: list[str], cutoff: float = 120.0) -> None:  # fmt: skip
    faults = schedule(stack, hub, cutoff)
    gap = seconds * 0.85 / len(faults)
    for n, (name, fault) in enumerate(faults):
        due = record.started + 5 + n * gap
        time.sleep(max(0.0, due - time.monotonic()))
        began = time.monotonic() - record.started
        try:
            what = fault()
        except Exception as error:
            what = f"{name}: FAILED to restart: {error}"
        took = time.monotonic() - record.started - began
        log.append(f"t={began:6.1f} s  {what}; ready again after {took:.1f} s")
        print(f"  {log[-1]}", flush=True)


# --- after the run: what the stores, Kafka and the projections hold -------------------------
def topic(service: str) -> str:
    return f"mk.{service}.events"


def read_topics(bootstrap: str, topics: list[str]) -> dict[str, list[Any]]:
    """Every record of each topic, from offset 0 to the end as it is now."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    found: dict[str, list[Any]] = {t: [] for t in topics}
    try:
        parts = [TopicPartition(t, p) for t in topics
                 for p in sorted(consumer.partitions_for_topic(t) or ())]  # fmt: skip
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for tp, records in consumer.poll(timeout_ms=1000, max_records=10000).items():
                found[tp.topic] += [r for r in records if r.offset < ends[tp]]
    finally:
        consumer.close()
    return found


def end_offsets(bootstrap: str) -> dict[tuple[str, int], int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(t, p) for t in consumer.topics()
                 for p in consumer.partitions_for_topic(t) or ()]  # fmt: skip
        return {(tp.topic, tp.partition): o for tp, o in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()


def live_positions(conn: psycopg.Connection, schema: str) -> list[tuple[str, str, int, int, int]]:
    return conn.execute(sql.SQL(
        "SELECT p.projection, p.topic, p.partition, p.next_offset, p.log_index"
        " FROM {0}.projection_positions p JOIN {0}.projection_generations g"
        " ON g.projection = p.projection AND g.generation = p.generation WHERE g.state = 'live'"
    ).format(sql.Identifier(schema))).fetchall()  # fmt: skip


def unsettled(conn: psycopg.Connection, bootstrap: str, schemas: tuple[str, ...] = SERVICE_NAMES,
              values: bool = True) -> list[str]:  # fmt: skip
    """What has not caught up yet: relays, projections, the indicator values."""
    behind = []
    ends = end_offsets(bootstrap)
    for schema in schemas:
        q = sql.Identifier(schema)
        last, relayed = conn.execute(sql.SQL(
            "SELECT (SELECT coalesce(max(log_index), 0) FROM {0}.events),"
            " (SELECT coalesce(max(log_index), 0) FROM {0}.relay_position"
            "  WHERE topic LIKE '%.events')").format(q)).fetchone()  # type: ignore[misc]  # fmt: skip
        if relayed < last:
            behind.append(f"{schema} relay {relayed}/{last}")
        for name, t, part, offset, _ in live_positions(conn, schema):
            if offset < ends.get((t, part), 0):
                behind.append(f"{schema}.{name} {t}[{part}] {offset}/{ends[(t, part)]}")
    if values:
        pending = conn.execute("SELECT count(*) FROM indicators.pending_countries").fetchone()
        if pending and pending[0]:
            behind.append("indicator values pending")
    return behind


def wait_caught_up(behind: Callable[[], list[str]], timeout: float, what: str = "") -> float:
    """Seconds until `behind()` names nothing any more; -1 when it still does after timeout."""
    began = time.monotonic()
    last: list[str] = []
    while time.monotonic() - began < timeout:
        try:
            last = behind()
        except Exception as error:
            last = [f"not answering: {error}"]
        if not last:
            return time.monotonic() - began
        time.sleep(3)
    print(f"  {what}NOT settled after {timeout:.0f} s: {last[:6]}")
    return -1.0


def wait_settled(stack: Stack, timeout: float) -> float:
    def behind() -> list[str]:
        with psycopg.connect(stack.postgres.url()) as conn:
            return unsettled(conn, stack.kafka.bootstrap)

    return wait_caught_up(behind, timeout)


def event_ids(records: list[Any]) -> Counter[str]:
    return Counter(orjson.loads(r.value)["event_id"] for r in records)


def regional_in_store(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """The node's regional events (what its regional relay sends): event id -> (index, type)."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT event_id::text, log_index, event_type FROM indicators.events"
        " WHERE event_type = ANY(%s)", (list(REGIONAL_EVENTS),))}  # fmt: skip


def mirror_behind(stack: Stack, hub: HubStack) -> list[str]:
    """What keeps the hub's copy of the regional topic from being the node's: regional figures
    not yet followed by a regional checkpoint, the node's regional relay behind its store,
    MirrorMaker 2 behind the node's topic (by record count, then by event id)."""
    name = regional_topic(stack)
    with psycopg.connect(stack.postgres.url()) as conn:
        stored = regional_in_store(conn)
        row = conn.execute("SELECT log_index FROM indicators.relay_position WHERE topic = %s",
                           (name,)).fetchone()  # fmt: skip
    figures = [i for i, t in stored.values() if t != REGIONAL_CHECKPOINT]
    proofs = [i for i, t in stored.values() if t == REGIONAL_CHECKPOINT]
    if figures and max(figures) > max(proofs, default=0):
        return ["regional figures not yet followed by a regional checkpoint"]
    relayed, last = (row[0] if row else 0), max((i for i, _ in stored.values()), default=0)
    if relayed < last:
        return [f"node's regional relay at {relayed} of {last}"]
    node_end, hub_end = end_offset(stack.kafka.bootstrap, name), end_offset(hub.kafka.bootstrap,
                                                                          name)  # fmt: skip
    if hub_end < node_end:
        return [f"hub's {name}: {hub_end} of the node's {node_end} records"]
    node = set(event_ids(read_topics(stack.kafka.bootstrap, [name])[name]))
    copied = set(event_ids(read_topics(hub.kafka.bootstrap, [name])[name]))
    return [f"hub's {name} misses {len(node - copied)} of the node's events"] if node - copied \
        else []  # fmt: skip


def wait_hub_settled(stack: Stack, hub: HubStack, timeout: float) -> tuple[float, float]:
    """Seconds until MirrorMaker 2 had copied everything, then until the hub's relays and
    projections were at the end of the hub's topics (-1: not within timeout)."""
    mirrored = wait_caught_up(lambda: mirror_behind(stack, hub), timeout, "hub copy: ")
    print(f"MirrorMaker 2 caught up {mirrored:.0f} s after the node had settled", flush=True)

    def behind() -> list[str]:
        with psycopg.connect(hub.database_url) as conn:
            return unsettled(conn, hub.kafka.bootstrap, HUB_SERVICES, values=False)

    applied = wait_caught_up(behind, timeout, "hub projections: ")
    print(f"the hub's projections caught up {applied:.0f} s after that", flush=True)
    return mirrored, applied


@dataclass
class Check:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # what, expected, got
    failures: list[str] = field(default_factory=list)

    def equal(self, what: str, expected: object, got: object, note: str = "") -> None:
        ok = expected == got

        def shown(v: object) -> str:
            if isinstance(v, (set, frozenset, dict, list)):
                return f"{len(v):,}"
            return f"{v:,}" if isinstance(v, int) else str(v)

        self.rows.append((what, shown(expected), shown(got), "ok" if ok else "DISAGREE"))
        if not ok:
            extra = ""
            if isinstance(expected, (set, frozenset)) and isinstance(got, (set, frozenset)):
                extra = (
                    f" (missing {len(expected - got)}: {sorted(expected - got)[:3]};"
                    f" extra {len(got - expected)}: {sorted(got - expected)[:3]})"
                )
            self.failures.append(f"{what}: expected {shown(expected)}, got {shown(got)}"
                                 f"{extra} {note}")  # fmt: skip


def check_requests(conn: psycopg.Connection, record: Record, check: Check) -> dict[str, Any]:
    """accepted = stored, per request, through the correlation ids."""
    stored: dict[str, list[str]] = defaultdict(list)
    for schema in ("intake", "indicators", "reporting"):
        for event_id, correlation in conn.execute(sql.SQL(
                "SELECT event_id::text, correlation_id::text FROM {}.events"
                " WHERE correlation_id IS NOT NULL").format(sql.Identifier(schema))):  # fmt: skip
            stored[correlation].append(event_id)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    details: dict[str, Counter[str]] = defaultdict(Counter)  # 5xx answers: what they said
    wrong: list[str] = []
    for o in record.outcomes:
        mine = stored.get(o.correlation, [])
        t = table[o.kind]
        t["requests"] += 1
        t[o.verdict] += 1
        if o.verdict == "accepted":
            t["events accepted"] += o.events
            t["events stored"] += len(mine)
            if len(mine) != o.events or (o.event_ids and set(mine) != o.event_ids):
                wrong.append(f"{o.kind} {o.correlation}: answered {o.events}, stored {len(mine)}")
        elif o.verdict == "refused":
            t["events stored"] += len(mine)
            if mine:
                wrong.append(f"{o.kind} {o.correlation} refused ({o.status}) but stored {mine}")
        else:
            t["no answer" if o.status is None else "5xx"] += 1
            if o.status is not None:
                details[o.kind][f"{o.status} {o.detail}"] += 1
            t["stored without answer"] += len(mine)
            t["events stored"] += len(mine)
    accepted = sum(t["events accepted"] for t in table.values())
    from_accepted = sum(len(stored.get(o.correlation, [])) for o in record.outcomes
                        if o.verdict == "accepted")  # fmt: skip
    check.equal("events accepted (2xx) = their events in the stores", accepted, from_accepted)
    check.equal("requests whose stored events disagree with their answer", 0, len(wrong),
                "; ".join(wrong[:5]))  # fmt: skip
    ours = {o.correlation for o in record.outcomes}
    foreign = sum(len(ids) for c, ids in stored.items() if c not in ours)
    return {"table": table, "5xx details": details,
            "stored_by_requests": sum(len(stored.get(c, [])) for c in ours),
            "other_events_with_correlation": foreign}  # fmt: skip


def check_kafka(conn: psycopg.Connection, records: dict[str, list[Any]], check: Check
                ) -> dict[str, Any]:  # fmt: skip
    """stored = on Kafka, service by service, by event id."""
    figures = {}
    for schema in SERVICE_NAMES:
        in_store = {r[0] for r in conn.execute(sql.SQL("SELECT event_id::text FROM {}.events")
                                               .format(sql.Identifier(schema)))}  # fmt: skip
        on_kafka = Counter(orjson.loads(r.value)["event_id"] for r in records[topic(schema)])
        check.equal(f"{schema}: events in store = distinct events on {topic(schema)}",
                    in_store, set(on_kafka))  # fmt: skip
        figures[schema] = {"store": len(in_store), "kafka records": sum(on_kafka.values()),
                           "sent twice": sum(n - 1 for n in on_kafka.values())}  # fmt: skip
    return figures


def check_positions(conn: psycopg.Connection, schemas: tuple[str, ...],
                    records: dict[str, list[Any]], ends: dict[tuple[str, int], int],
                    check: Check, where: str = "") -> None:  # fmt: skip
    """Each live projection's saved positions at the end of its partitions and at the highest
    log index there; no partition with records but no position; no dead letters."""
    highest: dict[tuple[str, int], int] = {}
    for t, rs in records.items():
        for r in rs:
            key = (t, r.partition)
            highest[key] = max(highest.get(key, 0), orjson.loads(r.value)["log_index"])
    behind = []
    for schema in schemas:
        saved: dict[str, set[tuple[str, int]]] = defaultdict(set)
        for name, t, part, offset, log_index in live_positions(conn, schema):
            saved[name].add((t, part))
            end = ends.get((t, part), 0)
            top = highest.get((t, part))
            if offset != end or (top is not None and log_index != top):
                behind.append(f"{schema}.{name} {t}[{part}] offset {offset}/{end} "
                              f"log_index {log_index}/{top}")  # fmt: skip
        for name, parts in saved.items():  # a partition with records but no position saved
            topics = {t for t, _ in parts}
            behind += [f"{schema}.{name} {t}[{p}] never applied" for (t, p), end in ends.items()
                       if t in topics and end > 0 and (t, p) not in parts]  # fmt: skip
    check.equal(f"{where}projection partitions not at the end of their topic", 0, len(behind),
                "; ".join(behind[:5]))  # fmt: skip
    dead = sum(n for (t, _), n in ends.items() if t.endswith(".deadletter"))
    check.equal(f"{where}dead letters", 0, dead)


def check_projections(conn: psycopg.Connection, records: dict[str, list[Any]],
                      ends: dict[tuple[str, int], int], check: Check) -> None:  # fmt: skip
    """applied = stored: positions at the end of the partitions, read models = the store."""
    check_positions(conn, SERVICE_NAMES, records, ends, check)

    def ids(query: str) -> set[str]:
        return {r[0] for r in conn.execute(query)}

    case_events = ids("SELECT event_id::text FROM intake.events WHERE stream_id LIKE 'case-%'")
    check.equal("intake.cases: timeline rows = case events stored", case_events,
                ids("SELECT event_id::text FROM intake.timeline"))  # fmt: skip
    check.equal(
        "indicators.intake_history: case_events rows = case events stored",
        case_events,
        ids("SELECT event_id::text FROM indicators.case_events"),
    )
    per_case = ids(
        "SELECT substr(stream_id, 6) || ':' || count(*) || ':' || max(stream_version)"
        " FROM intake.events WHERE stream_id LIKE 'case-%' GROUP BY stream_id"
    )
    check.equal(
        "intake.cases: case list (events, version) = stored, per case",
        per_case,
        ids("SELECT case_id || ':' || events || ':' || version FROM intake.case_list"),
    )
    check.equal("indicators.intake_history: person records = cases stored",
                {p.split(":")[0] for p in per_case},
                ids("SELECT case_id FROM indicators.person_records"))  # fmt: skip
    versions = ids(f"SELECT stream_id || ':' || stream_version FROM intake.events"
                   f" WHERE event_type = '{SUBMITTED}'")  # fmt: skip
    check.equal(
        "intake.submissions: versions = submission events stored",
        versions,
        ids("SELECT submission_id || ':' || version FROM intake.submission_versions"),
    )
    check.equal(
        "indicators.intake_history: submissions = submission events stored",
        versions,
        ids("SELECT submission_id || ':' || version FROM indicators.submissions"),
    )
    scored = ids("SELECT stream_id || ':' || count(*) || ':' || max(stream_version)"
                 " FROM indicators.events WHERE stream_id LIKE 'assessment-%'"
                 " GROUP BY stream_id")  # fmt: skip
    check.equal("indicators.assessments: (rounds, version) = stored, per assessment", scored,
                ids("SELECT 'assessment-' || country || '-' || year || '-' || code || ':'"
                    " || rounds || ':' || version FROM indicators.assessments"))  # fmt: skip
    check.equal("reporting.recommendations: report headers = drafts stored",
                ids(f"SELECT substr(stream_id, 8) FROM reporting.events"
                    f" WHERE event_type = '{DRAFTED}'"),
                ids("SELECT report_id FROM reporting.report_headers"))  # fmt: skip


def check_values(conn: psycopg.Connection, intake_records: list[Any], check: Check) -> int:
    """The values the indicators service keeps = compute_country over the intake topic."""
    events = {}
    for r in intake_records:
        event = decode_record(r.value, REGISTRY)
        events[event.event_id] = event  # a record sent twice counts once
    cases: dict[str, list[Any]] = defaultdict(list)
    submissions: dict[str, Any] = {}
    for e in sorted(events.values(), key=lambda e: e.log_index):
        if e.stream_id.startswith("case-"):
            cases[e.stream_id].append(e)
        elif e.event_type == SUBMITTED:
            submissions[e.stream_id] = {"period": e.payload["period"],
                                        "figures": e.payload["figures"],
                                        "recorded_at": e.recorded_at}  # fmt: skip
    records = []
    for history in cases.values():
        person = person_from_case(sorted(history, key=lambda e: e.stream_version))
        if person is not None:  # as stored and read back by the projection and the computer
            records.append(record_from_json(orjson.loads(orjson.dumps(record_to_json(person)))))
    computed = compute_country(load_catalogue(SEED_PATH), records, list(submissions.values()),
                               COUNTRY, date.today())  # fmt: skip
    fresh = {(p.period, v.indicator, cell_key(v.cell)): _triple(v.numerator, v.denominator,
                                                                v.value)
             for p in computed for v in p.national}  # fmt: skip
    kept = {(period, ind, cell): _triple(n, d, v) for period, ind, cell, n, d, v in conn.execute(
        "SELECT period, indicator, cell, numerator, denominator, value"
        " FROM indicators.indicator_values WHERE country = %s", (COUNTRY,))}  # fmt: skip
    differing = sorted(k for k in fresh.keys() & kept.keys() if fresh[k] != kept[k])
    check.equal("indicator values kept = recomputed from the intake topic (cells)",
                set(fresh), set(kept))  # fmt: skip
    check.equal("indicator values differing from the recomputation", 0, len(differing),
                str(differing[:3]))  # fmt: skip
    return len(fresh)


def _triple(*numbers: Any) -> tuple[float | None, ...]:
    return tuple(None if n is None else round(float(n), 9) for n in numbers)


def hub_readers(stack: Stack, hub: HubStack) -> set[str]:
    """The hub's projections that read the copy of the regional topic, as the hub's workers
    define them (`schema.projection`)."""
    env = {"ACTNOW_NODE": "hub", "REGIONAL_SOURCES": stack.config.node, "ACTNOW_COUNTRIES": "",
           "DATABASE_URL": hub.database_url, "KAFKA_BOOTSTRAP": hub.kafka.bootstrap}  # fmt: skip
    name = regional_topic(stack)
    return {f"{service}.{p.name}"
            for service, worker in (("indicators", indicators_worker),
                                    ("reporting", reporting_worker))
            for p in worker.projections(Settings.from_env(service, env))
            if name in p.topics}  # fmt: skip


def check_hub(stack: Stack, hub: HubStack, check: Check) -> dict[str, Any]:
    """The hub after the cut-off: node's store = node's regional topic = the hub's copy =
    applied by the hub's projections; the regional values read model = the latest publication
    per (country, period); nothing on the hub's Kafka that the privacy scan objects to."""
    name, disclosure = regional_topic(stack), load_catalogue(SEED_PATH).disclosure
    with psycopg.connect(stack.postgres.url()) as conn:
        stored = regional_in_store(conn)
    on_node = event_ids(read_topics(stack.kafka.bootstrap, [name])[name])
    check.equal(f"indicators: regional events in store = distinct events on {name} (node)",
                set(stored), set(on_node))  # fmt: skip
    with psycopg.connect(hub.database_url) as conn:
        read = {t for s in HUB_SERVICES for _, t, *_ in live_positions(conn, s)}
        records = read_topics(hub.kafka.bootstrap, sorted(read | {name}))
        ends = end_offsets(hub.kafka.bootstrap)
        copied = event_ids(records[name])
        check.equal(f"hub: distinct events on the node's {name} = on the hub's copy (MM2)",
                    set(on_node), set(copied))  # fmt: skip
        check_positions(conn, HUB_SERVICES, records, ends, check, "hub: ")
        at_end = {f"{s}.{projection}" for s in HUB_SERVICES
                  for projection, t, part, offset, _ in live_positions(conn, s)
                  if t == name and offset == ends.get((t, part), 0) > 0}  # fmt: skip
        check.equal(f"hub: projections reading the copy of {name}, at its end",
                    hub_readers(stack, hub), at_end)  # fmt: skip
        # the latest publication per (country, period): the highest log index (the node
        # computes a country's values one run after the other), unless the rules refuse it
        publications = {}
        for r in records[name]:
            event = decode_record(r.value, REGISTRY)
            if event.event_type == REGIONAL_VALUES:
                publications[event.event_id] = event  # a record copied twice counts once
        latest: dict[tuple[str, str], Any] = {}
        refused = set()
        for e in sorted(publications.values(), key=lambda e: e.log_index):
            p = e.payload
            if disclosure_breach(p["values"], disclosure.min_cell, disclosure.k_cross):
                refused.add(e.event_id)
            else:
                latest[(p["country"], p["period"])] = e
        check.equal("hub: indicators.refused_publications = publications the rules refuse",
                    refused, {r[0] for r in conn.execute(
                        "SELECT event_id::text FROM indicators.refused_publications")})  # fmt: skip
        check.equal(
            "hub: indicators.regional_values: (country, period, content hash) = latest"
            " RegionalValuesPublished on the copy",
            {f"{c}/{period}/{e.payload['content_hash']}" for (c, period), e in latest.items()},
            {f"{c}/{period}/{h}" for c, period, h in conn.execute(
                "SELECT DISTINCT country, period, content_hash FROM indicators.regional_values")},
        )  # fmt: skip
        cells = {(p["country"], p["period"], v["indicator"],
                  ";".join(f"{d}={c}" for d, c in v["cell"]),
                  *_triple(v["numerator"], v["denominator"], v["value"]), bool(v["suppressed"]),
                  p["intake_log_size"])
                 for p in (e.payload for e in latest.values()) for v in p["values"]}  # fmt: skip
        kept = {(c, period, ind, cell, *_triple(n, d, v), s, size)
                for c, period, ind, cell, n, d, v, s, size in conn.execute(
                    "SELECT country, period, indicator, cell, numerator, denominator, value,"
                    " suppressed, intake_log_size FROM indicators.regional_values")}  # fmt: skip
        check.equal("hub: indicators.regional_values rows = cells of those publications",
                    cells, kept)  # fmt: skip
    privacy = scan(read_all(hub.kafka.bootstrap), REGISTRY, disclosure.min_cell,
                   disclosure.k_cross)  # fmt: skip
    check.equal(f"hub: privacy scan of every topic on the hub's Kafka ({privacy.records:,}"
                f" records, {len(privacy.by_topic)} topics): findings", 0,
                len(privacy.findings), "; ".join(str(f) for f in privacy.findings[:3]))  # fmt: skip
    check.equal(f"hub: the privacy scan read every record of the copy of {name}",
                len(records[name]), privacy.by_topic.get(name, 0))  # fmt: skip
    return {"topic": name, "node records": sum(on_node.values()), "node distinct": len(on_node),
            "hub records": sum(copied.values()), "hub distinct": len(copied),
            "by type": Counter(t for _, t in stored.values()), "publications": len(latest),
            "cells": len(cells), "refused": len(refused),
            "scanned": dict(sorted(privacy.by_topic.items()))}  # fmt: skip


# --- main -----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="2 minutes, for a first look")
    parser.add_argument("--keep", action="store_true", help="leave the stack and its data")
    parser.add_argument("--settle-timeout", type=float, default=900.0)
    parser.add_argument("--logs", help="copy the services' logs to this folder at the end")
    parser.add_argument("--hub-cutoff", type=float, default=120.0,
                        help="seconds the hub is cut off from the node (MirrorMaker 2 stopped)"
                        )  # fmt: skip
    args = parser.parse_args()
    minutes = 2.0 if args.quick else args.minutes
    # a SIGTERM (a scheduler's timeout) tears the stacks down as a failure does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    stack = start_own_stack("faults")
    hub: HubStack | None = None
    record, stop, faults = Record(), threading.Event(), []
    code = 0
    try:
        began = time.monotonic()
        hub = start_hub(stack)
        print(f"hub started in {time.monotonic() - began:.0f} s", flush=True)
        print(f"mixed load for {minutes:g} min with faults:", flush=True)
        record = Record()
        threads = start_load(stack, record, stop, minutes)
        run_faults(stack, hub, record, minutes * 60, faults, args.hub_cutoff)
        time.sleep(max(0.0, record.started + minutes * 60 - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(timeout=180)
        load_seconds = time.monotonic() - record.started
        print(f"load stopped after {load_seconds:.0f} s; waiting for everything to catch up",
              flush=True)  # fmt: skip
        settle = wait_settled(stack, args.settle_timeout)
        time.sleep(20)  # the values computer waits up to 15 s between two runs for a country
        settle = settle if settle < 0 else wait_settled(stack, args.settle_timeout) + settle
        hub_settle = wait_hub_settled(stack, hub, args.settle_timeout)
        check = Check()
        if settle < 0:
            check.failures.append("relays, projections or values did not catch up")
        if hub_settle[0] < 0:
            check.failures.append("MirrorMaker 2 did not copy the node's regional topic in time")
        if hub_settle[1] < 0:
            check.failures.append("the hub's relays or projections did not catch up")
        records = read_topics(stack.kafka.bootstrap, [topic(s) for s in SERVICE_NAMES])
        ends = end_offsets(stack.kafka.bootstrap)
        with psycopg.connect(stack.postgres.url()) as conn:
            requests = check_requests(conn, record, check)
            kafka = check_kafka(conn, records, check)
            check_projections(conn, records, ends, check)
            cells = check_values(conn, records[topic("intake")], check)
        hubs = check_hub(stack, hub, check)
        report(minutes, load_seconds, settle, faults, requests, kafka, cells, check,
               time.monotonic() - started, hubs, hub_settle)  # fmt: skip
        code = 1 if check.failures else 0
    finally:
        stop.set()
        if args.logs:
            shutil.copytree(stack.config.logs, args.logs, dirs_exist_ok=True)
        if args.keep:
            print(f"kept: ACTNOW_STATE_DIR={stack.config.state_dir} .venv/bin/actnow stack down")
        if hub is not None:
            stop_hub(stack, hub, keep=args.keep)
        stop_own_stack(stack, keep=args.keep)
    return code


def report(minutes: float, load_seconds: float, settle: float, faults: list[str],
           requests: dict[str, Any], kafka: dict[str, Any], cells: int, check: Check,
           total: float, hub: dict[str, Any], hub_settle: tuple[float, float]
           ) -> None:  # fmt: skip
    print(
        f"\nfaults under load: {minutes:g} min of load ({load_seconds:.0f} s), "
        f"{os.cpu_count()} cores, caught up {settle:.0f} s after the load; run {total:.0f} s"
    )
    print("\nfaults:")
    for line in faults:
        print(f"  {line}")
    columns = ["requests", "accepted", "refused", "unknown", "no answer", "5xx",
               "events accepted", "events stored", "stored without answer"]  # fmt: skip
    print("\n| request | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for kind, t in requests["table"].items():
        print(f"| {kind} | " + " | ".join(f"{t[c]:,}" for c in columns) + " |")
    print(
        f"\nevents stored by the load's requests: {requests['stored_by_requests']:,}; "
        f"other events carrying a correlation id: {requests['other_events_with_correlation']}"
    )
    print("\n| service | events in store | records on Kafka | sent twice by the relay |")
    print("|---|---|---|---|")
    for schema, f in kafka.items():
        print(f"| {schema} | {f['store']:,} | {f['kafka records']:,} | {f['sent twice']:,} |")
    print(f"\nindicator values recomputed from scratch: {cells:,} cells")
    details = requests["5xx details"]
    if details:
        print("\n| request | 5xx answer (status, problem detail) | answers |\n|---|---|---|")
        for kind, said in details.items():
            for what, n in said.most_common():
                print(f"| {kind} | {what} | {n:,} |")
    else:
        print("\nno 5xx answers")
    mirrored, applied = hub_settle
    print(f"\nhub: MirrorMaker 2 had copied everything {mirrored:.0f} s after the node had"
          f" settled, the hub's projections had applied it {applied:.0f} s later")  # fmt: skip
    kinds = ", ".join(f"{n:,} {t.split('.')[-1]}" for t, n in sorted(hub["by type"].items()))
    print(f"regional events in the node's store: {kinds or 'none'}")
    print(f"\n| {hub['topic']} | records | distinct events | copied twice |\n|---|---|---|---|")
    print(f"| on the node | {hub['node records']:,} | {hub['node distinct']:,} | |")
    print(f"| on the hub (MirrorMaker 2) | {hub['hub records']:,} | {hub['hub distinct']:,} |"
          f" {hub['hub records'] - hub['hub distinct']:,} |")  # fmt: skip
    print(f"\nhub regional values: {hub['publications']} latest publications (country, period),"
          f" {hub['cells']:,} cells; {hub['refused']} publications the rules refuse")  # fmt: skip
    scanned = ", ".join(f"{t} {n:,}" for t, n in hub["scanned"].items())
    print(f"privacy scan of the hub's Kafka, records per topic: {scanned}")
    print("\n| check | expected | got | |\n|---|---|---|---|")
    for row in check.rows:
        print("| " + " | ".join(row) + " |")
    if check.failures:
        print("\nVERDICT: FAIL — a count disagrees:")
        for failure in check.failures:
            print(f"  - {failure}")
    else:
        print(
            "\nVERDICT: PASS — accepted = stored = on Kafka = applied by every projection, "
            "the values equal a recomputation from scratch, and after the hub's cut-off its "
            "copy of the regional topic = the node's = applied by the hub, privacy scan clean"
        )


if __name__ == "__main__":
    raise SystemExit(main())
