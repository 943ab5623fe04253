"""`actnow`, the one operator command: the local stack, migrations, demo data."""

from __future__ import annotations

import importlib
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any

import click
import psycopg
from psycopg import sql

from services.identity.app import key_ring
from services.identity.bootstrap import Operator
from services.identity.credentials import Credentials
from services.identity.demo import DEMO_PASSWORD, load_people
from services.identity.directory import User
from services.identity.events import COUNTRIES, ORGANISATION_TYPES
from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.demo import load_assessments, load_cycles
from services.indicators.events import REGIONAL_ASSESSMENTS, REGIONAL_VALUES
from services.intake import demo as intake_demo
from services.intake.importing import read_upload, validate_batch
from services.intake.importing.recording import record_batch
from services.intake.persons import PersonVault, linkage_secret
from services.registry import REGISTRY
from services.reporting.api import Reporting
from services.reporting.app import report_signer
from services.reporting.demo import PERIOD as REPORT_PERIOD
from services.reporting.demo import load_follow_ups, load_reports
from services.reporting.verification import Step, verify_report
from services.reporting.workflow import report_from, report_stream
from shared.auth import REGIONAL, Grant
from shared.backbone.checkpoints import CheckpointSigner, verifier_from_string
from shared.backbone.envelope import Actor
from shared.backbone.projections import start_rebuild
from shared.backbone.store import EventStore
from shared.backbone.tamper import issue_checkpoint, latest_checkpoint, verify
from shared.backup import backup, restore
from shared.db import MigrationError, create_pool, migrate, service_migrations
from shared.doctor import diagnose
from shared.doctor import report as doctor_report
from shared.errors import Problem
from shared.revocations import Revocations
from shared.settings import SERVICE_NAMES, WEB, Settings, SettingsError, database_url_from_env
from shared.stack.hub import HubStack
from shared.stack.processes import StackError, wait_until
from shared.stack.stack import Stack, StackConfig, with_stack_defaults


def operator_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Problems the operator can fix end in one clear sentence and exit 1, never a stack trace."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (StackError, SettingsError, MigrationError) as exc:
            click.secho(f"actnow: {exc}", fg="red", err=True)
            sys.exit(1)
        except Problem as problem:
            fields = "; ".join(
                f"{name}: {_messages(msgs)}" for name, msgs in problem.errors.items()
            )
            click.secho(f"actnow: {problem}" + (f" ({fields})" if fields else ""), fg="red",
                        err=True)  # fmt: skip
            sys.exit(1)

    return wrapper


def _messages(messages: Any) -> str:
    return " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)


class _NoCheckpoint:
    class checkpoint:
        size = 0


_NONE = _NoCheckpoint()


def _signed_size(store: EventStore) -> int:
    latest = latest_checkpoint(store)
    return latest.checkpoint.size if latest else 0


def _log_signed(service: str, seconds: float = 60) -> bool:
    """Whether a signed checkpoint covers the service's log as it is now, within `seconds`."""
    settings = Settings.from_env(service, with_stack_defaults())
    with create_pool(settings.database_url, 1, name="actnow-demo") as pool:
        store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
        size = store.head().size
        return wait_until(lambda: _signed_size(store) >= size, seconds, 0.5)


def _regional_figures_published(countries: list[str], period: str, seconds: float = 240) -> bool:
    """Whether, within `seconds`, the indicators worker has published every country's values for
    the period and the confirmed assessment scores loaded just before: the regional report is
    made from what the regional topic carries, so it waits for them."""
    settings = Settings.from_env("indicators", with_stack_defaults())
    query = sql.SQL("SELECT event_type, count(DISTINCT body->>'country') FROM"
                    " (SELECT event_type, convert_from(payload, 'UTF8')::jsonb AS body"
                    "  FROM {}.events WHERE event_type = ANY(%s)) AS regional"
                    " WHERE coalesce(body->>'period', body->>'year') = %s GROUP BY event_type"
                    ).format(sql.Identifier(settings.schema))  # fmt: skip
    wanted = [REGIONAL_VALUES, REGIONAL_ASSESSMENTS]

    def published() -> bool:
        with psycopg.connect(settings.database_url) as conn:
            found = dict(conn.execute(query, (wanted, period)).fetchall())
        return all(found.get(kind, 0) >= len(countries) for kind in wanted)

    return wait_until(published, seconds, 1.0)


