"""The demo's plan of assessments: fixed, mostly scored with evidence, mostly confirmed."""

from __future__ import annotations

from datetime import date

from services.indicators.demo import cycle_deadlines, review_for, scoring_for

CODES = [f"XX-{n:02d}" for n in range(1, 41)]


def test_the_plan_is_the_same_every_time() -> None:
    assert [scoring_for("MK", 2024, c) for c in CODES] == [scoring_for("MK", 2024, c)
                                                          for c in CODES]  # fmt: skip


def test_most_indicators_are_scored_each_with_evidence_and_most_reviews_confirm() -> None:
    plans = [scoring_for(cc, year, code) for cc in ("AL", "MK") for year in (2024, 2025)
             for code in CODES]  # fmt: skip
    scored = [p for p in plans if p is not None]
    assert len(scored) > 0.8 * len(plans)
    assert all(p["evidence"] and p["evidence"][0]["date"].startswith(("2024", "2025"))
               for p in scored)  # fmt: skip
    assert {p["score"] for p in scored} >= {0, 1, 2, None}
    reviews = [review_for("MK", 2025, code) for code in CODES]
    assert reviews.count("confirm") > len(CODES) / 2 and "return" in reviews


def test_the_demo_cycles_deadlines_lie_ahead_and_follow_each_other() -> None:
    deadlines = cycle_deadlines(date(2026, 11, 30))
    assert deadlines == {"requests_due": "2026-12-30", "scoring_due": "2027-01-29",
                         "report_due": "2027-02-28"}  # fmt: skip
