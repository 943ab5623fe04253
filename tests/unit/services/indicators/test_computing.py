"""When the values computer computes a country again: a minimum interval, and a bounded share
of its time however long a computation takes."""

from __future__ import annotations

from services.indicators.computing import next_computation


def test_a_quick_computation_waits_the_minimum_interval() -> None:
    assert next_computation(started=100.0, took=0.5, min_interval=15.0, max_share=0.1) == 115.0


def test_a_long_computation_rests_long_enough_to_keep_its_share() -> None:
    # 6 s of computing at most a tenth of the time: the next one starts 60 s after this one
    assert next_computation(started=100.0, took=6.0, min_interval=15.0, max_share=0.1) == 160.0


def test_a_full_share_without_interval_computes_again_as_soon_as_done() -> None:
    assert next_computation(started=100.0, took=2.0, min_interval=0.0, max_share=1.0) == 102.0