@click.group()
def main() -> None:
    """Operate the ACT Now Monitoring Tool."""


@main.group()
def stack() -> None:
    """The local stack: PostgreSQL, Kafka and the four services, without Docker."""


@stack.command("up")
@click.option("--hub", is_flag=True, help="also the regional hub: its Kafka cluster,"
              " MirrorMaker 2 and its indicators service")  # fmt: skip
@operator_errors
def stack_up(hub: bool) -> None:
    """Start (or reuse) everything and wait until each part is ready."""
    current = Stack(StackConfig.from_env())
    current.up(echo=click.echo)
    if hub:
        HubStack(current).up(echo=click.echo)
    click.echo(f"ready; connection settings in {current.config.env_file}")


@stack.command("status")
@operator_errors
def stack_status() -> None:
    """Show what runs, with PIDs and ports."""
    current = Stack(StackConfig.from_env())
    rows = current.status()
    hub = HubStack(current)
    if hub.running():
        rows += hub.status()
    click.echo(f"{'component':<18} {'state':<8} {'pid':>7} {'port':>6}  address")
    for row in rows:
        state = "running" if row.running else "stopped"
        port = row.port or "-"
        click.echo(f"{row.name:<18} {state:<8} {row.pid or '-':>7} {port:>6}  {row.address}")
    if not all(row.running for row in rows):
        sys.exit(3)


@stack.command("down")
@operator_errors
def stack_down() -> None:
    """Stop exactly what `stack up` started, by PID."""
    current = Stack(StackConfig.from_env())
    HubStack(current).down(echo=click.echo)
    current.down(echo=click.echo)
    click.echo("stopped")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("migrate")
@click.option("--service", "services", multiple=True, type=click.Choice(SERVICE_NAMES))
@operator_errors
def db_migrate(services: tuple[str, ...]) -> None:
    """Apply pending migrations to each service's schema (DATABASE_URL, DATABASE_PASSWORD_FILE)."""
    database_url = database_url_from_env(os.environ)
    for service in services or SERVICE_NAMES:
        applied = migrate(database_url, service, service_migrations(service))
        click.echo(f"{service}: {', '.join(applied) if applied else 'up to date'}")


@main.group()
def audit() -> None:
    """Check the recorded history."""


@audit.command("verify-log")
@click.option("--service", required=True, type=click.Choice(SERVICE_NAMES))
@click.option(
    "--verifier",
    help="the signer's public key as a verifier string (NAME+ID+KEY); "
    "default: derived from the service's checkpoint key file",
)
@operator_errors
def audit_verify_log(service: str, verifier: str | None) -> None:
    """Recompute a service's event log and check it against its latest signed checkpoint."""
    settings = Settings.from_env(service, with_stack_defaults())
    if verifier:
        trusted = verifier_from_string(verifier)
    elif settings.checkpoint_key_file.exists():
        signer = CheckpointSigner.from_key_file(settings.origin, settings.checkpoint_key_file)
        trusted = signer.verifier
    else:
        raise StackError(
            f"No checkpoint key at {settings.checkpoint_key_file}; pass the signer's --verifier."
        )
    pool = create_pool(settings.database_url, 2, name="audit")
    try:
        store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
        latest = latest_checkpoint(store)
        report = verify(
            store, latest.note if latest else None, (trusted.key_name, trusted.public_key)
        )
    finally:
        pool.close()
    against = f"checkpoint of size {latest.checkpoint.size}" if latest else "no checkpoint yet"
    click.echo(
        f"{settings.origin}: {report.events_checked} events checked against {against} "
        f"in {report.seconds:.2f} s"
    )
    for problem in report.problems:
        click.secho(f"  - {problem}", fg="red")
    if not report.ok:
        sys.exit(1)
    click.echo("verified: no event was changed")


