"""How to call each endpoint of the table validly, so that the only reason a call can fail is who
makes it: the scene sets up resources of the caller's own country (MK) — cases, persons,
profiles, assessments, reports in each state, monitoring cycles and the requests they sent to
institutions, recommendations — and a recipe turns them into a request (made, where a request
to an institution matters, by a caller of that institution or of another). A
`fresh` recipe gets a resource of its own for every call (a step that can be taken only once,
such as approving a report), so that every caller meets the resource in the state in which the
step would succeed."""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.cycle_views import Institutions
from services.indicators.cycles import FIRST_YEAR
from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.projections import query_read_model
from shared.backbone.tamper import issue_checkpoint
from tests.integration.access.conftest import Node
from tests.integration.access.table import (
    ASSESSMENT,
    CYCLE,
    DATA_REQUEST,
    FOLLOW_UP,
    OWN,
    PROFILE,
    RECOMMENDATION,
    REPORT,
    TO_ANOTHER,
    TO_THE_CALLER,
)
from tests.integration.conftest import bearer, eventually

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
# the institutions a cycle's requests go to (catalogue source -> the organisation's type)
INSTITUTIONS = {"police": "police", "courts": "court", "prosecution": "prosecution",
                "national_coordinator": "national_coordinator"}  # fmt: skip
TODAY = date.today()
DEADLINES = {"requests_due": (TODAY + timedelta(days=20)).isoformat(),
             "scoring_due": (TODAY + timedelta(days=60)).isoformat(),
             "report_due": (TODAY + timedelta(days=120)).isoformat()}  # fmt: skip
OVERDUE = (TODAY + timedelta(days=40)).isoformat()  # every request of a cycle is overdue then
GRETA = {"country": OWN, "round": "Third evaluation round", "paragraph": "142", "year": 2023,
         "text": "GRETA urges the authorities to identify victims proactively."}  # fmt: skip
