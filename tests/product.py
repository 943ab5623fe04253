"""The whole product for end-to-end tests: a local stack of its own with the demo data loaded.

PostgreSQL, Kafka, the four services with their workers and the web front start on free ports
with a temporary state folder, through the same `actnow stack up` and `actnow demo load` a
developer runs, so a developer's stack on the default ports (`.local`) is left alone. At the
end everything that was started is stopped and its data deleted, also when starting failed.

To run browser tests again and again without waiting for a new stack each time, start one with
`python -m tests.product --keep` and point ACTNOW_TEST_PRODUCT at the state folder it prints:
the tests then use that stack and leave it running.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from services.identity.demo import DEMO_PASSWORD
from shared.settings import SERVICE_NAMES, WEB
from shared.stack.postgres import LocalPostgres
from shared.stack.processes import free_port, pid_alive, read_pid, wait_until
from shared.stack.stack import DEFAULT_PORTS, ROOT, StackConfig, read_stack_env

REUSE_VARIABLE = "ACTNOW_TEST_PRODUCT"
# generous: on a busy two-core machine `stack up` took 3 minutes and the demo 18
UP_TIMEOUT = 600
DEMO_TIMEOUT = 1500

# what a developer's environment may say about their own stack: never inherited
STACK_VARIABLES = (
    "DATABASE_URL", "KAFKA_BOOTSTRAP", "IDENTITY_JWKS_URL", "ACTNOW_STATE_DIR", "ACTNOW_PG_DIR",
    *(f"{name.upper()}_URL" for name in (*SERVICE_NAMES, WEB)),
    *(f"ACTNOW_{name.upper()}_PORT" for name in DEFAULT_PORTS),
)  # fmt: skip


class ProductError(Exception):
    """The product stack did not start or the demo data did not load."""


@dataclass(frozen=True)
class Product:
    """Where the running product answers, and how to sign in to it."""

    web: str
    services: Mapping[str, str]
    password: str
    env: Mapping[str, str]  # the environment `actnow` commands need to reach this stack
    timings: Mapping[str, float] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return f"{self.web}{path}"


def free_ports(count: int) -> list[int]:
    """Distinct free ports, none of them a default port of a developer's stack."""
    taken = set(DEFAULT_PORTS.values())
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in taken:
            taken.add(port)
            ports.append(port)
    return ports


def clean_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in STACK_VARIABLES}


def product_environment(state_dir: Path) -> dict[str, str]:
    env = clean_environment()
    env.update({
        "ACTNOW_STATE_DIR": str(state_dir),
        "ACTNOW_NODE": "mk",
        "GUNICORN_WORKERS": "2",
        # the browser talks plain HTTP to 127.0.0.1
        "COOKIE_SECURE": "false",
    })  # fmt: skip
    ports = free_ports(len(DEFAULT_PORTS))
    env.update({f"ACTNOW_{name.upper()}_PORT": str(port)
                for name, port in zip(DEFAULT_PORTS, ports, strict=True)})  # fmt: skip
    return env


