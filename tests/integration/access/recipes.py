"""How to call each endpoint of the table validly, so that the only reason a call can fail is who
makes it: the scene sets up resources of the caller's own country (MK) — cases, persons,
profiles, assessments, reports in each state — and a recipe turns them into a request. A
`fresh` recipe gets a resource of its own for every call (a step that can be taken only once,
such as approving a report), so that every caller meets the resource in the state in which the
step would succeed."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.indicators.catalogue import SEED_PATH, load_catalogue
from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.tamper import issue_checkpoint
from tests.integration.access.conftest import Node
from tests.integration.access.table import ASSESSMENT, OWN, PROFILE, REPORT
from tests.integration.conftest import bearer

OPENING = {
    "country": OWN, "prs_Gender": "Feminine", "prs_Birthdate": "1999-04-02",
    "vic_TraffickingStatus": "ActualVictimOfTrafficking", "ext_FirstContactDate": "2025-01-10",
    "ext_IdentificationDate": "2025-02-20", "ext_IdentifyingBodyType": "Police",
    "vic_TypeOfExploitation": ["SexualExploitation"], "prs_Citizenship": ["MK"],
    "cas_Status": "Active",
}  # fmt: skip
REFERRAL = {"type": "ReferralMade", "date": "2025-02-21", "direction": "Outgoing",
            "scope": "Domestic", "reason": "AdditionalServicesRequired"}  # fmt: skip
SUBMISSION = {"country": OWN, "organisation_id": str(uuid.uuid4()), "period": "2024",
              "figures": {"agg_cj_InvestigationsOpened": {"total": 12}},
              "document": {"title": "Police annual statistics 2024"}}  # fmt: skip
CATALOGUE = load_catalogue(SEED_PATH)
VERSION = CATALOGUE.catalog_version
QUALITATIVE = [i.code for i in CATALOGUE.indicators if not i.quantitative]
EVIDENCE = [{"kind": "document", "title": "Standard operating procedures",
             "reference": "https://example.org/sop.pdf", "date": "2023-06-01"}]  # fmt: skip
ADAPTED = {
    "status": "adapted",
    "titles": {"mk": "Формална идентификација"},
    "institution": "Centre for social work",
    "legal_basis": "Law on social care",
}
# (year, indicator) assessment streams no call has used yet: one for each call that scores
UNUSED = iter(itertools.product(range(2000, 2025), QUALITATIVE))
NATIONAL_REPORT = {"kind": "national", "country": OWN, "period": "2024",
                   "title": "North Macedonia: monitoring report 2024"}  # fmt: skip


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    data: bytes | None = None
    # what success means when it is more than a 2xx (a listing that shows the resource)
    success: Callable[[TestResponse], bool] = lambda answer: 200 <= answer.status_code < 300

    def succeeded(self, answer: TestResponse) -> bool:
        return self.success(answer)


@dataclass(frozen=True)
class Recipe:
    make: Callable[[Scene], Call]
    fresh: bool = False
    slow: bool = False  # renders or re-derives a report: seconds a call, run with `make test-slow`


@dataclass
class Scene:
    """Resources of MK made by the people whose job they are (not by any caller)."""

    node: Node
    _signed: set[str] = field(default_factory=set)

    def client(self, service: str) -> FlaskClient:
        return self.node.apps[service].test_client()

    def as_(self, user: str, role: str, scope: str = OWN) -> dict[str, str]:
        return bearer(self.node.people.token(user, (role, scope)))

    def ok(self, service: str, method: str, path: str, user: str, role: str,
           scope: str = OWN, **kwargs: Any) -> Any:  # fmt: skip
        answer = self.client(service).open(path, method=method, headers=self.as_(user, role, scope),
                                           **kwargs)  # fmt: skip
        assert 200 <= answer.status_code < 300, (method, path, answer.get_json())
        return answer.get_json()

    # --- intake ---
    def case(self, **changes: Any) -> dict[str, Any]:
        return self.ok("intake", "POST", "/api/v1/cases", "scene.worker", "case_worker",
                       json={**OPENING, **changes})  # fmt: skip

    @cached_property
    def shared_case(self) -> dict[str, Any]:
        return self.case(identifiers={"document_number": f"S-{uuid.uuid4().hex[:8]}"})

    def linked_cases(self) -> tuple[str, str]:
        """A case linked to an earlier one of the same person: (its id, the earlier person)."""
        document = f"L-{uuid.uuid4().hex[:8]}"
        first = self.case(identifiers={"document_number": document})
        second = self.case(identifiers={"document_number": document})
        return second["case_id"], first["person_id"]

    def person(self) -> str:
        return self.case(identifiers={"document_number": f"P-{uuid.uuid4().hex[:8]}"})["person_id"]

    # --- indicators ---
    def reopened_profile(self) -> None:
        """A change by the platform admin, so that the profile has a version to confirm."""
        body = {**ADAPTED, "legal_basis": f"Law {uuid.uuid4().hex[:6]}"}
        self.ok("indicators", "PUT", f"/api/v1/profiles/{OWN}/{VERSION}/indicators/ID-06",
                "scene.platform", "platform_admin", "regional", json=body)  # fmt: skip

    def scored(self) -> tuple[int, str]:
        """An assessment of its own (year, code), scored and awaiting review."""
        year, code = next(UNUSED)
        self.ok("indicators", "POST", f"/api/v1/assessments/{OWN}/{year}/{code}",
                "scene.monitor", "monitor", json=self.score)  # fmt: skip
        return year, code

    @cached_property
    def shared_assessment(self) -> tuple[int, str]:
        return self.scored()

    score = {"score": 1, "rationale": "Procedures exist, unevenly applied.", "evidence": EVIDENCE}

    # --- reporting ---
    def report(self, status: str = "draft") -> str:
        """A national report of MK, drafted by the scene's monitor, taken to `status`."""
        steps = {"draft": [], "in_review": ["submission"], "approved": ["submission", "approval"]}
        drafted = self.ok("reporting", "POST", "/api/v1/reports", "scene.monitor", "monitor",
                          json=NATIONAL_REPORT)  # fmt: skip
        report_id = drafted["report_id"]
        for step in steps[status]:
            user, role = ("scene.reviewer", "reviewer") if step == "approval" else (
                "scene.monitor", "monitor")  # fmt: skip
            self.ok("reporting", "POST", f"/api/v1/reports/{report_id}/{step}", user, role)
        return report_id

    @cached_property
    def shared_draft(self) -> str:
        return self.report()

    @cached_property
    def shared_in_review(self) -> str:
        return self.report("in_review")

    def published(self) -> str:
        report_id = self.report("approved")
        self.checkpoints()
        self.ok("reporting", "POST", f"/api/v1/reports/{report_id}/publication", "scene.monitor",
                "monitor")  # fmt: skip
        return report_id

    @property
    def shared_published(self) -> str:
        """One published report for every test that only reads it (publishing takes seconds)."""
        if "published" not in self.node.shared:
            self.node.shared["published"] = self.published()
        return self.node.shared["published"]

    @cached_property
    def correctable(self) -> str:
        return self.published()

    def checkpoints(self) -> None:
        """Signed checkpoints over the logs as they are now (a report pins them)."""
        for service in self.node.apps:
            self.signed_log(service)  # a log with an event in it
            self.checkpoint(service)

    def checkpoint(self, service: str) -> None:
        """Signed with the key the service's worker publishes."""
        app = self.node.apps[service]
        settings = app.extensions["actnow.settings"]
        signer = CheckpointSigner.from_key_file(settings.origin, settings.checkpoint_key_file)
        issue_checkpoint(app.extensions["actnow.audit_store"], signer)

    def signed_log(self, service: str) -> None:
        """The service's log holds an event, under a signed checkpoint."""
        if service not in self._signed:
            made = {"intake": lambda: self.shared_case,
                    "indicators": lambda: self.shared_assessment,
                    "reporting": lambda: self.shared_draft}  # fmt: skip
            made[service]()
            self.checkpoint(service)
            self._signed.add(service)


