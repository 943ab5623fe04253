"""The demo's people: for each partner country its monitoring CSO (the BAN partner), a police
unit, a social welfare centre and the national coordinator, with one user per role; and the
regional hub with its analyst, an auditor and the platform administrator."""

from __future__ import annotations

from dataclasses import dataclass

from services.identity.bootstrap import Operator
from shared.auth import REGIONAL, Grant

# for the demo only, printed by `make demo`; never used outside a local stack
DEMO_PASSWORD = "ActNow-demo-2026"

PARTNERS = {
    "AL": "CLCI - Center for Legal Civic Initiatives",
    "BA": "International Forum of Solidarity - EMMAUS",
    "ME": "Women's Rights Center",
    "MK": "Open Gate - La Strada",
    "RS": "ASTRA - Anti Trafficking Action",
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str
    organisation: str


def load_people(operator: Operator) -> list[DemoLogin]:
    logins: list[DemoLogin] = []

    def add(organisation, username: str, name: str, role: str, scope: str) -> None:
        operator.add_user(organisation, username, name, DEMO_PASSWORD, [Grant(role, scope)],
                          exist_ok=True)  # fmt: skip
        logins.append(DemoLogin(username, role, scope, organisation.name))

    for country, cso_name in PARTNERS.items():
        cc = country.lower()
        cso = operator.organisation(cso_name, country, "cso")
        police = operator.organisation(f"Police anti-trafficking unit ({country})", country,
                                       "police")  # fmt: skip
        welfare = operator.organisation(f"Centre for social work ({country})", country,
                                         "social_welfare_centre")  # fmt: skip
        coordinator = operator.organisation(f"National anti-trafficking coordinator ({country})",
                                            country, "national_coordinator")  # fmt: skip
        # institutions whose aggregate figures the demo submits (services/intake/demo.py)
        operator.organisation(f"Public prosecution office ({country})", country, "prosecution")
        operator.organisation(f"Basic court ({country})", country, "court")
        add(cso, f"{cc}.admin", f"National admin, {cso_name}", "national_admin", country)
        add(cso, f"{cc}.monitor", f"Monitor, {cso_name}", "monitor", country)
        add(welfare, f"{cc}.caseworker", f"Case worker ({country})", "case_worker", country)
        add(police, f"{cc}.police", f"Data provider, police ({country})", "data_provider", country)
        add(coordinator, f"{cc}.reviewer", f"Reviewer, national coordinator ({country})",
            "reviewer", country)  # fmt: skip
        add(cso, f"{cc}.auditor", f"Auditor ({country})", "auditor", country)
    hub = operator.organisation("BAN regional hub (ASTRA, NHC)", "RS", "regional_hub")
    donor = operator.organisation("Donor evaluation team", "RS", "donor_auditor")
    add(hub, "hub.analyst", "Regional analyst", "regional_analyst", REGIONAL)
    add(donor, "hub.auditor", "Donor auditor", "auditor", REGIONAL)
    add(hub, "platform.admin", "Platform administrator", "platform_admin", REGIONAL)
    return logins
