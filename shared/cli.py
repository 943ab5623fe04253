"""`actnow`, the one operator command: the local stack, migrations, demo data."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from shared.backbone.checkpoints import CheckpointSigner, verifier_from_string
from shared.backbone.registry import REGISTRY
from shared.backbone.store import EventStore
from shared.backbone.tamper import latest_checkpoint, verify
from shared.db import MigrationError, create_pool, migrate, service_migrations
from shared.settings import SERVICE_NAMES, Settings, SettingsError, database_url_from_env
from shared.stack.processes import StackError
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

    return wrapper


@click.group()
def main() -> None:
    """Operate the ACT Now Monitoring Tool."""


@main.group()
def stack() -> None:
    """The local stack: PostgreSQL, Kafka and the four services, without Docker."""


@stack.command("up")
@operator_errors
def stack_up() -> None:
    """Start (or reuse) everything and wait until each part is ready."""
    current = Stack(StackConfig.from_env())
    current.up(echo=click.echo)
    click.echo(f"ready; connection settings in {current.config.env_file}")


@stack.command("status")
@operator_errors
def stack_status() -> None:
    """Show what runs, with PIDs and ports."""
    rows = Stack(StackConfig.from_env()).status()
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
    Stack(StackConfig.from_env()).down(echo=click.echo)
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


@main.group()
def demo() -> None:
    """Demo data for the five countries."""


@demo.command("load")
@operator_errors
def demo_load() -> None:
    """Load the demo data into the running stack."""
    # The services have no domain endpoints yet; each later capability adds its demo data here.
    click.echo("demo data: nothing to load yet (the services expose no domain endpoints so far)")


@demo.command("urls")
@operator_errors
def demo_urls() -> None:
    """Print the addresses to open."""
    config = StackConfig.from_env()
    for service in SERVICE_NAMES:
        url = config.service_url(service)
        click.echo(f"{service:<11} {url}/openapi.json   {url}/readyz")


if __name__ == "__main__":
    main()