def _listed(report_id: str) -> Callable[[TestResponse], bool]:
    return lambda answer: answer.status_code == 200 and report_id in {
        r["report_id"] for r in answer.get_json()}  # fmt: skip


def _xlsform_export() -> bytes:
    """One XLSForm submission: enough for a dry run, which reports the row's errors."""
    return b'[{"_id": 1, "cas_Status": "Active"}]'


def operations(service: str) -> dict[str, Recipe]:
    """The operations every service answers; the proofs over a log with a signed checkpoint."""

    def signed(path: str) -> Recipe:
        return Recipe(lambda s: (s.signed_log(service), Call(path))[1])

    return {
        "GET /api/v1/audit/checkpoint": signed("/api/v1/audit/checkpoint"),
        "GET /api/v1/audit/consistency": signed("/api/v1/audit/consistency?old_size=1&new_size=1"),
        "GET /api/v1/audit/inclusion": signed("/api/v1/audit/inclusion?log_index=1&size=1"),
        "GET /api/v1/audit/verification": signed("/api/v1/audit/verification"),
        "GET /healthz": Recipe(lambda s: Call("/healthz")),
        # ready or not (the worker may still be joining Kafka), it answers without a token
        "GET /readyz": Recipe(
            lambda s: Call("/readyz", success=lambda a: a.status_code in (200, 503))
        ),
        "GET /metrics": Recipe(lambda s: Call("/metrics")),
    }


