"""The intake API's process cache keeps summaries of folded cases, whose size does not grow
with the history (bench/load.py, issue 10)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.intake.api import CaseCache
from services.intake.cases import Case, Fact


def case_with(facts: int) -> Case:
    history = tuple(
        Fact(uuid.uuid4(), "intake.ServiceDelivered", {}, n, datetime.now(UTC))
        for n in range(1, facts + 1)
    )
    return Case("p", "Active", "ActualVictimOfTrafficking", version=facts, history=history)


def test_a_cached_case_keeps_its_opening_and_counts_the_rest_of_its_history() -> None:
    cache = CaseCache()
    case = case_with(300)
    cache.put("a", case)
    kept = cache.get("a")
    assert kept is not None
    assert kept.history == case.history[:1] and kept.elided == 299
    assert kept.version == 300 and kept.status == "Active"


def test_the_least_recently_used_cases_go_when_the_cases_exceed_the_bound() -> None:
    cache = CaseCache(size=2)
    for name in ("a", "b"):
        cache.put(name, case_with(1))
    assert cache.get("a") is not None  # a is now used more recently than b
    cache.put("c", case_with(1))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None


def test_a_case_put_again_replaces_itself() -> None:
    cache = CaseCache(size=2)
    cache.put("a", case_with(3))
    cache.put("b", case_with(3))
    cache.put("a", case_with(7))
    kept = cache.get("a")
    assert kept is not None and kept.version == 7
    assert cache.get("b") is not None
