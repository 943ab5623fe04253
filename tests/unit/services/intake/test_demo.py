"""The demo data: seeded, accepted by the deciders without a refused step, and in plausible
proportions (most victims women and girls, about four in ten children, sexual exploitation
first, most victims nationals)."""

from collections import Counter
from datetime import date

from services.intake import demo

TODAY = date(2026, 11, 30)


def test_the_generator_is_seeded() -> None:
    first = [case_id for case_id, _ in demo.generate("ME", 2022, TODAY)]
    assert first == [case_id for case_id, _ in demo.generate("ME", 2022, TODAY)]


def test_every_step_of_every_demo_case_passes_the_deciders() -> None:
    refused = sum(b.refused for c in ("MK", "RS") for y in demo.YEARS
                  for _, b in demo.generate(c, y, TODAY))  # fmt: skip
    assert refused == 0


def test_the_proportions_are_plausible() -> None:
    built = [b for y in demo.YEARS for _, b in demo.generate("AL", y, TODAY)]
    opened = [b.events[0].payload for b in built]
    genders = Counter(p["prs_Gender"] for p in opened)
    assert 0.6 < genders["Feminine"] / len(opened) < 0.85
    children = sum(bool(b.case.is_child) for b in built) / len(built)
    assert 0.3 < children < 0.5
    exploitation = Counter(p["vic_TypeOfExploitation"][0] for p in opened)
    assert exploitation.most_common(1)[0][0] == "SexualExploitation"
    nationals = sum(p["prs_Citizenship"] == ["AL"] for p in opened) / len(opened)
    assert 0.7 < nationals < 0.9
    assert 400 < len(built) < 700  # about 110 a year over five years
