"""The one settings object every service and tool reads, parsed from environment variables once.

A missing or malformed variable fails at start with a message that names it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import make_conninfo

SERVICE_NAMES = ("identity", "intake", "indicators", "reporting")
# the front service: the web pages people use, over the four services' APIs; no data of its own
WEB = "web"
# ISO 3166-1 alpha-2 of the five partner countries plus Kosovo's user-assigned XK, or the hub
NODE_PATTERN = re.compile(r"^(al|ba|me|mk|rs|xk|hub)$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


@dataclass(frozen=True)
class Settings:
    service: str
    node: str
    database_url: str
    kafka_bootstrap: str
    log_level: str = "INFO"
    db_pool_max: int = 8
    state_dir: Path = Path(".local")
    checkpoint_key_file: Path = Path(".local/keys/checkpoint.key")
    checkpoint_interval: float = 10.0
    kafka_partitions: int = 3
    # where the identity service publishes its token keys; endpoints that need a role need it
    jwks_url: str | None = None
    # prepended to every topic name: lets test runs (or several deployments) share a broker
    topic_prefix: str = ""
    # session cookies are sent over HTTPS only; browsers treat http://localhost as secure too
    cookie_secure: bool = True
    # the identity worker starts signing with a new token key this often
    key_rotation_days: int = 30
    # the countries whose cases this node records: its own, or several on a demo stack
    countries: tuple[str, ...] = ()
    # where the other services of this node answer (INTAKE_URL, ...): reporting asks them for
    # their signed checkpoints and proofs
    service_urls: tuple[tuple[str, str], ...] = ()
    # the nodes whose regional topics this node's indicators service reads (the hub: all)
    regional_sources: tuple[str, ...] = ()
    # the national secret of the keyed linkage hashes (intake); made on first use
    linkage_key_file: Path = Path(".local/keys/linkage.key")

    @property
    def origin(self) -> str:
        """Names this service's log in events, topics and checkpoints: `<node>.<service>`."""
        return f"{self.node}.{self.service}"

    def service_url(self, service: str) -> str:
        found = dict(self.service_urls).get(service)
        if not found:
            raise SettingsError(
                f"environment variable {service.upper()}_URL is required but not set"
            )
        return found

    def events_topic(self, service: str | None = None) -> str:
        """The Kafka topic a service's log is relayed to on this node."""
        return f"{self.topic_prefix}{self.node}.{service or self.service}.events"

    @property
    def schema(self) -> str:
        """Each service keeps its tables in its own PostgreSQL schema, named after it."""
        return self.service

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        if service not in (*SERVICE_NAMES, WEB):
            raise SettingsError(
                f"unknown service {service!r}; expected one of {(*SERVICE_NAMES, WEB)}"
            )
        # the front service keeps nothing: it needs neither PostgreSQL nor Kafka
        needs_servers = service != WEB
        node = env.get("ACTNOW_NODE", "mk").lower()
        if not NODE_PATTERN.match(node):
            raise SettingsError(
                f"ACTNOW_NODE={node!r} is not a node: use al, ba, me, mk, rs, xk or hub"
            )
        state_dir = Path(env.get("ACTNOW_STATE_DIR", ".local"))
        return cls(
            service=service,
            node=node,
            database_url=database_url_from_env(env) if needs_servers else "",
            kafka_bootstrap=_required(env, "KAFKA_BOOTSTRAP") if needs_servers else "",
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            db_pool_max=_integer(env, "DB_POOL_MAX", 8),
            state_dir=state_dir,
            checkpoint_key_file=Path(
                env.get("CHECKPOINT_KEY_FILE", str(state_dir / "keys" / f"{node}.{service}.key"))
            ),
            checkpoint_interval=float(_integer(env, "CHECKPOINT_INTERVAL_SECONDS", 10)),
            kafka_partitions=_integer(env, "KAFKA_PARTITIONS", 3),
            jwks_url=env.get("IDENTITY_JWKS_URL") or None,
            topic_prefix=_topic_prefix(env),
            cookie_secure=_flag(env, "COOKIE_SECURE", True),
            key_rotation_days=_integer(env, "KEY_ROTATION_DAYS", 30),
            countries=_countries(env, node),
            regional_sources=_regional_sources(env, node),
            service_urls=tuple(
                (name, env[f"{name.upper()}_URL"].rstrip("/"))
                for name in SERVICE_NAMES
                if env.get(f"{name.upper()}_URL")
            ),
            linkage_key_file=Path(
                env.get("LINKAGE_KEY_FILE", str(state_dir / "keys" / f"{node}.linkage.key"))
            ),
        )


def database_url_from_env(env: Mapping[str, str]) -> str:
    """DATABASE_URL, with the password read from DATABASE_PASSWORD_FILE when that is set
    (container secrets are files; a password never needs to stand in the environment)."""
    url = _required(env, "DATABASE_URL")
    password_file = env.get("DATABASE_PASSWORD_FILE")
    if not password_file:
        return url
    try:
        password = Path(password_file).read_text().strip()
    except OSError as exc:
        raise SettingsError(
            f"environment variable DATABASE_PASSWORD_FILE={password_file!r} cannot be read: {exc}"
        ) from exc
    return make_conninfo(url, password=password)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required but not set")
    return value


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"environment variable {name}={raw!r} is not a whole number") from exc
    if value < 1:
        raise SettingsError(f"environment variable {name}={raw!r} must be at least 1")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"environment variable {name}={raw!r} must be true or false")


def _topic_prefix(env: Mapping[str, str]) -> str:
    prefix = env.get("KAFKA_TOPIC_PREFIX", "")
    if prefix and not re.fullmatch(r"[A-Za-z0-9._-]+", prefix):
        raise SettingsError(
            f"environment variable KAFKA_TOPIC_PREFIX={prefix!r} may hold only letters, digits,"
            " '.', '_' and '-'"
        )
    return prefix


def _countries(env: Mapping[str, str], node: str) -> tuple[str, ...]:
    raw = env.get("ACTNOW_COUNTRIES", "").strip()
    if not raw:
        return () if node == "hub" else (node.upper(),)
    countries = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
    bad = [c for c in countries if not NODE_PATTERN.match(c.lower()) or c == "HUB"]
    if bad:
        raise SettingsError(
            f"environment variable ACTNOW_COUNTRIES={raw!r} names {', '.join(bad)}: use AL, BA,"
            " ME, MK, RS or XK, separated by commas"
        )
    return countries


def _regional_sources(env: Mapping[str, str], node: str) -> tuple[str, ...]:
    default = "al,ba,me,mk,rs" if node == "hub" else ""
    raw = env.get("REGIONAL_SOURCES", default)
    sources = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    bad = [s for s in sources if not NODE_PATTERN.match(s) or s == "hub"]
    if bad:
        raise SettingsError(
            f"environment variable REGIONAL_SOURCES={raw!r} names {', '.join(bad)}: use node"
            " names such as mk, separated by commas"
        )
    return sources
