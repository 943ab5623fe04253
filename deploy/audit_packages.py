"""Known vulnerabilities of the installed Python packages, from PyPI's JSON API, for where
pip-audit cannot get its data (`make audit` runs this after pip-audit fails).

pip-audit asks PyPI for each release (`/pypi/<name>/<version>/json`) or osv.dev. Some package
mirrors, this project's build machine among them, serve only each project's document
(`/pypi/<name>/json`); its `vulnerabilities` are those of the project's latest release, from
the same PyPA/OSV advisories pip-audit reads. So a package is audited exactly when its release
document answers, and through the project document when it is at the latest release; any other
package cannot be audited, and is reported so. Exits 1 on a vulnerable package, or an unaudited
one not named with `--accept-unaudited` (each such exception is justified in bench/RESULTS.md,
"Supply chain").

Run: `.venv/bin/python deploy/audit_packages.py [--skip NAME ...] [--accept-unaudited NAME ...]`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

PYPI = "https://pypi.org/pypi"


@dataclass(frozen=True)
class Audit:
    name: str
    version: str
    how: str  # "release" | "latest" | "unaudited"
    vulnerabilities: tuple[str, ...] = ()
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.how != "unaudited" and not self.vulnerabilities


def audited(name: str, version: str, release: dict[str, Any] | None,
            project: dict[str, Any] | None) -> Audit:  # fmt: skip
    """What PyPI's documents say of one installed package (None: the document did not answer)."""
    if release is not None:
        return Audit(name, version, "release", _ids(release))
    if project is None:
        return Audit(name, version, "unaudited", note="PyPI has no document for it")
    latest = project["info"]["version"]
    if latest != version:
        note = f"not the latest release ({latest}): upgrade it, or audit it elsewhere"
        return Audit(name, version, "unaudited", note=note)
    return Audit(name, version, "latest", _ids(project))


def _ids(document: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        f"{v['id']} (fixed in {', '.join(v.get('fixed_in') or ['nothing yet'])})"
        for v in document.get("vulnerabilities") or ()
        if not v.get("withdrawn")
    )


def _document(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # nosec B310: PyPI, https
            return json.load(answer)  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def audit(name: str, version: str) -> Audit:
    release = _document(f"{PYPI}/{name}/{version}/json")
    project = None if release is not None else _document(f"{PYPI}/{name}/json")
    return audited(name, version, release, project)


def installed(skip: set[str]) -> list[tuple[str, str]]:
    found = {(d.metadata["Name"].lower().replace("_", "-"), d.version)
             for d in importlib.metadata.distributions()}  # fmt: skip
    return sorted((name, version) for name, version in found if name not in skip)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip", nargs="*", default=["actnow-monitoring"],
                        help="packages not from PyPI (this project itself)")  # fmt: skip
    parser.add_argument("--accept-unaudited", nargs="*", default=[],
                        help="packages known not to be auditable here, each justified")  # fmt: skip
    args = parser.parse_args()
    accepted = set(args.accept_unaudited)
    with ThreadPoolExecutor(8) as pool:
        audits = list(pool.map(lambda p: audit(*p), installed(set(args.skip))))
    for result in audits:
        if not result.ok:
            found = "; ".join(result.vulnerabilities) or result.note
            excepted = " (accepted: see bench/RESULTS.md)" if result.name in accepted else ""
            print(f"{result.name} {result.version}: {found}{excepted}")
    counts = {how: sum(a.how == how for a in audits) for how in ("release", "latest")}
    bad = [a for a in audits if a.vulnerabilities]
    unaudited = [a for a in audits if a.how == "unaudited"]
    print(f"{len(audits)} packages: {counts['release']} audited by their release's document, "
          f"{counts['latest']} at their latest release audited by the project's document, "
          f"{len(unaudited)} not audited; {len(bad)} with known vulnerabilities")  # fmt: skip
    return 1 if bad or any(a.name not in accepted for a in unaudited) else 0


if __name__ == "__main__":
    sys.exit(main())