FOLLOWED_UP = 2024  # the reference year whose follow-up is assessed
ASSESSED = {"status": "partly_implemented", "note": "Guidelines adopted, not yet applied.",
            "evidence": [{"kind": "document", "title": "Identification guidelines",
                          "reference": "https://example.org/guidelines.pdf",
                          "date": "2024-05-01"}]}  # fmt: skip


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    data: bytes | None = None
    # what success means when it is more than a 2xx (a listing that shows the resource)
    success: Callable[[TestResponse], bool] = lambda answer: 200 <= answer.status_code < 300
    # the caller's organisation: a data_provider answers the requests sent to its own only
    organisation: str = ""

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

    # --- monitoring cycles ---
    def confirmed_profile(self) -> None:
        """A confirmed version of MK's profile, for cycles to be opened on."""
        if "confirmed profile" not in self.node.shared:
            self.reopened_profile()
            self.ok("indicators", "POST", f"/api/v1/profiles/{OWN}/{VERSION}/confirm",
                    "scene.platform", "platform_admin", "regional")  # fmt: skip
            self.node.shared["confirmed profile"] = True

    @property
    def institutions(self) -> dict[str, str]:
        """Institution -> the organisation of MK asked for its figures, once the indicators
        service has seen the organisations registered."""
        if "institutions" not in self.node.shared:
            operator = self.node.people.operator
            made = {name: str(operator.organisation(f"{kind} {uuid.uuid4().hex[:8]}", OWN,
                                                    kind).organisation_id)
                    for name, kind in INSTITUTIONS.items()}  # fmt: skip
            service = self.node.apps["indicators"].extensions["actnow.indicators"]
            views = Institutions(service.settings.events_topic("identity"))

            def seen() -> bool:
                rows = query_read_model(service.pool, service.settings.schema, views,
                                        "SELECT organisation_id::text AS id"
                                        " FROM {schema}.institutions", ())  # fmt: skip
                return set(made.values()) <= {r["id"] for r in rows}

            eventually(seen, timeout=120)  # the worker may still be joining Kafka
            self.node.shared["institutions"] = made
        return self.node.shared["institutions"]

    def free_year(self) -> int:
        """The earliest reference year of MK with no cycle open (callers open some too)."""
        year = self.node.shared.get("free year", FIRST_YEAR)
        while self.client("indicators").get(
                f"/api/v1/cycles/{OWN}/{year}/requests",
                headers=self.as_("scene.admin", "national_admin")).status_code != 404:  # fmt: skip
            year += 1
        assert year < TODAY.year, "every reference year has a cycle: no cycle left to open"
        self.node.shared["free year"] = year
        return year

    def cycle(self) -> int:
        """A cycle of MK opened on the confirmed profile, with a request sent to each of the
        institutions: its year."""
        self.confirmed_profile()
        year = self.free_year()
        self.ok("indicators", "POST", f"/api/v1/cycles/{OWN}/{year}", "scene.admin",
                "national_admin", json=DEADLINES)  # fmt: skip
        self.ok("indicators", "POST", f"/api/v1/cycles/{OWN}/{year}/requests", "scene.monitor",
                "monitor", json={"organisations": self.institutions})  # fmt: skip
        return year

    def requests(self, year: int) -> list[dict[str, Any]]:
        return self.ok("indicators", "GET", f"/api/v1/cycles/{OWN}/{year}/requests",
                       "scene.monitor", "monitor")  # fmt: skip

    @property
    def shared_cycle(self) -> int:
        """One cycle whose requests every test only reads (none is refused)."""
        if "cycle" not in self.node.shared:
            self.node.shared["cycle"] = self.cycle()
        return self.node.shared["cycle"]

    @property
    def shared_request(self) -> dict[str, Any]:
        if "request" not in self.node.shared:
            self.node.shared["request"] = self.requests(self.shared_cycle)[0]
        return self.node.shared["request"]

    @property
    def listed_cycle(self) -> int:
        """The shared cycle, once the list of cycles (a read model) shows it."""
        year = self.shared_cycle
        if "cycle listed" not in self.node.shared:
            eventually(lambda: year in {c["year"] for c in self.ok(
                "indicators", "GET", f"/api/v1/cycles?country={OWN}", "scene.monitor",
                "monitor")}, timeout=60)  # fmt: skip
            self.node.shared["cycle listed"] = True
        return year

    def unrefused(self) -> dict[str, Any]:
        """A request no one has refused yet (a refusal is final), of a cycle of its own."""
        years: list[int] = self.node.shared.setdefault("refusable", [])
        while years:
            left = [r for r in self.requests(years[0]) if r["refusal_reason"] is None]
            if left:
                return left[0]
            years.pop(0)
        years.append(self.cycle())
        return self.requests(years[0])[0]

    def another_organisation(self, data_request: dict[str, Any]) -> str:
        """An organisation of MK asked in the cycle too, but not for this request."""
        return next(o for o in self.institutions.values() if o != data_request["organisation_id"])

    def filled_workbook(self, data_request: dict[str, Any]) -> bytes:
        """The request's workbook as the institution sends it back: the document named."""
        key = f"workbook {data_request['request_id']}"
        if key not in self.node.shared:
            answer = self.client("indicators").get(
                f"/api/v1/cycles/{OWN}/{data_request['year']}/requests/"
                f"{data_request['request_id']}/workbook",
                headers=self.as_("scene.monitor", "monitor"))  # fmt: skip
            assert answer.status_code == 200, answer.status_code
            book = load_workbook(io.BytesIO(answer.data))
            for row in book["Request"].iter_rows(min_row=2):
                if row[0].value == "document_title":
                    row[1].value = "Annual statistics"
            filled = io.BytesIO()
            book.save(filled)
            self.node.shared[key] = filled.getvalue()
        return self.node.shared[key]

    # --- recommendations ---
    def recommendation(self) -> str:
        """A GRETA recommendation to MK, entered by the scene's monitor."""
        entered = self.ok("reporting", "POST", "/api/v1/recommendations", "scene.monitor",
                          "monitor", json=GRETA)  # fmt: skip
        return entered["recommendation_id"]

    def assessed(self) -> str:
        """A recommendation whose follow-up the scene's monitor assessed: awaiting review."""
        recommendation_id = self.recommendation()
        self.ok("reporting", "PUT",
                f"/api/v1/recommendations/{recommendation_id}/follow-ups/{FOLLOWED_UP}",
                "scene.monitor", "monitor", json=ASSESSED)  # fmt: skip
        return recommendation_id

    @property
    def shared_recommendation(self) -> str:
        """One recommendation, assessed and never reviewed, once the list (a read model)
        shows it."""
        if "recommendation" not in self.node.shared:
            recommendation_id = self.assessed()
            eventually(lambda: recommendation_id in {r["recommendation_id"] for r in self.ok(
                "reporting", "GET", f"/api/v1/recommendations?country={OWN}", "scene.monitor",
                "monitor")}, timeout=60)  # fmt: skip
            self.node.shared["recommendation"] = recommendation_id
        return self.node.shared["recommendation"]

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


