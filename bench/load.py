"""Sustained intake (issue 10, part 7): case events at a fixed rate for `--minutes`, with
latency per minute, projection lag and the memory of every service process.

How: a stack of its own (bench/own_stack.py: temporary folder, free ports, country MK; all four
services with their workers, gunicorn 2 workers x 4 threads as `actnow stack up` runs them,
access log off). `--cases` cases are opened first (not measured). Then an open loop sends one
`ServiceDelivered` event per request (`POST /api/v1/cases/{id}/events`, the request of the
"Intake over HTTP" benchmark) to a random case at `--rate` requests per second on a fixed
schedule, whatever the answers do, over up to 64 keep-alive connections; latency is the time
from the scheduled send to the full answer, so a server falling behind shows as latency.

Every 10 s: the RSS (/proc/<pid>/status VmRSS) of every process of every service's gunicorn
(master and workers) and worker, and the lag each projection last reported with its heartbeat
(`projection_generations.lag`, the figure behind actnow_projection_lag_records) and each
relay's (events in the log not yet acknowledged by Kafka). After the load: how long until every
lag is 0 again.

The load generator runs in this process on the same 2 cores as everything else. Prints the
figures; never fails on timing. Run: `.venv/bin/python bench/load.py [--rate 300]
[--minutes 10] [--cases 300]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import threading
import time
from collections import defaultdict
from typing import Any

from own_stack import (  # isort: skip
    COUNTRY, process_cpu, process_rss, projection_lags, start_own_stack, stop_own_stack,
    token)  # fmt: skip

import psycopg

from shared.stack.stack import Stack

TARGET_RSS_MB = 150
OPENING = {
    "country": COUNTRY, "prs_Gender": "Feminine", "prs_Birthdate": "1999-04-02",
    "vic_TraffickingStatus": "ActualVictimOfTrafficking", "ext_FirstContactDate": "2025-01-10",
    "ext_IdentificationDate": "2025-02-20", "ext_IdentifyingBodyType": "Police",
    "vic_TypeOfExploitation": ["SexualExploitation"], "cas_Status": "Active",
}  # fmt: skip
EVENT = json.dumps({"type": "ServiceDelivered", "start_date": "2025-03-01",
                    "service_type": "Medical", "provider_type": "NGO"}).encode()  # fmt: skip


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads the status and body."""

    def __init__(self, port: int, bearer: str) -> None:
        self.port, self.bearer = port, bearer
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (f"POST {path} HTTP/1.1\r\nHost: bench\r\n"
                f"Authorization: Bearer {self.bearer}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
        try:
            self.writer.write(head.encode() + body)
            status_line = await self.reader.readline()
            length = 0
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            return int(status_line.split()[1]), await self.reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            self.writer.close()
            self.reader = self.writer = None
            return 0, b""


async def open_cases(port: int, bearer: str, count: int) -> list[str]:
    conns = [Connection(port, bearer) for _ in range(8)]
    body = json.dumps(OPENING).encode()

    async def opener(conn: Connection, n: int) -> list[str]:
        ids = []
        for _ in range(n):
            status, answer = await conn.post("/api/v1/cases", body)
            if status == 201:
                ids.append(json.loads(answer)["case_id"])
        return ids

    found = await asyncio.gather(*(opener(c, count // len(conns) + 1) for c in conns))
    return [case for ids in found for case in ids]


async def open_loop(port: int, bearer: str, ids: list[str], rate: float, seconds: float,
                    minutes: dict[int, dict[str, Any]]) -> int:  # fmt: skip
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(Connection(port, bearer))
    start = time.monotonic()
    unfinished = [0]

    async def one(scheduled: float) -> None:
        try:
            conn = await pool.get()
        except asyncio.CancelledError:
            unfinished[0] += 1
            raise
        try:
            status, _ = await conn.post(f"/api/v1/cases/{random.choice(ids)}/events", EVENT)
        except asyncio.CancelledError:
            unfinished[0] += 1
            raise
        finally:
            pool.put_nowait(conn)
        # counted in the minute the answer came: what the server achieved then
        minute = minutes[int((time.monotonic() - start) // 60)]
        minute["latencies"].append(time.monotonic() - scheduled)
        minute["statuses"][status] += 1

    tasks = set()
    for n in range(int(rate * seconds)):
        scheduled = start + n / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    # a server that fell behind gets 30 s for its backlog; what is still waiting then is
    # counted as unanswered, not waited for (the backlog could take longer than the run)
    if tasks:
        _, late = await asyncio.wait(set(tasks), timeout=30)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    return unfinished[0]


def sampler(stack: Stack, started: float, stop: threading.Event,
            samples: list[dict[str, Any]]) -> None:  # fmt: skip
    """Every 10 s: RSS of every service process and every projection's and relay's lag."""
    with psycopg.connect(stack.postgres.url(), autocommit=True) as conn:
        while not stop.is_set():
            samples.append({"t": time.monotonic() - started, "rss": process_rss(stack),
                            "lag": projection_lags(conn)})  # fmt: skip
            stop.wait(10)


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0


def drain(stack: Stack, timeout: float = 600) -> float:
    """Seconds after the load until every projection and relay reports no lag."""
    began = time.monotonic()
    with psycopg.connect(stack.postgres.url(), autocommit=True) as conn:
        while time.monotonic() - began < timeout:
            time.sleep(2.5)  # a heartbeat is at most 2 s old
            if all(v == 0 for v in projection_lags(conn).values()):
                return time.monotonic() - began
    return -1.0


def kind_of(process: str) -> str:
    """`intake` (gunicorn master), `intake[pid]` (gunicorn worker), `intake-worker[pid]`."""
    base = process.split("[")[0]
    if base.endswith("-worker"):
        return f"{base} (relay, signer, projections)"
    return f"{base} gunicorn {'worker' if '[' in process else 'master'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rate",
        type=float,
        default=300.0,
        help="events/s (one per request); the intake benchmark's 299-381/s",
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    stack = start_own_stack("load")
    try:
        port = stack.config.ports["intake"]
        bearer = token(stack, "bench.worker", "case_worker")
        ids = asyncio.run(open_cases(port, bearer, args.cases))
        print(f"{len(ids)} cases opened; {args.rate:g} events/s for {args.minutes:g} min",
              flush=True)  # fmt: skip
        minutes: dict[int, dict[str, Any]] = defaultdict(
            lambda: {"latencies": [], "statuses": defaultdict(int)}
        )
        samples: list[dict[str, Any]] = []
        stop = threading.Event()
        cpu_before = {**process_cpu(stack), LOAD_GENERATOR: own_cpu()}
        started = time.monotonic()
        sampling = threading.Thread(target=sampler, args=(stack, started, stop, samples),
                                    daemon=True)  # fmt: skip
        sampling.start()
        unanswered = asyncio.run(
            open_loop(port, bearer, ids, args.rate, args.minutes * 60, minutes)
        )
        loaded = time.monotonic() - started
        cpu_after = {**process_cpu(stack), LOAD_GENERATOR: own_cpu()}
        drained = drain(stack)
        stop.set()
        sampling.join(timeout=30)
        report(args, minutes, samples, loaded, drained, unanswered)
        accepted = sum(m["statuses"].get(201, 0) for m in minutes.values())
        cpu_report(cpu_before, cpu_after, loaded, accepted)
        privacy(stack)
    finally:
        stop_own_stack(stack)


LOAD_GENERATOR = "load generator (this process)"


def own_cpu() -> float:
    used = os.times()
    return used.user + used.system


def cpu_report(before: dict[str, float], after: dict[str, float], seconds: float,
               accepted: int) -> None:  # fmt: skip
    """Where the two cores went during the load: CPU seconds of each part, its share of the
    machine and its cost per accepted event."""
    used = {name: after[name] - before.get(name, 0.0) for name in after}
    cores = os.cpu_count() or 1
    print(f"\n| process (CPU during the load, {seconds:.0f} s) | CPU s | share of {cores} cores |"
          " CPU ms per accepted event |")  # fmt: skip
    print("|---|---|---|---|")
    for name, cpu in sorted(used.items(), key=lambda item: -item[1]):
        print(f"| {name} | {cpu:.0f} | {cpu / (seconds * cores):.0%} | "
              f"{cpu * 1000 / max(accepted, 1):.2f} |")  # fmt: skip
    total = sum(used.values())
    print(f"| all of the above | {total:.0f} | {total / (seconds * cores):.0%} | "
          f"{total * 1000 / max(accepted, 1):.2f} |")  # fmt: skip


def report(args: argparse.Namespace, minutes: dict[int, dict[str, Any]],
           samples: list[dict[str, Any]], loaded: float, drained: float, unanswered: int
           ) -> None:  # fmt: skip
    print(
        f"\nsustained intake: {args.rate:g} events/s offered (one per request), "
        f"{args.minutes:g} min ({loaded:.0f} s with the tail), {os.cpu_count()} cores, "
        f"{args.cases} cases; lags back to 0 {drained:.0f} s after the load; "
        f"{unanswered:,} requests still unanswered 30 s after the schedule ended (cancelled); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "\n| minute (of the answer) | answered | 201 | other | achieved/s | p50 ms | p95 ms |"
        " p99 ms | max ms | max projection lag | max relay lag |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    every: list[float] = []
    for m in sorted(minutes):
        lat = sorted(minutes[m]["latencies"])
        every += lat
        ok = minutes[m]["statuses"].get(201, 0)
        other = {s: n for s, n in minutes[m]["statuses"].items() if s != 201}
        in_minute = [s for s in samples if m * 60 <= s["t"] < (m + 1) * 60]
        proj = max((v for s in in_minute for k, v in s["lag"].items()
                    if not k.endswith(".relay")), default=0)  # fmt: skip
        relay = max((v for s in in_minute for k, v in s["lag"].items()
                     if k.endswith(".relay")), default=0)  # fmt: skip
        print(
            f"| {m + 1} | {len(lat):,} | {ok:,} | {other or '-'} | {ok / 60:.0f} | "
            f"{percentile(lat, 0.5):.1f} | {percentile(lat, 0.95):.1f} | "
            f"{percentile(lat, 0.99):.1f} | {lat[-1] * 1000 if lat else 0:.0f} | "
            f"{proj:,} | {relay:,} |"
        )
    every.sort()
    print(
        f"| all | {len(every):,} | | | | {percentile(every, 0.5):.1f} | "
        f"{percentile(every, 0.95):.1f} | {percentile(every, 0.99):.1f} | "
        f"{every[-1] * 1000 if every else 0:.0f} | | |"
    )
    worst: dict[str, tuple[float, float]] = {}
    for sample in samples:
        for process, rss in sample["rss"].items():
            kind = kind_of(process)
            first, top = worst.get(kind, (rss, rss))
            worst[kind] = (first, max(top, rss))
    print(f"\n| process (RSS sampled every 10 s) | first MB | max MB | <= {TARGET_RSS_MB} MB |")
    print("|---|---|---|---|")
    for kind in sorted(worst):
        first, top = worst[kind]
        print(f"| {kind} | {first:.0f} | {top:.0f} | {'yes' if top <= TARGET_RSS_MB else 'NO'} |")
    over = [k for k, (_, top) in worst.items() if top > TARGET_RSS_MB]
    if over:
        print(f"\nmemory: over {TARGET_RSS_MB} MB RSS: {', '.join(sorted(over))}")
    else:
        print(f"\nmemory: every process stayed within {TARGET_RSS_MB} MB RSS")


def privacy(stack: Stack) -> None:
    """The privacy scan after the load (issue 10): every record on the node's regional topic,
    what MirrorMaker 2 would copy to the hub."""
    from services.indicators.catalogue import SEED_PATH, load_catalogue
    from services.indicators.privacy import read_all, scan
    from services.registry import REGISTRY

    disclosure = load_catalogue(SEED_PATH).disclosure
    records = read_all(stack.kafka.bootstrap, lambda topic: topic.endswith(".regional"))
    result = scan(records, REGISTRY, disclosure.min_cell, disclosure.k_cross)
    print(f"\nprivacy scan after the load: {result.records} records on"
          f" {', '.join(sorted(result.by_topic)) or 'no regional topic'};"
          f" {len(result.findings)} findings")  # fmt: skip
    for finding in result.findings[:20]:
        print(f"  FINDING {finding}")


if __name__ == "__main__":
    main()