@audit.command("privacy")
@click.option("--bootstrap", help="the hub's Kafka: every topic there is scanned")
@operator_errors
def audit_privacy(bootstrap: str | None) -> None:
    """Read every record on every topic of the hub's Kafka (or, without --bootstrap, the
    regional topics of this stack's Kafka: what MirrorMaker copies to the hub) and check that
    nothing case-level, personal or below its disclosure threshold is there."""
    from services.indicators.catalogue import SEED_PATH, load_catalogue
    from services.indicators.privacy import read_all, scan

    env = with_stack_defaults()
    records = read_all(bootstrap) if bootstrap else None
    if records is None:
        national = env.get("KAFKA_BOOTSTRAP", "")
        if not national:
            raise click.ClickException("no Kafka to scan: give --bootstrap or start the stack")
        records = read_all(national, lambda topic: topic.endswith(".regional"))
    disclosure = load_catalogue(SEED_PATH).disclosure
    result = scan(records, REGISTRY, disclosure.min_cell, disclosure.k_cross)
    for topic, count in sorted(result.by_topic.items()):
        click.echo(f"  {topic:<40} {count:>8} records")
    for finding in result.findings[:50]:
        click.secho(f"  FINDING {finding}", fg="red")
    click.echo(f"{result.records} records on {len(result.by_topic)} topics scanned;"
               f" {len(result.findings)} findings")  # fmt: skip
    if not result.clean:
        raise SystemExit(1)


@audit.command("verify-report")
@click.argument("report_id")
@operator_errors
def audit_verify_report(report_id: str) -> None:
    """Re-derive a published report from its pinned basis: signatures, checkpoints, consistency
    proofs, replay from Kafka, recomputed values, re-rendered outputs, stored bytes."""
    settings = Settings.from_env("reporting", with_stack_defaults())
    identity = Settings.from_env("identity", with_stack_defaults())
    # the operator asks the services as an auditor, with a token signed on this host
    auditor = [{"role": "auditor", "scope": REGIONAL}]
    token = key_ring(identity).sign({"sub": "operator", "org": "", "grants": auditor})
    pool = create_pool(settings.database_url, 2, name="actnow-audit")
    try:
        context = Reporting(settings, pool, EventStore(pool, settings.schema, settings.origin,
                            REGISTRY), load_catalogue(SEED_PATH), report_signer(settings),
                            REGISTRY)  # fmt: skip
        report = report_from(context.store.read_stream(report_stream(report_id)))
        if report is None:
            raise click.BadParameter(f"there is no report {report_id!r}", param_hint="REPORT_ID")

        def shown(step: Step) -> None:
            mark = click.style("ok  ", fg="green") if step.ok else click.style("FAIL", fg="red")
            click.echo(f"  {mark} {step.name}: {step.detail}")

        click.echo(f"verifying report {report_id}, version {report.version} ({report.title})")
        verdict = verify_report(context, report, token, echo=shown)
    finally:
        pool.close()
    if not verdict.ok:
        click.secho("NOT VERIFIED: see the failing steps above", fg="red", bold=True)
        sys.exit(1)
    click.secho("VERIFIED: the published report re-derives from its pinned basis", fg="green")


@main.command("replay")
@click.argument("projection")
@click.option("--service", required=True, type=click.Choice(SERVICE_NAMES))
@click.option("--timeout", default=3600, show_default=True, help="seconds to wait")
@operator_errors
def replay_command(projection: str, service: str, timeout: int) -> None:
    """Rebuild a projection blue/green: the service's worker builds a new generation from
    offset 0 beside the live one, and the read side switches when it has caught up."""
    settings = Settings.from_env(service, with_stack_defaults())
    q = sql.Identifier(settings.schema)
    module = importlib.import_module(f"services.{service}.worker")
    known = {p.name: p for p in [Revocations(settings.events_topic("identity")),
                                 *module.projections(settings)]}  # fmt: skip
    if projection not in known:
        raise click.BadParameter(f"{service} has the projections {', '.join(sorted(known))}",
                                 param_hint="PROJECTION")  # fmt: skip
    pool = create_pool(settings.database_url, 2, name="actnow-replay")
    try:
        generation = start_rebuild(pool, settings.schema, known[projection]).number
    finally:
        pool.close()
    click.echo(f"generation {generation} of {projection} is being built by the {service}"
               " worker; the live one serves meanwhile")  # fmt: skip
    started = time.monotonic()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        while time.monotonic() - started < timeout:
            state, lag = conn.execute(sql.SQL(
                "SELECT state, lag FROM {}.projection_generations WHERE projection = %s"
                " AND generation = %s").format(q), (projection, generation)).fetchone()  # fmt: skip
            click.echo(f"\r  {state}: {lag if lag is not None else '?'} records behind   ",
                       nl=False)  # fmt: skip
            if state == "live":
                click.echo(f"\ngeneration {generation} is live after"
                           f" {time.monotonic() - started:.0f} s")  # fmt: skip
                return
            time.sleep(1)
    click.secho("\nnot live yet: is the worker running? (`actnow stack status`)", fg="red")
    sys.exit(1)


