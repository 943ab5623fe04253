"""Who may do what: the expected access of every endpoint of intake, indicators and reporting,
as data. The resource of each call belongs to the caller's own country (MK); a caller is a role
granted for MK (own), for RS (other), or regionally. Keys are the OpenAPI operations
(`METHOD /path`), with a variant in brackets where one operation is checked on several kinds of
resource. A new endpoint has no row here, and the matrix fails naming it until one is added."""

from __future__ import annotations

from dataclasses import dataclass

OWN, OTHER, REGIONAL = "MK", "RS", "regional"
NATIONAL_ROLES = ("auditor", "case_worker", "data_provider", "monitor", "national_admin",
                  "reviewer")  # fmt: skip
REGIONAL_ROLES = ("auditor", "platform_admin", "regional_analyst")


@dataclass(frozen=True)
class Rule:
    """The callers entitled to succeed; everyone else must not get a 2xx."""

    own: frozenset[str] = frozenset()  # national roles of the resource's country
    other: frozenset[str] = frozenset()  # national roles of another country
    regional: frozenset[str] = frozenset()  # roles granted regionally
    signed_in: bool = False  # any valid token
    public: bool = False  # no token at all (liveness, readiness, metrics)

    def entitles(self, role: str, scope: str) -> bool:
        if self.public or self.signed_in:
            return True
        granted = {OWN: self.own, OTHER: self.other, REGIONAL: self.regional}[scope]
        return role in granted


def rule(own: tuple[str, ...] = (), *, other: tuple[str, ...] = (),
         regional: tuple[str, ...] = ()) -> Rule:  # fmt: skip
    return Rule(frozenset(own), frozenset(other), frozenset(regional))


def callers() -> list[tuple[str, str]]:
    """Every role in its own and another country, and every regional role: 15 callers."""
    national = [(role, scope) for role in NATIONAL_ROLES for scope in (OWN, OTHER)]
    return [*national, *((role, REGIONAL) for role in REGIONAL_ROLES)]


PUBLIC = Rule(public=True)
SIGNED_IN = Rule(signed_in=True)
# tamper evidence carries hashes only: any role that checks the figures, of any country
_CHECKERS = ("auditor", "monitor", "national_admin", "reviewer")
AUDIT = rule(_CHECKERS, other=_CHECKERS, regional=REGIONAL_ROLES)
OPERATIONS = {"GET /healthz": PUBLIC, "GET /readyz": PUBLIC, "GET /metrics": PUBLIC,
              "GET /api/v1/audit/checkpoint": AUDIT, "GET /api/v1/audit/consistency": AUDIT,
              "GET /api/v1/audit/inclusion": AUDIT,
              "GET /api/v1/audit/verification": AUDIT}  # fmt: skip

CASE_READERS = ("case_worker", "monitor")
INTAKE = {
    **OPERATIONS,
    "POST /api/v1/cases": rule(("case_worker",)),
    "GET /api/v1/cases": rule(CASE_READERS),
    "GET /api/v1/cases/export": rule(CASE_READERS),
    "GET /api/v1/cases/{case_id}": rule(CASE_READERS),
    "POST /api/v1/cases/{case_id}/events": rule(("case_worker",)),
    "POST /api/v1/cases/{case_id}/events/batch": rule(("case_worker",)),
    "GET /api/v1/cases/{case_id}/identifiers": rule(("case_worker",)),
    "POST /api/v1/cases/{case_id}/unlink": rule(("case_worker",)),
    "POST /api/v1/persons/{person_id}/erasure": rule(("national_admin",)),
    "GET /api/v1/access-log": rule(("national_admin",)),
    "POST /api/v1/submissions": rule(("data_provider", "monitor")),
    "GET /api/v1/submissions": rule(("data_provider", "monitor", "national_admin", "reviewer")),
    "POST /api/v1/imports": rule(("case_worker", "data_provider")),
}

NATIONAL_READERS = ("auditor", "data_provider", "monitor", "national_admin", "reviewer")
PROFILE_READERS = rule(NATIONAL_READERS, regional=REGIONAL_ROLES)
PROFILE_EDITORS = rule(("national_admin",), regional=("platform_admin",))
PROFILE = "/api/v1/profiles/{country}/{catalog_version}"
ASSESSMENT = "/api/v1/assessments/{country}/{year}/{code}"
CYCLE = "/api/v1/cycles/{country}/{year}"
DATA_REQUEST = f"{CYCLE}/requests/{{request_id}}"
# a cycle is run by the country's monitors and admin, and its state read by those who check the
# figures; a data_provider reads the country's cycles and the requests sent to its own
# organisation (a request to another is not found), and refuses those
CYCLE_READERS = ("auditor", "monitor", "national_admin", "reviewer")
CYCLE_STATE = rule(CYCLE_READERS, regional=("auditor", "platform_admin"))
REQUEST_READERS = rule((*CYCLE_READERS, "data_provider"), regional=("auditor", "platform_admin"))
CYCLE_RUNNERS = rule(("monitor", "national_admin"))
# the variants of a call about a data request: by someone of the organisation asked, or not
TO_THE_CALLER, TO_ANOTHER = "to the caller's organisation", "to another organisation"


def per_organisation(key: str, asked: Rule, another: Rule) -> dict[str, Rule]:
    """The rules of a call about a request to the caller's organisation, and to another."""
    return {f"{key} [{TO_THE_CALLER}]": asked, f"{key} [{TO_ANOTHER}]": another}


