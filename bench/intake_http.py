"""Benchmark: case events accepted per second over HTTP by the intake service under gunicorn,
and latency at half that load (issue 5: target >= 1,000 events/s, p99 <= 50 ms at half load).

How: the local stack's servers (PostgreSQL, Kafka, identity for the JWKS; started if they are
not running), a database and topic prefix of the benchmark's own (dropped at the end, so the
demo's data stay as they are), an intake worker for it, and an intake gunicorn on port 8199
(2 workers x 4 threads by default, access log off). A token is signed with the identity
service's key ring, as a sign-in would give. Setup (not timed): `--cases` cases are opened. Then:

1. Throughput: `--connections` keep-alive connections each POST a `ServiceDelivered` event to a
   random case as fast as answers come back (closed loop), for `--seconds`; every answer must
   be 201 (a 412/409 would mean a lost race and is counted apart, never as accepted).
2. Latency: an open loop at half the measured rate (requests sent on a fixed schedule, whatever
   the answers do), for `--seconds`; p50/p90/p99/max of the time from the scheduled send to
   the full answer, so a stalled server shows up as latency rather than hiding it.

The load generator runs in this process (asyncio, raw HTTP/1.1) on the same 2 cores as the
server, PostgreSQL and Kafka; its CPU is part of the cost measured. The machine's figures go to
bench/RESULTS.md by hand.

3. With `--batch N`: the closed loop again with N events per request (`/events/batch`), counting
   events, as a client sending what it has gathered would.

Run: `.venv/bin/python bench/intake_http.py [--seconds 20] [--connections 16] [--workers 2]
[--batch 10]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from kafka import KafkaAdminClient  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from services.identity.signing_keys import KeyRing  # noqa: E402
from shared.db import migrate, service_migrations  # noqa: E402
from shared.stack.stack import Stack, StackConfig, with_stack_defaults  # noqa: E402

PORT = 8199
OPENING = {
    "country": "MK", "prs_Gender": "Feminine", "prs_Birthdate": "1999-04-02",
    "vic_TraffickingStatus": "ActualVictimOfTrafficking", "ext_FirstContactDate": "2025-01-10",
    "ext_IdentificationDate": "2025-02-20", "ext_IdentifyingBodyType": "Police",
    "vic_TypeOfExploitation": ["SexualExploitation"], "cas_Status": "Active",
}  # fmt: skip
EVENT = json.dumps({"type": "ServiceDelivered", "start_date": "2025-03-01",
                    "service_type": "Medical", "provider_type": "NGO"}).encode()  # fmt: skip


def own_database(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """A database and topic prefix of the benchmark's own on the stack's servers, so that its
    cases never mix with the demo's; dropped at the end."""
    name = f"actnow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = str(make_conninfo(env["DATABASE_URL"], dbname=name))
    for service in ("identity", "intake"):
        migrate(url, service, service_migrations(service))
    return {**env, "DATABASE_URL": url, "KAFKA_TOPIC_PREFIX": f"{name}.",
            "ACTNOW_COUNTRIES": "MK"}, name  # fmt: skip


