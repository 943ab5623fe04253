"""Five years of generated, plausible demo cases and submissions for AL, BA, ME, MK and RS.

Volumes and proportions are in the range the partner countries report (several dozen to over a
hundred identified or presumed victims a year; most of them women and girls, about four in ten
children, sexual exploitation first, then forced labour and forced begging, most victims
nationals of the country). Every case goes through the same deciders as the API, so the demo
holds nothing the API would refuse; a step a rule refuses is simply left out. The generator is
seeded: loading twice finds the cases already there.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.identity.bootstrap import NAMESPACE
from services.intake import cases
from services.intake.cases import Case
from services.intake.projections import case_stream
from services.intake.submissions import decide_submission, submission_stream
from shared.backbone.envelope import Actor, NewEvent
from shared.backbone.store import ConcurrencyError, EventStore, ExpectedVersion
from shared.errors import ValidationProblem

YEARS = (2021, 2022, 2023, 2024, 2025)
CASES_PER_YEAR = {"AL": 110, "BA": 55, "ME": 16, "MK": 35, "RS": 85}
NEIGHBOURS = {
    "AL": ["XK", "MK", "GR", "IT"], "BA": ["RS", "HR", "ME", "AL"], "ME": ["RS", "BA", "AL", "XK"],
    "MK": ["AL", "XK", "RS", "BG"], "RS": ["BA", "MK", "XK", "RO", "UA", "PH"],
}  # fmt: skip
EXPLOITATION = [("SexualExploitation", 50), ("ForcedLabour", 18), ("ForcedBegging", 12),
                ("ForcedMarriage", 7), ("ext_ForcedCriminality", 5), ("Servitude", 4),
                ("Other", 4)]  # fmt: skip
DETECTED_BY = [("Police", 35), ("NGO", 20), ("SocialWelfareCentre", 15), ("BorderPolice", 8),
               ("LabourInspectorate", 5), ("Helpline", 5), ("HealthService", 3), ("School", 3),
               ("MigrationAuthority", 3), ("SelfReferral", 3)]  # fmt: skip
IDENTIFIED_BY = [("Police", 45), ("MultiAgencyTeam", 20), ("SocialWelfareCentre", 15),
                 ("IdentificationOffice", 10), ("Prosecution", 5), ("NGO", 5)]  # fmt: skip
SERVICES = ["Accommodation", "Psychological", "Medical", "LegalCounselling", "MaterialAssistance",
            "VocationalTraining", "Education", "LegalRepresentation"]  # fmt: skip


def organisation_id(country: str, name: str) -> uuid.UUID:
    """The id the identity service's demo gives the organisation (same derivation)."""
    return uuid.uuid5(NAMESPACE, f"{country}:{name.strip().lower()}")


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass
class CaseBuilder:
    """One case stream being decided in memory, event by event, as the API would."""

    rng: random.Random
    today: date
    actor: Actor
    events: list[NewEvent]
    case: Case | None = None
    refused: int = 0

    def add(self, decided: list[NewEvent], on: date) -> None:
        moment = datetime.combine(on, time(9 + self.rng.randrange(8)), tzinfo=UTC)
        dated = [replace(event, occurred_at=moment) for event in decided]
        self.events += dated
        self.case = cases.after_decided(self.case, dated)

    def record(self, name: str, on: date, **payload: Any) -> bool:
        if on > self.today:
            return False
        date_field = {"ServiceDelivered": "start_date", "CaseClosed": "ext_CaseClosedDate"}
        payload.setdefault(date_field.get(name, "date"), on.isoformat())
        try:
            decided = cases.record_event(self.case, f"intake.{name}", payload, self.today,
                                         actor=self.actor)  # fmt: skip
        except ValidationProblem:
            self.refused += 1
            return False
        self.add(decided, on)
        return True


def generate_case(rng: random.Random, country: str, year: int, today: date) -> CaseBuilder:
    child = rng.random() < 0.38
    gender = (
        weighted(rng, [("Feminine", 65), ("Masculine", 35)]) if child
        else weighted(rng, [("Feminine", 74), ("Masculine", 23), ("NonSpecifiedUnknown", 3)])
    )  # fmt: skip
    age = rng.randint(9, 17) if child else rng.randint(18, 48)
    contact = date(year, 1, 1) + timedelta(days=rng.randrange(330))
    birth = contact - timedelta(days=round(age * 365.25) + rng.randrange(30, 300))
    child = cases.age_on(birth, contact) < cases.ADULT_AGE
    national = rng.random() < 0.8
    citizenship = country if national else rng.choice(NEIGHBOURS[country])
    exploitation = weighted(rng, EXPLOITATION)
    if child and rng.random() < 0.25:
        exploitation = rng.choice(["ForcedBegging", "ForcedMarriage"])
    command = {
        "person_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "prs_Gender": gender,
        "prs_Birthdate": birth.isoformat(),
        "ext_IsChild": child,
        "prs_Citizenship": [citizenship],
        "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
        "ext_FirstContactDate": contact.isoformat(),
        "ext_DetectingAgencyType": weighted(rng, DETECTED_BY),
        "vic_TypeOfExploitation": [exploitation],
        "vic_RelationshipToTrafficker": weighted(
            rng, [("Acquainted", 45), ("Familial", 25), ("Unaquainted", 30)]),
        "vic_MethodOfRecruitment": [rng.choice(
            ["ThroughFriendsOrSocialEvents", "ThroughOnlineSocialNetworks",
             "ThroughFamilyOrFamilyEvents", "AtWork", "Other"])],
        "ext_CountryOfExploitation": [country if rng.random() < 0.7
                                      else rng.choice(NEIGHBOURS[country])],
        "ext_Unaccompanied": child and not national and rng.random() < 0.5,
        "cas_Status": "Active",
    }  # fmt: skip
    actor = Actor(user=f"{country.lower()}.caseworker")
    builder = CaseBuilder(rng, today, actor, [])
    builder.add(cases.open_case(command, today, actor=actor), contact)
    _assistance(builder, contact, child, national, citizenship, country)
    return builder