def _case(s: Scene, suffix: str = "", **kwargs: Any) -> Call:
    return Call(f"/api/v1/cases/{s.shared_case['case_id']}{suffix}", **kwargs)


def _unlink(s: Scene) -> Call:
    case_id, person = s.linked_cases()
    return Call(f"/api/v1/cases/{case_id}/unlink",
                json={"person_ids": [person], "reason": "DifferentPersons"})  # fmt: skip


INTAKE = {
    **operations("intake"),
    "POST /api/v1/cases": Recipe(lambda s: Call("/api/v1/cases", json=OPENING)),
    "GET /api/v1/cases": Recipe(lambda s: Call(f"/api/v1/cases?country={OWN}")),
    "GET /api/v1/cases/export": Recipe(lambda s: Call(f"/api/v1/cases/export?country={OWN}")),
    "GET /api/v1/cases/{case_id}": Recipe(lambda s: _case(s)),
    "POST /api/v1/cases/{case_id}/events": Recipe(lambda s: _case(s, "/events", json=REFERRAL)),
    "POST /api/v1/cases/{case_id}/events/batch": Recipe(
        lambda s: _case(s, "/events/batch", json={"events": [REFERRAL, REFERRAL]})),
    "GET /api/v1/cases/{case_id}/identifiers": Recipe(lambda s: _case(s, "/identifiers")),
    "POST /api/v1/cases/{case_id}/unlink": Recipe(_unlink, fresh=True),
    "POST /api/v1/persons/{person_id}/erasure": Recipe(lambda s: Call(
        f"/api/v1/persons/{s.person()}/erasure", json={"reason": "DataSubjectRequest"}),
        fresh=True),
    "GET /api/v1/access-log": Recipe(lambda s: Call(f"/api/v1/access-log?country={OWN}")),
    "POST /api/v1/submissions": Recipe(lambda s: Call("/api/v1/submissions", json=SUBMISSION)),
    "GET /api/v1/submissions": Recipe(lambda s: Call(f"/api/v1/submissions?country={OWN}")),
    "POST /api/v1/imports": Recipe(
        lambda s: Call(f"/api/v1/imports?country={OWN}", data=_xlsform_export())),
}  # fmt: skip


def _profile(suffix: str = "", **kwargs: Any) -> Call:
    return Call(f"/api/v1/profiles/{OWN}/{VERSION}{suffix}", **kwargs)


def _confirmable_profile(s: Scene) -> Call:
    s.reopened_profile()
    return _profile("/confirm")


def _assessment(year_code: tuple[int, str], suffix: str = "", **kwargs: Any) -> Call:
    year, code = year_code
    return Call(f"/api/v1/assessments/{OWN}/{year}/{code}{suffix}", **kwargs)