def drop_database(env: dict[str, str], name: str, stack_url: str) -> None:
    with psycopg.connect(stack_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    prefix = env["KAFKA_TOPIC_PREFIX"]
    with KafkaAdminClient(bootstrap_servers=env["KAFKA_BOOTSTRAP"]) as admin:
        topics = [t for t in admin.list_topics() if t.startswith(prefix)]
        if topics:
            admin.delete_topics(topics)


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The intake worker (relay, projections) for the benchmark's database: its work per event
    is part of what is measured."""
    return subprocess.Popen([sys.executable, "-m", "services.intake.worker"],
                            env={**os.environ, **env, "LOG_LEVEL": "warning"}, cwd=ROOT,
                            start_new_session=True)  # fmt: skip


def start_intake(env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    full = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{PORT}",
            "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads),
            "GUNICORN_ACCESSLOG": "", "LOG_LEVEL": "warning",
            "PROMETHEUS_MULTIPROC_DIR": str(ROOT / ".local" / "bench-prometheus")}  # fmt: skip
    Path(full["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "services.intake.wsgi:app"], env=full, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the intake gunicorn did not answer within 60 s")


def token(state_dir: Path) -> str:
    ring = KeyRing(state_dir / "keys" / "identity-tokens", timedelta(hours=1))
    return ring.sign({"sub": "bench.caseworker", "org": "",
                      "grants": [{"role": "case_worker", "scope": "MK"}]})  # fmt: skip


def open_cases(count: int, bearer: str) -> list[str]:
    ids = []
    for _ in range(count):
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/api/v1/cases", data=json.dumps(OPENING).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            ids.append(json.load(answer)["case_id"])
    return ids


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs an event and reads the status."""

    def __init__(self, bearer: str, batch: int = 1) -> None:
        self.bearer, self.batch = bearer, batch
        if batch > 1:
            self.path, self.body = (
                "/events/batch",
                b'{"events": [' + b", ".join([EVENT] * batch) + b"]}",
            )
        else:
            self.path, self.body = "/events", EVENT
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT)

    async def post(self, case_id: str) -> int:
        head = (f"POST /api/v1/cases/{case_id}{self.path} HTTP/1.1\r\nHost: bench\r\n"
                f"Authorization: Bearer {self.bearer}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(self.body)}\r\n\r\n").encode()  # fmt: skip
        self.writer.write(head + self.body)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def closed_loop(
    ids: list[str], bearer: str, connections: int, seconds: float, batch: int = 1
) -> dict:
    counts = {"accepted": 0, "conflicts": 0, "other": 0}
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        conn = Connection(bearer, batch)
        await conn.open()
        while time.monotonic() < stop_at:
            status = await conn.post(random.choice(ids))
            key = "accepted" if status == 201 else "conflicts" if status in (409, 412) else "other"
            counts[key] += batch if key == "accepted" else 1
        conn.writer.close()

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.monotonic() - started
    return {**counts, "seconds": elapsed, "rate": counts["accepted"] / elapsed}


async def open_loop(ids: list[str], bearer: str, rate: float, seconds: float) -> dict:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(64):
        conn = Connection(bearer)
        await conn.open()
        pool.put_nowait(conn)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.monotonic()
    total = int(rate * seconds)

    async def one(scheduled: float) -> None:
        conn = await pool.get()
        try:
            status = await conn.post(random.choice(ids))
        finally:
            pool.put_nowait(conn)
        latencies.append(time.monotonic() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1

    tasks = []
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {"sent": total, "statuses": statuses, "p50": pct(0.50), "p90": pct(0.90),
            "p99": pct(0.99), "max": ordered[-1] * 1000,
            "mean": statistics.fmean(ordered) * 1000}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="also measure /events/batch with this many events per request",
    )
    args = parser.parse_args()
    Stack(StackConfig.from_env()).up(echo=lambda _: None)
    stack_env = with_stack_defaults()
    env, database = own_database(stack_env)
    worker = start_worker(env)
    server = start_intake(env, args.workers, args.threads)
    try:
        bearer = token(Path(env.get("ACTNOW_STATE_DIR", ROOT / ".local")))
        ids = open_cases(args.cases, bearer)
        asyncio.run(closed_loop(ids, bearer, args.connections, 3))  # warm-up, not counted
        peak = asyncio.run(closed_loop(ids, bearer, args.connections, args.seconds))
        half = asyncio.run(open_loop(ids, bearer, peak["rate"] / 2, args.seconds))
        batched = (asyncio.run(closed_loop(ids, bearer, args.connections, args.seconds,
                                           args.batch)) if args.batch > 1 else None)  # fmt: skip
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        drop_database(env, database, stack_env["DATABASE_URL"])
    print(
        f"intake over HTTP: gunicorn {args.workers} workers x {args.threads} threads, "
        f"{os.cpu_count()} cores, {args.connections} connections, {args.seconds:.0f} s each"
    )
    print(
        f"  throughput: {peak['rate']:.0f} events/s accepted (201: {peak['accepted']}, "
        f"conflicts: {peak['conflicts']}, other: {peak['other']})  target >= 1000"
    )
    print(
        f"  at half load ({peak['rate'] / 2:.0f} events/s, open loop, {half['sent']} sent): "
        f"p50 {half['p50']:.1f} ms, p90 {half['p90']:.1f} ms, p99 {half['p99']:.1f} ms, "
        f"max {half['max']:.1f} ms; answers {half['statuses']}  target p99 <= 50 ms"
    )
    if batched:
        print(f"  batched ({args.batch} events per request, /events/batch):"
              f" {batched['rate']:.0f} events/s accepted (conflicts: {batched['conflicts']},"
              f" other: {batched['other']})")  # fmt: skip


if __name__ == "__main__":
    main()
