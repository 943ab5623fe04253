"""Supply chain (issue 10): bandit finds nothing of high severity in our code. The medium
findings are listed, with why each is safe, in bench/RESULTS.md ("Supply chain")."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_bandit_finds_no_high_severity_issue_in_the_services_and_shared_code() -> None:
    found = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "services", "shared", "-f", "json",
         "--severity-level", "high"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(found.stdout)
    high = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
            for r in report["results"]]  # fmt: skip
    assert not high, "\n".join(high)
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it did read the code