@main.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@operator_errors
def backup_command(folder: Path) -> None:
    """Back up the node: a PostgreSQL dump and every record of its topics, with checksums."""
    settings = Settings.from_env("intake", with_stack_defaults())
    click.echo(f"backing up node {settings.node} into {folder}")
    manifest = backup(settings.database_url, settings.kafka_bootstrap, settings.topic_prefix,
                      settings.node, folder, echo=click.echo)  # fmt: skip
    click.echo(f"done: {len(manifest['topics'])} topics; checksums in {folder / 'SHA256SUMS'}")


@main.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@operator_errors
def restore_command(folder: Path) -> None:
    """Restore a backup into this node's database and an empty broker, after checking every
    checksum; then run `actnow doctor`."""
    settings = Settings.from_env("intake", with_stack_defaults())
    restore(settings.database_url, settings.kafka_bootstrap, folder, echo=click.echo)
    click.echo("restored; check with `actnow doctor` and `actnow audit verify-log`")


@main.command("export")
@click.argument("country")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "htcds"]), default="csv",
              show_default=True)  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@operator_errors
def export_command(country: str, fmt: str, out: Path) -> None:
    """Export a country's case records (no direct identifiers) as CSV, XLSX or the HTCDS Excel
    template, through the intake API as the operator; every exported case is in the access
    log."""
    identity = Settings.from_env("identity", with_stack_defaults())
    grant = [{"role": "monitor", "scope": country.upper()}]
    token = key_ring(identity).sign({"sub": "operator", "org": "", "grants": grant})
    url = (f"{StackConfig.from_env().service_url('intake')}/api/v1/cases/export"
           f"?country={country.upper()}&format={fmt}")  # fmt: skip
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            out.write_bytes(answer.read())
    except urllib.error.HTTPError as exc:
        raise StackError(f"the intake service refused the export: {exc.read()[:300]!r}") from exc
    except OSError as exc:
        raise StackError(f"the intake service does not answer at {url}: {exc}") from exc
    click.echo(f"wrote {out} ({out.stat().st_size:,} bytes)")


@main.command("checkpoint")
@click.option("--service", "services", multiple=True, type=click.Choice(SERVICE_NAMES))
@operator_errors
def checkpoint_command(services: tuple[str, ...]) -> None:
    """Sign a checkpoint of each service's log now (the workers do it every interval)."""
    for service in services or SERVICE_NAMES:
        settings = Settings.from_env(service, with_stack_defaults())
        signer = CheckpointSigner.from_key_file(settings.origin, settings.checkpoint_key_file)
        pool = create_pool(settings.database_url, 1, name="actnow-checkpoint")
        try:
            store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
            signed = issue_checkpoint(store, signer)
            latest = signed or latest_checkpoint(store)
        finally:
            pool.close()
        state = "signed now" if signed else "already signed"
        size = latest.checkpoint.size if latest else 0
        click.echo(f"{settings.origin}: {state}, size {size}")


@main.command("doctor")
def doctor_command() -> None:
    """Check settings, PostgreSQL, Kafka, the services, relay and projection lags, checkpoint
    age and the clock; say what to fix. Exits 1 when something needs fixing."""
    findings = diagnose(with_stack_defaults())
    if doctor_report(findings, click.echo):
        click.secho("healthy", fg="green")
        return
    click.secho(f"{sum(not f.ok for f in findings)} things to fix (marked FIX above)", fg="red")
    sys.exit(1)


@main.group()
def demo() -> None:
    """Demo data for the five countries."""