INDICATORS = {
    **operations("indicators"),
    "GET /api/v1/catalogue": Recipe(lambda s: Call("/api/v1/catalogue")),
    "GET /api/v1/values": Recipe(lambda s: Call(f"/api/v1/values?country={OWN}")),
    "GET /api/v1/regional/comparison": Recipe(
        lambda s: Call("/api/v1/regional/comparison?indicator=ID-01&period=2024")),
    f"GET {PROFILE}": Recipe(lambda s: _profile()),
    f"GET {PROFILE}/indicators/{{code}}": Recipe(lambda s: _profile("/indicators/ID-01")),
    f"PUT {PROFILE}/indicators/{{code}}": Recipe(lambda s: _profile(
        "/indicators/ID-07", json=ADAPTED)),
    f"POST {PROFILE}/confirm": Recipe(_confirmable_profile, fresh=True),
    "GET /api/v1/profiles": Recipe(lambda s: Call(f"/api/v1/profiles?country={OWN}")),
    f"GET {ASSESSMENT}": Recipe(lambda s: _assessment(s.shared_assessment)),
    f"POST {ASSESSMENT}": Recipe(lambda s: _assessment(next(UNUSED), json=s.score),
                                 fresh=True),
    f"POST {ASSESSMENT}/confirm": Recipe(
        lambda s: _assessment(s.scored(), "/confirm", json={"comment": "Agreed."}), fresh=True),
    f"POST {ASSESSMENT}/return": Recipe(
        lambda s: _assessment(s.scored(), "/return", json={"comment": "Cite the SOP."}),
        fresh=True),
    "GET /api/v1/assessments": Recipe(lambda s: Call(f"/api/v1/assessments?country={OWN}")),
}  # fmt: skip


def _report(report_id: str, suffix: str = "", **kwargs: Any) -> Call:
    return Call(f"/api/v1/reports/{report_id}{suffix}", **kwargs)


REPORTING = {
    **operations("reporting"),
    "POST /api/v1/reports [national]": Recipe(lambda s: Call("/api/v1/reports",
                                                             json=NATIONAL_REPORT)),
    "POST /api/v1/reports [regional]": Recipe(lambda s: Call("/api/v1/reports", json={
        "kind": "regional", "period": "2024", "title": "Regional monitoring report 2024"})),
    "GET /api/v1/reports [lists a draft]": Recipe(
        lambda s: Call("/api/v1/reports", success=_listed(s.shared_draft))),
    "GET /api/v1/reports [lists a published report]": Recipe(
        lambda s: Call("/api/v1/reports", success=_listed(s.shared_published))),
    f"GET {REPORT} [draft]": Recipe(lambda s: _report(s.shared_draft)),
    f"GET {REPORT} [published]": Recipe(lambda s: _report(s.shared_published)),
    f"PATCH {REPORT}/narrative": Recipe(lambda s: _report(
        s.shared_draft, "/narrative", json={"summary": "Fewer victims were identified."})),
    f"POST {REPORT}/submission": Recipe(lambda s: _report(s.report(), "/submission"), fresh=True),
    f"POST {REPORT}/comments": Recipe(lambda s: _report(
        s.shared_in_review, "/comments", json={"section": "summary", "comment": "Cite it."})),
    f"POST {REPORT}/return": Recipe(lambda s: _report(
        s.report("in_review"), "/return", json={"reason": "Incomplete."}), fresh=True),
    f"POST {REPORT}/approval": Recipe(lambda s: _report(s.report("in_review"), "/approval"),
                                      fresh=True),
    # publishing takes seconds: the one report is corrected by the last caller (see the matrix)
    f"POST {REPORT}/corrections": Recipe(lambda s: _report(
        s.correctable, "/corrections", json={"reason": "A figure was wrong."}), slow=True),
    f"POST {REPORT}/publication": Recipe(lambda s: _publishable(s), fresh=True, slow=True),
    f"GET {REPORT}/versions/{{version}}/{{fmt}}": Recipe(
        lambda s: _report(s.shared_published, "/versions/1/json")),
    f"GET {REPORT}/verification [published]": Recipe(
        lambda s: _report(s.shared_published, "/verification"), slow=True),
    f"GET {REPORT}/verification [draft]": Recipe(
        lambda s: _report(s.shared_draft, "/verification")),
}  # fmt: skip


def _publishable(s: Scene) -> Call:
    report_id = s.report("approved")
    s.checkpoints()
    return _report(report_id, "/publication")


RECIPES = {"intake": INTAKE, "indicators": INDICATORS, "reporting": REPORTING}
