"""Benchmark: the full auditor verification of published reports (issue 7 target: <= 60 s for
the regional report on a 2-core machine), on a running stack with the demo data (`make demo`).

For each published report (or the ones named) it runs `actnow audit verify-report`, which
checks signatures and checkpoints, checks consistency proofs to the current logs, replays the
pinned logs from Kafka, recomputes, re-renders every format and compares the stored bytes; and
prints the wall time, the CPU time and the load average it ran under (a shared machine's load
shows in the wall time, not the CPU time).

Run: `.venv/bin/python bench/report_verification.py [REPORT_ID ...]`
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACTNOW = ROOT / ".venv" / "bin" / "actnow"


def stack_env() -> dict[str, str]:
    """The stack's settings: `.local` (make demo), or the one ACTNOW_STATE_DIR names."""
    env_file = Path(os.environ.get("ACTNOW_STATE_DIR") or ROOT / ".local") / "stack.env"
    found = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in found.items()}


def published_reports(env: dict[str, str]) -> list[dict]:
    """The demo's published reports, as the regional auditor sees them."""
    identity, reporting = env["IDENTITY_URL"], env["REPORTING_URL"]
    body = json.dumps({"grant_type": "password", "username": "hub.auditor",
                       "password": "ActNow-demo-2026"}).encode()  # fmt: skip
    request = urllib.request.Request(f"{identity}/api/v1/auth/token", data=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:  # our own stack
        token = json.load(answer)["access_token"]
    listing = urllib.request.Request(f"{reporting}/api/v1/reports",
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    with urllib.request.urlopen(listing, timeout=30) as answer:  # our own stack
        found = json.load(answer)
    return found["reports"] if isinstance(found, dict) else found


def verify(report_id: str) -> tuple[float, float, bool, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(ACTNOW), "audit", "verify-report", report_id], cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    verdict = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return wall, cpu, done.returncode == 0, verdict


def main() -> int:
    env = stack_env()
    wanted = sys.argv[1:]
    reports = [r for r in published_reports(env) if not wanted or r["report_id"] in wanted]
    if not reports:
        print("no published reports: run `make demo` first")
        return 1
    print(f"{len(reports)} reports; load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'report':<14} {'kind':<9} {'scope':<9} {'wall s':>7} {'cpu s':>7}  verdict")
    failed = False
    for report in reports:
        wall, cpu, ok, verdict = verify(report["report_id"])
        failed |= not ok
        scope = report.get("country") or "regional"
        print(f"{report['report_id']:<14} {report['kind']:<9} {scope:<9} {wall:>7.1f} "
              f"{cpu:>7.1f}  {verdict}")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