@demo.command("load")
@operator_errors
def demo_load() -> None:
    """Load the demo data into the running stack (again: it is found, not duplicated)."""
    with identity_operator() as operator:
        logins = load_people(operator)
    intake_settings = Settings.from_env("intake", with_stack_defaults())
    pool = create_pool(intake_settings.database_url, 2, name="actnow-demo")
    try:
        store = EventStore(pool, intake_settings.schema, intake_settings.origin, REGISTRY)
        countries = [c for c in intake_demo.CASES_PER_YEAR if c in intake_settings.countries]
        loaded = intake_demo.load(store, countries, date.today())
        again = f"; {loaded.already_there} were already there" if loaded.already_there else ""
        click.echo(f"demo cases: {loaded.cases} cases ({loaded.events} events) and"
                   f" {loaded.submissions} aggregate submissions for {', '.join(countries)},"
                   f" {intake_demo.YEARS[0]}-{intake_demo.YEARS[-1]}{again}")  # fmt: skip
        # the reports pin the intake log's signed checkpoint: wait until it covers the demo
        size = store.head().size
        signed = wait_until(lambda: _signed_size(store) >= size, 60, 0.5)
    finally:
        pool.close()
    config = StackConfig.from_env()
    click.echo("demo assessments (scored by the monitors, reviewed by the reviewers):")
    load_assessments(config.service_url("identity"), config.service_url("indicators"),
                     countries, DEMO_PASSWORD, echo=click.echo)  # fmt: skip
    signed = signed and _log_signed("indicators")  # the reports pin its checkpoint too
    if signed and not _regional_figures_published(countries, REPORT_PERIOD):
        click.secho("demo regional report: not every country's regional figures were published"
                    " within 240 s; the regional report shows the countries that were",
                    fg="yellow")  # fmt: skip
    if signed:
        click.echo("demo reports (drafted, reviewed, approved and published through the API):")
        load_reports(config.service_url("identity"), config.service_url("reporting"),
                     countries, DEMO_PASSWORD, echo=click.echo)  # fmt: skip
        load_follow_ups(config.service_url("identity"), config.service_url("reporting"),
                        countries, DEMO_PASSWORD, echo=click.echo)  # fmt: skip
    else:
        click.secho("demo reports: skipped, a log was not signed within 60 s (are the"
                    " workers running? `actnow stack status`)", fg="yellow")  # fmt: skip
    load_cycles(config.service_url("identity"), config.service_url("indicators"), countries,
                DEMO_PASSWORD, echo=click.echo)  # fmt: skip
    click.echo(f"demo people: {len(logins)} users; sign in with password {DEMO_PASSWORD!r}:")
    for login in logins:
        click.echo(f"  {login.username:<15} {login.role:<17} {login.scope:<9} {login.organisation}")


# --- users --------------------------------------------------------------------------------
@contextmanager
def identity_operator() -> Iterator[Operator]:
    settings = Settings.from_env("identity", with_stack_defaults())
    pool = create_pool(settings.database_url, 2, name="actnow-cli")
    try:
        store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
        yield Operator(store, Credentials(pool, settings.schema))
    finally:
        pool.close()


def _password(password_file: str | None) -> str:
    if password_file:
        return Path(password_file).read_text().strip()
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _grant(text: str) -> Grant:
    role, _, scope = text.partition(":")
    if not scope:
        raise click.BadParameter(f"{text!r}: write ROLE:SCOPE, e.g. monitor:MK or auditor:regional")
    return Grant(role, scope if scope == REGIONAL else scope.upper())


def _show(user: User) -> None:
    grants = ", ".join(f"{g.role}:{g.scope}" for g in sorted(user.grants, key=str)) or "no roles"
    state = "active" if user.active else "deactivated"
    click.echo(f"{user.username} ({user.display_name}, {user.country}, {state}): {grants}")


@main.group()
def users() -> None:
    """Organisations, users and roles (acting as the platform, on this host)."""


