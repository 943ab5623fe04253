"""`actnow doctor`: checks what an operator would check by hand — the settings, PostgreSQL,
Kafka, each service's readiness, how far the relays and projections lag, how old the last
checkpoint is, and the clock — and says what to fix, in plain words."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from shared.settings import SERVICE_NAMES, Settings, SettingsError

RELAY_LAG_LIMIT = 1000  # events not yet on Kafka
PROJECTION_LAG_LIMIT = 10_000  # records not yet applied
HEARTBEAT_LIMIT = 60.0  # seconds
CHECKPOINT_AGE_LIMIT = 600.0  # seconds since the last checkpoint, while the log grows
CLOCK_SKEW_LIMIT = 2.0  # seconds between this host and PostgreSQL


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str
    fix: str = ""


def diagnose(env: Mapping[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    settings: dict[str, Settings] = {}
    for service in SERVICE_NAMES:
        try:
            settings[service] = Settings.from_env(service, env)
        except SettingsError as exc:
            findings.append(Finding(False, f"settings of {service}", str(exc),
                                    "set the variable named above (see README.md)"))  # fmt: skip
    if not settings:
        return findings
    first = next(iter(settings.values()))
    findings.append(_kafka(first.kafka_bootstrap))
    database = _database(first.database_url)
    findings.append(database)
    if database.ok:
        findings.append(_clock(first.database_url))
        for service, service_settings in settings.items():
            findings += _log_health(service, service_settings)
    for service in SERVICE_NAMES:
        url = env.get(f"{service.upper()}_URL")
        if url:
            findings.append(_ready(service, url))
    return findings


def _kafka(bootstrap: str) -> Finding:
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=2):
                return Finding(True, "Kafka broker", f"{server} answers")
        except OSError as exc:
            reason = str(exc)
    return Finding(False, "Kafka broker", f"{bootstrap} does not answer ({reason})",
                   "start the broker (`actnow stack up`, or `docker compose up kafka`) and"
                   " check KAFKA_BOOTSTRAP")  # fmt: skip


def _database(url: str) -> Finding:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        return Finding(True, "PostgreSQL", f"version {version[0] if version else '?'} answers")
    except psycopg.Error as exc:
        fix = "start PostgreSQL and check DATABASE_URL / DATABASE_PASSWORD_FILE"
        return Finding(False, "PostgreSQL", f"cannot connect: {str(exc).strip()[:200]}", fix)


def _clock(url: str) -> Finding:
    with psycopg.connect(url, connect_timeout=3) as conn:
        row = conn.execute("SELECT now()").fetchone()
    skew = abs((datetime.now(UTC) - row[0]).total_seconds()) if row else 0.0
    if skew > CLOCK_SKEW_LIMIT:
        fix = "enable time synchronisation (systemd-timesyncd or chrony) on both"
        return Finding(False, "clock", f"this host and PostgreSQL differ by {skew:.1f} s", fix)
    return Finding(True, "clock", f"within {skew:.2f} s of PostgreSQL")


def _log_health(service: str, settings: Settings) -> list[Finding]:
    q = sql.Identifier(settings.schema)
    try:
        with psycopg.connect(settings.database_url, connect_timeout=3) as conn:
            size = conn.execute(sql.SQL("SELECT size FROM {}.log_head").format(q)).fetchone()
            relayed = conn.execute(
                sql.SQL("SELECT max(log_index), max(heartbeat_at) FROM {}.relay_position"
                        " WHERE topic LIKE %s").format(q), ("%.events",)).fetchone()  # fmt: skip
            checkpoint = conn.execute(
                sql.SQL("SELECT max(size), max(signed_at) FROM {}.checkpoints").format(q)
            ).fetchone()
            projections = conn.execute(
                sql.SQL("SELECT projection, lag, heartbeat_at FROM {}.projection_generations"
                        " WHERE state IN ('live', 'building')").format(q)).fetchall()  # fmt: skip
    except psycopg.Error as exc:
        return [Finding(False, f"{service} log", f"cannot read: {str(exc).strip()[:160]}",
                        "run `actnow db migrate`")]  # fmt: skip
    head = int(size[0]) if size else 0
    now = datetime.now(UTC)
    found = [_relay(service, head, relayed, now), _checkpoint(service, head, checkpoint, now)]
    for name, lag, beat in projections:
        age = (now - beat).total_seconds() if beat else None
        healthy = age is not None and age < HEARTBEAT_LIMIT and (lag or 0) < PROJECTION_LAG_LIMIT
        detail = f"lag {lag}, last report {age:.0f} s ago" if age is not None else (
            "has never reported")  # fmt: skip
        fix = "" if healthy else f"look at the {service}-worker log; restart it"
        found.append(Finding(healthy, f"{service} projection {name}", detail, fix))
    return found


def _relay(service: str, head: int, relayed: tuple | None, now: datetime) -> Finding:  # type: ignore[type-arg]
    position, beat = (relayed or (None, None))[:2]
    lag = head - int(position or 0)
    age = (now - beat).total_seconds() if beat else None
    healthy = age is not None and age < HEARTBEAT_LIMIT and lag < RELAY_LAG_LIMIT
    detail = (f"{lag} of {head} events not yet on Kafka, last report {age:.0f} s ago"
              if age is not None else "the relay has never reported")  # fmt: skip
    fix = "" if healthy else f"start or restart the {service}-worker; check Kafka"
    return Finding(healthy, f"{service} relay", detail, fix)


def _checkpoint(service: str, head: int, checkpoint: tuple | None, now: datetime) -> Finding:  # type: ignore[type-arg]
    size, signed_at = (checkpoint or (None, None))[:2]
    if head == 0:
        return Finding(True, f"{service} checkpoint", "the log is empty")
    if signed_at is None:
        fix = f"the {service}-worker signs them: check its log and CHECKPOINT_KEY_FILE"
        return Finding(False, f"{service} checkpoint", "no checkpoint signed yet", fix)
    age = (now - signed_at).total_seconds()
    stale = size < head and age > CHECKPOINT_AGE_LIMIT
    fix = f"the {service}-worker's signer is behind: check its log" if stale else ""
    detail = f"covers {size} of {head} events, signed {age:.0f} s ago"
    return Finding(not stale, f"{service} checkpoint", detail, fix)


def _ready(service: str, url: str) -> Finding:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5):
            return Finding(True, f"{service} service", f"{url} is ready")
    except urllib.error.HTTPError as exc:
        try:
            checks = json.loads(exc.read()).get("checks", {})
        except ValueError:
            checks = {}
        failing = "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        return Finding(False, f"{service} service", f"not ready: {failing or exc}",
                       f"fix what it names; the {service} log says more")  # fmt: skip
    except OSError as exc:
        return Finding(False, f"{service} service", f"{url} does not answer ({exc})",
                       f"start it (`actnow stack up`) and check {service.upper()}_URL")  # fmt: skip


def report(findings: list[Finding], echo: Callable[[str], None]) -> bool:
    for finding in findings:
        mark = "ok  " if finding.ok else "FIX "
        echo(f"{mark} {finding.what}: {finding.detail}")
        if finding.fix:
            echo(f"     -> {finding.fix}")
    return all(f.ok for f in findings)