def _assistance(b: CaseBuilder, contact: date, child: bool, national: bool, citizenship: str,
                country: str) -> None:  # fmt: skip
    rng, day = b.rng, contact
    outcome = rng.random()
    if outcome < 0.72:
        day += timedelta(days=rng.randint(3, 60))
        b.record("TraffickingStatusDecided", day, status="ActualVictimOfTrafficking",
                 body_type=weighted(rng, IDENTIFIED_BY))  # fmt: skip
    elif outcome < 0.77:
        day += timedelta(days=rng.randint(10, 90))
        b.record("TraffickingStatusDecided", day, status="NotAVictimOfTrafficking",
                 body_type="Police")  # fmt: skip
        return
    identified = outcome < 0.72
    if child and rng.random() < 0.9:
        b.record("GuardianAppointed", contact + timedelta(days=rng.randint(0, 6)))
    if child and rng.random() < 0.6:
        b.record("ChildInterviewConducted", contact + timedelta(days=rng.randint(2, 30)),
                 child_sensitive=rng.random() < 0.8, recorded=rng.random() < 0.5)  # fmt: skip
    if rng.random() < 0.85:
        b.record("ReferralMade", contact + timedelta(days=rng.randint(0, 10)), direction="Outgoing",
                 scope="Domestic", reason="AdditionalServicesRequired",
                 referred_org_type=rng.choice(["NGO", "LocalGovernmentOrganisation"]))  # fmt: skip
    for service in rng.sample(SERVICES, k=rng.randint(1, 4)):
        start = contact + timedelta(days=rng.randint(0, 40))
        end = start + timedelta(days=rng.randint(10, 200)) if rng.random() < 0.6 else None
        b.record("ServiceDelivered", start, service_type=service, provider_type="NGO",
                 **({"end_date": end.isoformat()} if end and end <= b.today else {}))  # fmt: skip
    if not national:
        decision = weighted(rng, [("Granted", 60), ("Refused", 10), ("NotRequested", 30)])
        extra = ({"start_date": (contact + timedelta(days=2)).isoformat(), "length_days": 90}
                 if decision == "Granted" else {})  # fmt: skip
        b.record("ReflectionPeriodDecided", contact + timedelta(days=2), decision=decision,
                 **extra)  # fmt: skip
        if rng.random() < 0.4:
            b.record("ReturnCompleted", contact + timedelta(days=rng.randint(30, 200)),
                     direction="OutOfDeploymentCountry", country=citizenship,
                     risk_assessment_done=rng.random() < 0.7)  # fmt: skip
    if identified and not child and rng.random() < 0.3:
        b.record("VictimTestified", contact + timedelta(days=rng.randint(60, 400)),
                 protective_measures=[rng.choice(["NoConfrontation", "VideoLink",
                                                  "ClosedHearing", "None"])])  # fmt: skip
    if identified and rng.random() < 0.2:
        _compensation(b, contact)
    if rng.random() < 0.05:
        fined = contact - timedelta(days=rng.randint(1, 200))
        domain = rng.choice(["Misdemeanour", "Immigration"])
        penalised = b.record("VictimPenalised", fined, domain=domain, measure="Fined",
                             linked_to_exploitation=True)  # fmt: skip
        if penalised and rng.random() < 0.5:
            b.record("NonPunishmentApplied", contact + timedelta(days=rng.randint(10, 120)),
                     domain="Misdemeanour", stage="PenaltyWaived")  # fmt: skip
    if rng.random() < 0.4:
        b.record("ReintegrationOutcomeRecorded", contact + timedelta(days=rng.randint(180, 500)),
                 outcome=weighted(rng, [("Employment", 30), ("Education", 20),
                                        ("StableHousing", 20), ("None", 30)]),
                 at_case_closure=False)  # fmt: skip
    latest = b.case.latest_date or contact
    closing = latest + timedelta(days=rng.randint(30, 400))
    if rng.random() < 0.7:
        b.record("CaseClosed", closing, cas_Status="Closed")