@users.command("create-admin")
@click.option("--username", required=True)
@click.option("--display-name", default="Platform administrator")
@click.option("--organisation", "organisation_name", default="BAN regional hub")
@click.option("--country", default="RS", type=click.Choice(COUNTRIES, case_sensitive=False))
@click.option("--password-file", help="read the password from this file instead of a prompt")
@operator_errors
def users_create_admin(username: str, display_name: str, organisation_name: str, country: str,
                       password_file: str | None) -> None:  # fmt: skip
    """The first platform administrator, in the hub's organisation."""
    with identity_operator() as operator:
        organisation = operator.organisation(organisation_name, country.upper(), "regional_hub")
        user = operator.add_user(organisation, username, display_name, _password(password_file),
                                 [Grant("platform_admin", REGIONAL)])  # fmt: skip
    _show(user)


@users.command("add-organisation")
@click.option("--name", required=True)
@click.option("--country", required=True, type=click.Choice(COUNTRIES, case_sensitive=False))
@click.option("--type", "type_", required=True, type=click.Choice(ORGANISATION_TYPES))
@operator_errors
def users_add_organisation(name: str, country: str, type_: str) -> None:
    """Register an organisation (found again, not duplicated, for the same country and name)."""
    with identity_operator() as operator:
        organisation = operator.organisation(name, country.upper(), type_)
    click.echo(f"{organisation.organisation_id}  {organisation.name} ({organisation.country})")


@users.command("add")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--organisation-id", required=True, type=click.UUID)
@click.option("--role", "roles", multiple=True, help="ROLE:SCOPE, e.g. monitor:MK (repeatable)")
@click.option("--password-file", help="read the password from this file instead of a prompt")
@operator_errors
def users_add(username: str, display_name: str, organisation_id: Any, roles: tuple[str, ...],
              password_file: str | None) -> None:  # fmt: skip
    """Register a user of an organisation with roles."""
    with identity_operator() as operator:
        organisation = operator.find_organisation(organisation_id)
        if organisation is None:
            raise click.BadParameter(
                f"no organisation {organisation_id}", param_hint="--organisation-id"
            )
        user = operator.add_user(organisation, username, display_name, _password(password_file),
                                 [_grant(role) for role in roles])  # fmt: skip
    _show(user)


@users.command("grant")
@click.argument("username")
@click.argument("role_scope", metavar="ROLE:SCOPE")
@operator_errors
def users_grant(username: str, role_scope: str) -> None:
    """Grant a role for a country (or regional)."""
    with identity_operator() as operator:
        _show(operator.grant(username, _grant(role_scope)))


@users.command("revoke")
@click.argument("username")
@click.argument("role_scope", metavar="ROLE:SCOPE")
@operator_errors
def users_revoke(username: str, role_scope: str) -> None:
    """Revoke a role; the user's tokens carrying it stop working in every service."""
    with identity_operator() as operator:
        _show(operator.revoke(username, _grant(role_scope)))


@users.command("deactivate")
@click.argument("username")
@click.option("--reason", required=True)
@operator_errors
def users_deactivate(username: str, reason: str) -> None:
    """Deactivate a user: sign-in refused, tokens and sessions end everywhere within a minute."""
    with identity_operator() as operator:
        _show(operator.deactivate(username, reason))


@users.command("reactivate")
@click.argument("username")
@operator_errors
def users_reactivate(username: str) -> None:
    with identity_operator() as operator:
        _show(operator.reactivate(username))


@users.command("set-password")
@click.argument("username")
@click.option("--password-file", help="read the password from this file instead of a prompt")
@operator_errors
def users_set_password(username: str, password_file: str | None) -> None:
    """Set a user's password; their sessions end."""
    with identity_operator() as operator:
        _show(operator.set_password(username, _password(password_file)))


@users.command("show")
@click.argument("username")
@operator_errors
def users_show(username: str) -> None:
    with identity_operator() as operator:
        user = operator.user(username)
    if user is None:
        raise click.BadParameter(f"there is no user {username!r}", param_hint="USERNAME")
    _show(user)


@main.group()
def intake() -> None:
    """Case records: imports and erasure (on this host, as the operator)."""


@contextmanager
def intake_context() -> Iterator[tuple[Settings, EventStore, PersonVault]]:
    settings = Settings.from_env("intake", with_stack_defaults())
    pool = create_pool(settings.database_url, 2, name="actnow-cli")
    try:
        store = EventStore(pool, settings.schema, settings.origin, REGISTRY)
        vault = PersonVault(pool, settings.schema, linkage_secret(settings.linkage_key_file))
        yield settings, store, vault
    finally:
        pool.close()