def _cycle(year: int, suffix: str = "", **kwargs: Any) -> Call:
    return Call(f"/api/v1/cycles/{OWN}/{year}{suffix}", **kwargs)


def _openable(s: Scene) -> Call:
    s.confirmed_profile()
    return _cycle(s.free_year(), json=DEADLINES)


def _lists_cycle(year: int) -> Callable[[TestResponse], bool]:
    return lambda answer: answer.status_code == 200 and year in {
        c["year"] for c in answer.get_json()}  # fmt: skip


def _lists_request(data_request: dict[str, Any]) -> Callable[[TestResponse], bool]:
    return lambda answer: answer.status_code == 200 and data_request["request_id"] in {
        r["request_id"] for r in answer.get_json()}  # fmt: skip


def _caller_organisation(s: Scene, data_request: dict[str, Any], asked: bool) -> str:
    """The organisation the request went to, or another one the cycle asked."""
    return data_request["organisation_id"] if asked else s.another_organisation(data_request)


def _data_request(s: Scene, asked: bool, suffix: str = "",
                  data_request: dict[str, Any] | None = None, **kwargs: Any) -> Call:  # fmt: skip
    """A call about a request (the shared one without `data_request`), by a caller of the
    organisation asked (`asked`) or of another."""
    found = data_request or s.shared_request
    return _cycle(found["year"], f"/requests/{found['request_id']}{suffix}",
                  organisation=_caller_organisation(s, found, asked), **kwargs)  # fmt: skip


def _per_organisation(key: str, make: Callable[[Scene, bool], Call],
                      **options: Any) -> dict[str, Recipe]:  # fmt: skip
    """The recipes of a call about a request to the caller's organisation, and to another."""
    return {f"{key} [{TO_THE_CALLER}]": Recipe(lambda s: make(s, True), **options),
            f"{key} [{TO_ANOTHER}]": Recipe(lambda s: make(s, False), **options)}  # fmt: skip