def _compensation(b: CaseBuilder, contact: date) -> None:
    rng = b.rng
    filed = contact + timedelta(days=rng.randint(60, 300))
    forum = weighted(rng, [("CriminalAdhesion", 60), ("Civil", 25), ("StateScheme", 15)])
    claim_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    amount = float(rng.choice([2000, 5000, 8000, 10000, 15000]))
    if not b.record("CompensationClaimFiled", filed, claim_id=claim_id, forum=forum,
                    amount_claimed_eur=amount):  # fmt: skip
        return
    if rng.random() < 0.5:
        return
    decided = filed + timedelta(days=rng.randint(120, 600))
    awarded = rng.random() < 0.45
    outcome = "Awarded" if awarded else "Rejected"
    extra = (
        {"amount_awarded_eur": round(amount * rng.choice([0.3, 0.5, 1.0]), 2)} if awarded else {}
    )
    if b.record("CompensationDecided", decided, claim_id=claim_id, forum=forum, outcome=outcome,
                final=True, **extra) and awarded and rng.random() < 0.35:  # fmt: skip
        b.record("CompensationPaid", decided + timedelta(days=rng.randint(30, 300)),
                 claim_id=claim_id, amount_eur=extra["amount_awarded_eur"],
                 payer=rng.choice(["Perpetrator", "StateFund"]))  # fmt: skip


def generate(country: str, year: int, today: date) -> Iterator[tuple[str, CaseBuilder]]:
    rng = random.Random(f"actnow-demo-{country}-{year}")
    volume = round(CASES_PER_YEAR[country] * rng.uniform(0.8, 1.2))
    for _ in range(volume):
        case_id = f"{country}-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        yield case_id, generate_case(rng, country, year, today)


def submissions(
    country: str, year: int, identified: int, today: date
) -> Iterator[tuple[str, NewEvent]]:
    """What the police, prosecution, courts, coordinator and monitor report for the year."""
    rng = random.Random(f"actnow-demo-agg-{country}-{year}")
    investigations = max(1, round(identified * rng.uniform(0.3, 0.6)))
    indicted = max(0, round(investigations * rng.uniform(0.4, 0.8)))
    convicted = max(0, round(indicted * rng.uniform(0.3, 0.7)))
    sexual = round(investigations * 0.6)
    by = {
        f"Police anti-trafficking unit ({country})": {
            "agg_cj_InvestigationsOpened": {"total": investigations, "breakdowns": {
                "exploitation_type": {"SexualExploitation": sexual,
                                      "ForcedLabour": investigations - sexual}}}},
        f"Public prosecution office ({country})": {
            "agg_cj_PersonsIndicted": {"total": indicted}},
        f"Basic court ({country})": {
            "agg_cj_PersonsConvictedFinal": {"total": convicted},
            "agg_cj_FinalConvictionsEffectiveImprisonment": {
                "total": round(convicted * rng.uniform(0.5, 0.9))},
            "agg_cj_FinalSentenceRecords": {"records": [
                {"prison_months": rng.choice([6, 12, 24, 36, 48, 60]),
                 "suspended": rng.random() < 0.2, "exploitation_type": "SexualExploitation"}
                for _ in range(convicted)]},
            "agg_cj_FinalJudgmentRecords": {"records": [
                {"days_indictment_to_final": rng.randint(200, 1500),
                 "outcome": rng.choice(["Conviction", "Conviction", "Acquittal", "Dismissal"])}
                for _ in range(indicted)]},
        },
        f"National anti-trafficking coordinator ({country})": {
            "agg_fin_AssistanceFundingEUR": {"total": float(rng.randrange(50, 400) * 1000)}},
    }  # fmt: skip
    for name, figures in by.items():
        organisation = organisation_id(country, name)
        event = decide_submission(
            country, organisation, str(year), figures,
            {"title": f"Annual statistics {year}", "reference": f"{country}-{year}-{name[:6]}"},
            0, today, actor=Actor(user=f"{country.lower()}.police"),
        )  # fmt: skip
        moment = datetime.combine(date(year + 1, 2, 15), time(10), tzinfo=UTC)
        yield (
            submission_stream(country, organisation, str(year)),
            replace(event, occurred_at=moment),
        )


@dataclass
class Loaded:
    cases: int = 0
    events: int = 0
    already_there: int = 0
    refused_steps: int = 0
    submissions: int = 0


def load(store: EventStore, countries: list[str], today: date,
         progress: Callable[[str], None] = lambda _: None) -> Loaded:  # fmt: skip
    loaded = Loaded()
    for country in countries:
        for year in YEARS:
            identified = 0
            for case_id, builder in generate(country, year, today):
                loaded.refused_steps += builder.refused
                if builder.case.identification_date is not None:
                    identified += 1
                try:
                    store.append(case_stream(case_id), ExpectedVersion.NO_STREAM, builder.events)
                except ConcurrencyError:
                    loaded.already_there += 1
                    continue
                loaded.cases += 1
                loaded.events += len(builder.events)
            for stream, event in submissions(country, year, identified, today):
                try:
                    store.append(stream, ExpectedVersion.NO_STREAM, [event])
                    loaded.submissions += 1
                except ConcurrencyError:
                    pass
            progress(f"{country} {year}")
    return loaded