@intake.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--country", help="the country of the cases (default: the node's only one)")
@click.option("--commit", is_flag=True, help="import (all rows or none); without it, a dry run")
@operator_errors
def intake_import(file: Path, country: str | None, commit: bool) -> None:
    """Import an HTCDS Excel workbook or XLSForm submissions JSON: a dry run lists every row's
    errors; --commit imports all rows or none."""
    with intake_context() as (settings, store, vault):
        chosen = (
            country or (settings.countries[0] if len(settings.countries) == 1 else "")
        ).upper()
        if chosen not in settings.countries:
            raise click.BadParameter(
                f"one of {', '.join(settings.countries)}", param_hint="--country"
            )
        with click.progressbar(length=1, label="reading") as bar:

            def shown(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            batch = validate_batch(read_upload(file.read_bytes(), progress=shown), date.today())
        click.echo(f"{file.name}: {batch.format}, {len(batch.rows)} rows,"
                   f" {len(batch.rows_with_errors)} with errors")  # fmt: skip
        for row in batch.rows_with_errors:
            for field, messages in row.errors.items():
                click.echo(f"  row {row.number}: {field}: {' '.join(messages)}")
        for column, reason in batch.ignored_columns.items():
            click.echo(f"  not imported: {column} ({reason})")
        if not commit:
            click.echo("dry run: nothing recorded (add --commit to import)")
            return
        if not batch.ok:
            click.secho("nothing imported: fix the rows above first", fg="red", err=True)
            sys.exit(1)
        context = {"actor": Actor(user="operator")}
        with click.progressbar(length=len(batch.rows), label="recording") as bar:
            recorded = record_batch(store, vault, batch, chosen, date.today(),
                                    progress=lambda done, _: bar.update(done - bar.pos),
                                    **context)  # fmt: skip
    click.echo(f"imported {len(recorded.cases)} cases ({recorded.events} events),"
               f" {recorded.linked} linked to persons already recorded")  # fmt: skip


@intake.command("erase")
@click.argument("person_id", type=click.UUID)
@click.option("--reason", required=True,
              type=click.Choice(["DataSubjectRequest", "RetentionExpired", "RecordedInError",
                                 "Other"]))  # fmt: skip
@operator_errors
def intake_erase(person_id: Any, reason: str) -> None:
    """Erase a person: their identifiers' key and linkage hashes are deleted and PersonErased
    is recorded on their case; the log still verifies."""
    with intake_context() as (_, store, vault):
        case_id = vault.case_of(str(person_id))
        if case_id is None:
            raise click.BadParameter(
                "no identifiers are held for this person", param_hint="PERSON_ID"
            )
        vault.erase(
            store, str(person_id), case_id, reason, "operator", actor=Actor(user="operator")
        )
    click.echo(f"erased person {person_id} (case {case_id}): identifiers unreadable, hashes gone")


@main.group()
def keys() -> None:
    """Signing keys."""


@keys.command("rotate")
@operator_errors
def keys_rotate() -> None:
    """Rotate the identity service's token signing key (published now, signing shortly; the old
    key stays published until its tokens have expired)."""
    settings = Settings.from_env("identity", with_stack_defaults())
    ring = key_ring(settings)
    new = ring.rotate()
    signs_from = new.created_at + ring.activation_delay
    click.echo(f"new key {new.kid} signs from {signs_from:%H:%M:%S} UTC;"
               f" {len(ring.published())} keys published")  # fmt: skip


@demo.command("urls")
@operator_errors
def demo_urls() -> None:
    """Print the address to open, and the services' APIs for developers."""
    config = StackConfig.from_env()
    click.echo(f"\nOpen {config.service_url(WEB)}/ and sign in as one of the users above"
               f" (password {DEMO_PASSWORD}).\n")  # fmt: skip
    click.echo("The services' APIs, for developers:")
    for service in SERVICE_NAMES:
        url = config.service_url(service)
        click.echo(f"  {service:<11} {url}/openapi.json   {url}/readyz")


if __name__ == "__main__":
    main()