def actnow(env: Mapping[str, str], *args: str, timeout: float = 600) -> str:
    """Runs an `actnow` command against the product; its output, or ProductError."""
    run = subprocess.run(
        [sys.executable, "-m", "shared.cli", *args], cwd=ROOT, env=dict(env),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise ProductError(f"actnow {' '.join(args)} failed ({run.returncode}):\n"
                           f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}")  # fmt: skip
    return run.stdout


def product_of(state_dir: Path, base: Mapping[str, str] | None = None,
               timings: Mapping[str, float] | None = None) -> Product:  # fmt: skip
    """The product whose `actnow stack up` wrote its settings into state_dir."""
    base = clean_environment() if base is None else base
    env = {**base, **read_stack_env(state_dir / "stack.env")}
    return Product(
        web=env[f"{WEB.upper()}_URL"],
        services={name: env[f"{name.upper()}_URL"] for name in SERVICE_NAMES},
        password=DEMO_PASSWORD,
        env=env,
        timings=timings or {},
    )


@contextmanager
def running_product(echo: Callable[[str], None] = print) -> Iterator[Product]:
    """Starts the product with the demo data, yields it, and stops and deletes it; or yields
    the kept product ACTNOW_TEST_PRODUCT names, and leaves it running."""
    kept = os.environ.get(REUSE_VARIABLE)
    if kept:
        echo(f"product: reusing the stack of {kept} ({REUSE_VARIABLE})")
        if not (Path(kept) / "stack.env").exists():
            raise ProductError(f"{REUSE_VARIABLE}={kept}: no stack.env there; start a product"
                               " with `python -m tests.product --keep`")  # fmt: skip
        product = product_of(Path(kept))
        reload_web(Path(kept))
        if not wait_until(lambda: answers(product.url("/readyz")), 60, 0.5):
            raise ProductError(f"{REUSE_VARIABLE}={kept}: nothing answers at {product.web};"
                               " start one with `python -m tests.product --keep`")  # fmt: skip
        yield product
        return
    with started_product(echo) as product:
        yield product


@contextmanager
def started_product(echo: Callable[[str], None] = print, keep: bool = False) -> Iterator[Product]:
    """Starts the product with the demo data, yields it, and (unless kept) stops and deletes
    it, also when starting failed."""
    # not under pytest's temp folder: that is private to root and PostgreSQL runs as `postgres`
    state_dir = Path(tempfile.mkdtemp(prefix="actnow-product-"))
    state_dir.chmod(0o755)  # the cluster in state_dir/pg runs as `postgres` when we are root
    env = product_environment(state_dir)
    config = StackConfig.from_env(env)
    echo(f"product: starting a stack of its own with the demo data in {state_dir}")
    try:
        started = time.monotonic()
        actnow(env, "stack", "up", timeout=UP_TIMEOUT)
        up = time.monotonic() - started
        load_demo(env, echo)
        demo = time.monotonic() - started - up
        echo(f"product: stack up in {up:.0f} s, demo data loaded in {demo:.0f} s;"
             f" web at {config.service_url(WEB)}")  # fmt: skip
        yield product_of(state_dir, env, {"stack_up": up, "demo_load": demo})
    except BaseException:
        keep = False  # a half-started stack is never left behind
        raise
    finally:
        if not keep:
            _tear_down(env, config)


def reload_web(state_dir: Path) -> None:
    """The kept stack's web front restarts its workers, so it serves the pages as they are now
    (the tests compare with the page modules in the working tree)."""
    pid = read_pid(state_dir / "run" / f"{WEB}.pid")
    if pid_alive(pid):
        os.kill(pid, signal.SIGHUP)
        time.sleep(2)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def load_demo(env: Mapping[str, str], echo: Callable[[str], None]) -> None:
    try:
        actnow(env, "demo", "load", timeout=DEMO_TIMEOUT)
    except (ProductError, subprocess.TimeoutExpired) as error:
        # a second load finds what the first loaded and adds the rest (a report's publication
        # can outlast the loader's wait on a busy machine)
        echo(f"product: loading the demo again after: {str(error).strip().splitlines()[-1]}")
        actnow(env, "demo", "load", timeout=DEMO_TIMEOUT)


def _tear_down(env: Mapping[str, str], config: StackConfig) -> None:
    try:
        actnow(env, "stack", "down", timeout=120)
    except (ProductError, subprocess.TimeoutExpired) as error:
        print(f"product: stack down failed: {error}", file=sys.stderr)
    # also when down could not stop it; the path `Stack` uses without ACTNOW_PG_DIR, which is
    # never read from this process's environment (it may name a developer's own cluster)
    LocalPostgres(config.state_dir / "pg", config.ports["postgres"]).destroy()
    shutil.rmtree(config.state_dir, ignore_errors=True)


def main() -> None:
    """Starts a product for repeated test runs (--keep), or starts and stops one as a check."""
    keep = "--keep" in sys.argv[1:]
    with started_product(keep=keep) as product:
        print(f"web {product.web}; services {dict(product.services)}")
        if keep:
            state = product.env["ACTNOW_STATE_DIR"]
            print(f"kept running; use it: {REUSE_VARIABLE}={state} make test\n"
                  f"stop it: ACTNOW_STATE_DIR={state} .venv/bin/actnow stack down")  # fmt: skip


if __name__ == "__main__":
    main()
