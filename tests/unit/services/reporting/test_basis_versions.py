"""What a report's basis records besides the logs: the national profile version its country
had confirmed in the pinned indicators log (a national report), or the one each country's
regional figures rest on (the regional report)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.indicators.catalogue import SEED_PATH, load_catalogue
from services.indicators.events import REGIONAL_VALUES
from services.indicators.profiles import INDICATOR_SET, PROFILE_CONFIRMED, profile_stream
from services.reporting.building import national_profile_version, regional_profile_versions
from shared.backbone.envelope import Actor, RecordedEvent, canonical_json

CATALOGUE = load_catalogue(SEED_PATH)
MOMENT = datetime(2026, 11, 30, tzinfo=UTC)


def event(stream: str, event_type: str, payload: dict, index: int) -> RecordedEvent:
    return RecordedEvent(uuid.uuid4(), event_type, 1, stream, index, "mk.indicators", index,
                         MOMENT, MOMENT, Actor(user="mk.admin"), None, None,
                         canonical_json(payload), b"")  # fmt: skip


def profile_events(country: str, confirmed: int, drafted: int) -> list[RecordedEvent]:
    stream = profile_stream(country, CATALOGUE.catalog_version)
    found = []
    for number in range(1, drafted + 1):
        found.append(
            event(
                stream,
                INDICATOR_SET,
                {"profile_version": number, "code": "ID-01", "status": "adopted"},
                len(found) + 1,
            )
        )
        if number <= confirmed:
            found.append(event(stream, PROFILE_CONFIRMED, {"profile_version": number,
                                                           "confirmed_by": "mk.admin"},
                               len(found) + 1))  # fmt: skip
    return found


def test_a_national_report_records_the_latest_confirmed_profile_version_not_a_draft() -> None:
    events = profile_events("MK", confirmed=2, drafted=3)
    assert national_profile_version(events, CATALOGUE, "MK") == {"MK": "2"}


def test_a_country_without_a_confirmed_profile_records_none() -> None:
    assert national_profile_version(profile_events("MK", 0, 1), CATALOGUE, "MK") == {}
    assert national_profile_version(profile_events("AL", 1, 1), CATALOGUE, "MK") == {}


def test_the_regional_report_records_the_profile_each_countrys_figures_rest_on() -> None:
    def values(country: str, period: str, version: int | None, index: int) -> RecordedEvent:
        return event(
            f"regional-{country}-{period}",
            REGIONAL_VALUES,
            {"country": country, "period": period, "profile_version": version},
            index,
        )

    events = [values("MK", "2024", 1, 1), values("MK", "2024", 2, 2), values("AL", "2024", None, 3),
              values("RS", "2023", 4, 4), values("RS", "2024", 3, 5)]  # fmt: skip
    assert regional_profile_versions(events, "2024") == {"MK": "2", "RS": "3"}
