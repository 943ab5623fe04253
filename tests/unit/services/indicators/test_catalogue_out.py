"""What GET /api/v1/catalogue says of an indicator: enough for a scoring form."""

from __future__ import annotations

from services.indicators.api import IndicatorOut
from services.indicators.catalogue import SEED_PATH, load_catalogue

CATALOGUE = load_catalogue(SEED_PATH)


def test_a_qualitative_indicator_is_sent_with_its_scale_and_description() -> None:
    sent = IndicatorOut().dump(CATALOGUE.indicator("ID-06"))
    assert [level["score"] for level in sent["scale"]] == [0, 1, 2]
    assert sent["scale"][2]["label"] == "fully" and sent["scale"][2]["meaning"]
    assert sent["description"]


def test_a_quantitative_indicator_has_no_scale() -> None:
    assert IndicatorOut().dump(CATALOGUE.indicator("ID-01"))["scale"] == []
