"""The intake API's process cache of folded cases is bounded by the facts it holds, not only
by cases: a case's history grows with every event (bench/load.py, issue 10)."""

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


def test_the_least_recently_used_cases_go_when_the_facts_exceed_the_bound() -> None:
    cache = CaseCache(size=100, max_facts=10)
    cache.put("a", case_with(4))
    cache.put("b", case_with(4))
    assert cache.get("a") is not None  # a is now used more recently than b
    cache.put("c", case_with(4))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None


def test_a_case_grown_in_place_counts_once() -> None:
    cache = CaseCache(size=100, max_facts=10)
    cache.put("a", case_with(3))
    cache.put("b", case_with(3))
    cache.put("a", case_with(7))  # the same case, 4 events later: 3 + 7 facts are kept
    assert cache.get("a") is not None and cache.get("b") is not None
    cache.put("a", case_with(8))
    assert cache.get("b") is None


def test_a_case_bigger_than_the_cache_is_not_kept() -> None:
    cache = CaseCache(size=100, max_facts=10)
    cache.put("small", case_with(2))
    cache.put("huge", case_with(11))
    assert cache.get("huge") is None
    assert cache.get("small") is not None


def test_the_bound_on_cases_still_holds() -> None:
    cache = CaseCache(size=2, max_facts=1000)
    for name in ("a", "b", "c"):
        cache.put(name, case_with(1))
    assert cache.get("a") is None
    assert cache.get("b") is not None and cache.get("c") is not None
