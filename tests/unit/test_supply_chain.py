"""Supply chain (issue 10): bandit finds nothing of high severity in our code (the medium
findings are listed, with why each is safe, in bench/RESULTS.md, "Supply chain"), and the
package audit reads PyPI's documents as they mean."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from deploy.audit_packages import audited

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


def vulnerable(id_: str, fixed_in: list[str], withdrawn: str | None = None) -> dict[str, Any]:
    return {"id": id_, "fixed_in": fixed_in, "withdrawn": withdrawn}


def project(latest: str, *vulnerabilities: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"version": latest}, "vulnerabilities": list(vulnerabilities)}


def test_a_package_is_audited_by_its_releases_document_when_pypi_serves_it() -> None:
    release = {"vulnerabilities": [vulnerable("PYSEC-2024-1", ["1.2.1"])]}
    found = audited("demo", "1.2.0", release, project("1.3.0"))
    assert (found.how, found.vulnerabilities) == ("release", ("PYSEC-2024-1 (fixed in 1.2.1)",))
    assert not found.ok


def test_a_package_at_its_latest_release_is_audited_by_the_projects_document() -> None:
    assert audited("demo", "1.3.0", None, project("1.3.0")).ok
    found = audited("ecdsa", "0.19.2", None, project("0.19.2", vulnerable("GHSA-x", [])))
    assert found.vulnerabilities == ("GHSA-x (fixed in nothing yet)",) and not found.ok


def test_a_withdrawn_advisory_does_not_count() -> None:
    assert audited("demo", "1.3.0", None, project("1.3.0", vulnerable("X", [], "2026-01-01"))).ok


def test_an_older_release_without_its_own_document_is_reported_as_not_audited() -> None:
    found = audited("setuptools", "65.5.0", None, project("84.2.1"))
    assert found.how == "unaudited" and not found.ok
    assert "not the latest release (84.2.1)" in found.note
    assert audited("private", "0.1", None, None).how == "unaudited"