INDICATORS = {
    **OPERATIONS,
    "GET /api/v1/catalogue": SIGNED_IN,
    "GET /api/v1/values": rule(NATIONAL_READERS, regional=("auditor",)),
    "GET /api/v1/regional/comparison": rule(regional=REGIONAL_ROLES),
    "GET /api/v1/regional/checkpoints": rule(regional=REGIONAL_ROLES),
    f"GET {PROFILE}": PROFILE_READERS,
    f"GET {PROFILE}/indicators/{{code}}": PROFILE_READERS,
    f"PUT {PROFILE}/indicators/{{code}}": PROFILE_EDITORS,
    f"POST {PROFILE}/confirm": PROFILE_EDITORS,
    "GET /api/v1/profiles": PROFILE_READERS,
    f"GET {ASSESSMENT}": PROFILE_READERS,
    f"POST {ASSESSMENT}": rule(("monitor",)),
    f"POST {ASSESSMENT}/confirm": rule(("reviewer",)),
    f"POST {ASSESSMENT}/return": rule(("reviewer",)),
    "GET /api/v1/assessments": PROFILE_READERS,
    "GET /api/v1/cycles": REQUEST_READERS,
    f"GET {CYCLE}": CYCLE_STATE,
    f"POST {CYCLE}": CYCLE_RUNNERS,
    f"GET {CYCLE}/reminders": CYCLE_RUNNERS,
    f"POST {CYCLE}/requests": CYCLE_RUNNERS,
    **per_organisation(f"GET {CYCLE}/requests", REQUEST_READERS, CYCLE_STATE),
    **per_organisation(f"GET {DATA_REQUEST}", REQUEST_READERS, CYCLE_STATE),
    **per_organisation(f"POST {DATA_REQUEST}/refusal", rule(("data_provider", "monitor")),
                       rule(("monitor",))),
    **per_organisation(f"GET {DATA_REQUEST}/workbook", REQUEST_READERS, CYCLE_STATE),
    # reads a filled workbook back as a submission's body: nothing is recorded
    **per_organisation(f"POST {DATA_REQUEST}/workbook", REQUEST_READERS, CYCLE_STATE),
    **per_organisation(f"GET {DATA_REQUEST}/letter", REQUEST_READERS, CYCLE_STATE),
}  # fmt: skip

# a draft is seen by the people writing and reviewing it; a published report by the country's
# readers and the region's, and by auditors anywhere
DRAFT_READERS = rule(("monitor", "reviewer"))
PUBLISHED_READERS = rule(("auditor", "monitor", "national_admin", "reviewer"),
                         other=("auditor",), regional=("auditor", "regional_analyst"))  # fmt: skip
REPORT = "/api/v1/reports/{report_id}"
RECOMMENDATION = "/api/v1/recommendations/{recommendation_id}"
FOLLOW_UP = f"{RECOMMENDATION}/follow-ups/{{year}}"
# recommendations and their follow-up are read by the country's readers and the region's; a
# monitor enters and assesses them, a reviewer (not the one who assessed) confirms or returns
RECOMMENDATION_READERS = rule(("auditor", "monitor", "national_admin", "reviewer"),
                              regional=REGIONAL_ROLES)  # fmt: skip
REPORTING = {
    **OPERATIONS,
    "POST /api/v1/reports [national]": rule(("monitor",)),
    "POST /api/v1/reports [regional]": rule(regional=("regional_analyst",)),
    "GET /api/v1/reports [lists a draft]": DRAFT_READERS,
    "GET /api/v1/reports [lists a published report]": PUBLISHED_READERS,
    f"GET {REPORT} [draft]": DRAFT_READERS,
    f"GET {REPORT} [published]": PUBLISHED_READERS,
    f"PATCH {REPORT}/narrative": rule(("monitor",)),
    f"POST {REPORT}/submission": rule(("monitor",)),
    f"POST {REPORT}/comments": rule(("reviewer",)),
    f"POST {REPORT}/return": rule(("reviewer",)),
    f"POST {REPORT}/approval": rule(("reviewer",)),
    f"POST {REPORT}/corrections": rule(("monitor",)),
    f"POST {REPORT}/publication": rule(("monitor",)),
    f"GET {REPORT}/versions/{{version}}/{{fmt}}": PUBLISHED_READERS,
    f"GET {REPORT}/verification [published]": PUBLISHED_READERS,
    # a draft has nothing to verify: an auditor of any country learns only that
    f"GET {REPORT}/verification [draft]": rule(
        ("auditor", "monitor", "reviewer"), other=("auditor",), regional=("auditor",)
    ),
    "GET /api/v1/recommendations": RECOMMENDATION_READERS,
    "POST /api/v1/recommendations": rule(("monitor",)),
    f"GET {RECOMMENDATION}": RECOMMENDATION_READERS,
    "GET /api/v1/recommendations/rates": RECOMMENDATION_READERS,
    # the hub's implementation rates of every country: counts only, for the region's roles
    "GET /api/v1/regional/recommendations": rule(regional=REGIONAL_ROLES),
    f"PUT {FOLLOW_UP}": rule(("monitor",)),
    f"POST {FOLLOW_UP}/confirmation": rule(("reviewer",)),
    f"POST {FOLLOW_UP}/return": rule(("reviewer",)),
}

TABLE = {"intake": INTAKE, "indicators": INDICATORS, "reporting": REPORTING}


def operation(key: str) -> str:
    """`METHOD /path` of a table key (without its variant)."""
    return key.split(" [", 1)[0]