INDICATORS = {
    **operations("indicators"),
    "GET /api/v1/catalogue": Recipe(lambda s: Call("/api/v1/catalogue")),
    "GET /api/v1/values": Recipe(lambda s: Call(f"/api/v1/values?country={OWN}")),
    "GET /api/v1/regional/comparison": Recipe(
        lambda s: Call("/api/v1/regional/comparison?indicator=ID-01&period=2024")),
    "GET /api/v1/regional/checkpoints": Recipe(lambda s: Call("/api/v1/regional/checkpoints")),
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
    "GET /api/v1/cycles": Recipe(lambda s: Call(f"/api/v1/cycles?country={OWN}",
                                                success=_lists_cycle(s.listed_cycle))),
    f"GET {CYCLE}": Recipe(lambda s: _cycle(s.shared_cycle)),
    f"POST {CYCLE}": Recipe(lambda s: _openable(s), fresh=True),
    f"GET {CYCLE}/reminders": Recipe(lambda s: _cycle(
        s.shared_cycle, f"/reminders?as_of={OVERDUE}", success=_lists_request(s.shared_request))),
    # asking again asks only the institutions not asked yet (here none: 200 rather than 201)
    f"POST {CYCLE}/requests": Recipe(lambda s: _cycle(
        s.shared_cycle, "/requests", json={"organisations": s.institutions})),
    **_per_organisation(f"GET {CYCLE}/requests", lambda s, asked: _cycle(
        s.shared_cycle, "/requests", success=_lists_request(s.shared_request),
        organisation=_caller_organisation(s, s.shared_request, asked))),
    **_per_organisation(f"GET {DATA_REQUEST}", lambda s, asked: _data_request(s, asked)),
    # a refusal is final: each caller refuses a request no one refused yet
    **_per_organisation(f"POST {DATA_REQUEST}/refusal", lambda s, asked: _data_request(
        s, asked, "/refusal", s.unrefused(), json={"reason": "Published only in June."}),
        fresh=True),
    **_per_organisation(f"GET {DATA_REQUEST}/workbook",
                        lambda s, asked: _data_request(s, asked, "/workbook")),
    **_per_organisation(f"POST {DATA_REQUEST}/workbook", lambda s, asked: _data_request(
        s, asked, "/workbook", data=s.filled_workbook(s.shared_request))),
    # a letter is a PDF rendered on every call: seconds each
    **_per_organisation(f"GET {DATA_REQUEST}/letter",
                        lambda s, asked: _data_request(s, asked, "/letter"), slow=True),
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
    "GET /api/v1/recommendations": Recipe(lambda s: Call(
        f"/api/v1/recommendations?country={OWN}",
        success=_lists_recommendation(s.shared_recommendation))),
    "POST /api/v1/recommendations": Recipe(lambda s: Call("/api/v1/recommendations",
                                                          json=GRETA)),
    f"GET {RECOMMENDATION}": Recipe(
        lambda s: Call(f"/api/v1/recommendations/{s.shared_recommendation}")),
    "GET /api/v1/recommendations/rates": Recipe(lambda s: Call(
        f"/api/v1/recommendations/rates?country={OWN}&year={FOLLOWED_UP}")),
    "GET /api/v1/regional/recommendations": Recipe(lambda s: Call(
        f"/api/v1/regional/recommendations?year={FOLLOWED_UP}")),
    # assessed again while it awaits review: the same recommendation for every caller
    f"PUT {FOLLOW_UP}": Recipe(lambda s: _follow_up(s.shared_recommendation, json=ASSESSED)),
    # a review is final: each caller reviews an assessment of its own
    f"POST {FOLLOW_UP}/confirmation": Recipe(lambda s: _follow_up(
        s.assessed(), "/confirmation", json={"comment": "Agreed."}), fresh=True),
    f"POST {FOLLOW_UP}/return": Recipe(lambda s: _follow_up(
        s.assessed(), "/return", json={"comment": "Cite the training records."}), fresh=True),
}  # fmt: skip


def _follow_up(recommendation_id: str, suffix: str = "", **kwargs: Any) -> Call:
    return Call(f"/api/v1/recommendations/{recommendation_id}/follow-ups/{FOLLOWED_UP}{suffix}",
                **kwargs)  # fmt: skip


def _lists_recommendation(recommendation_id: str) -> Callable[[TestResponse], bool]:
    return lambda answer: answer.status_code == 200 and recommendation_id in {
        r["recommendation_id"] for r in answer.get_json()}  # fmt: skip


def _publishable(s: Scene) -> Call:
    report_id = s.report("approved")
    s.checkpoints()
    return _report(report_id, "/publication")


RECIPES = {"intake": INTAKE, "indicators": INDICATORS, "reporting": REPORTING}
