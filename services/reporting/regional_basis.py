"""What a regional report rests on: the national nodes' regional topics, as the hub receives them
— never a node's case-level history, which does not leave the country.

Each node's topic carries its regional figures (disclosure-controlled values, confirmed scores,
implementation rates) and, after them, regional checkpoints: a signed checkpoint of the node's
indicators log with a consistency proof from the previous one and an inclusion proof for every
figure since (`services/indicators/regional_checkpoints.py`). `check_chain` walks that chain;
a report pins one of its checkpoints per node (origin `<node>.indicators`, size, root, signed
note) and reads the figures it proves. An auditor replays the same topic and walks the same
chain, from the first checkpoint to the pinned one and on to the latest (the node's log only
grew since the report was published)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from services.indicators.events import REGIONAL_CHECKPOINT, REGIONAL_FIGURES
from services.indicators.regional_checkpoints import ChainError, Link, check_link
from services.reporting.basis import BasisError, NoSuchTopic, PinnedLog, topic_events
from shared.backbone.envelope import RecordedEvent
from shared.backbone.registry import EventRegistry


def regional_topic(prefix: str, node: str) -> str:
    return f"{prefix}{node}.regional"


def node_of(origin: str) -> str:
    """`mk.indicators` -> `mk`."""
    return origin.split(".", 1)[0]


@dataclass(frozen=True)
class RegionalHistory:
    """A node's regional topic, its chain of checkpoints checked: the figures each proves."""

    topic: str
    chain: tuple[PinnedLog, ...]  # in log order, each consistent with the one before
    figures: tuple[RecordedEvent, ...]  # proven by the chain, in log order
    pending: int  # figures after the latest checkpoint, not proven yet

    @property
    def latest(self) -> PinnedLog:
        if not self.chain:
            raise BasisError(f"{self.topic} carries no regional checkpoint yet: the node's"
                             " indicators worker publishes one a few seconds after its"
                             " figures")  # fmt: skip
        return self.chain[-1]

    def up_to(self, pinned: PinnedLog) -> list[RecordedEvent]:
        """The figures the pinned checkpoint proves; it must be one of the chain's."""
        if not any((c.size, c.root, c.note) == (pinned.size, pinned.root, pinned.note)
                   for c in self.chain):  # fmt: skip
            raise BasisError(f"the pinned checkpoint of {pinned.origin} (size {pinned.size}) is"
                             f" not among the {len(self.chain)} regional checkpoints on"
                             f" {self.topic}")  # fmt: skip
        return [f for f in self.figures if f.log_index <= pinned.size]


def check_chain(topic: str, events: Iterable[RecordedEvent]) -> RegionalHistory:
    """Checks the topic's regional checkpoints in log order — each signed by the key the first
    one names, each a consistent extension of the one before, each proving exactly the figures
    appended since — and returns what they prove. Raises `BasisError` naming the first thing
    that does not hold."""
    by_index: dict[int, RecordedEvent] = {}
    for event in events:
        seen = by_index.get(event.log_index)
        if seen is not None and seen.leaf_hash != event.leaf_hash:
            raise BasisError(f"{topic}: two different events claim log index {event.log_index}")
        by_index[event.log_index] = event  # MirrorMaker 2 may deliver one twice
    ordered = [by_index[i] for i in sorted(by_index)]
    for event in ordered:
        if event.event_type not in (*REGIONAL_FIGURES, REGIONAL_CHECKPOINT):
            raise BasisError(f"{topic} log index {event.log_index}: {event.event_type} is not a"
                             " regional event")  # fmt: skip
    figures = {e.log_index: e for e in ordered if e.event_type in REGIONAL_FIGURES}
    chain: list[PinnedLog] = []
    for event in (e for e in ordered if e.event_type == REGIONAL_CHECKPOINT):
        chain.append(_checked(topic, event, chain[-1] if chain else None, figures))
    covered = chain[-1].size if chain else 0
    return RegionalHistory(
        topic, tuple(chain), tuple(f for i, f in sorted(figures.items()) if i <= covered),
        sum(1 for i in figures if i > covered),
    )  # fmt: skip


def _checked(topic: str, event: RecordedEvent, previous: PinnedLog | None,
             figures: dict[int, RecordedEvent]) -> PinnedLog:  # fmt: skip
    before = None if previous is None else Link(previous.origin, previous.size, previous.root,
                                                previous.note, previous.verifier)  # fmt: skip
    try:
        link = check_link(event.payload, before, {i: f.leaf_hash for i, f in figures.items()})
    except ChainError as exc:
        raise BasisError(f"{topic}: the regional checkpoint at log index {event.log_index}:"
                         f" {exc}") from exc  # fmt: skip
    return PinnedLog(link.origin, link.size, link.root, link.note, link.verifier)


def regional_history(bootstrap: str, topic: str, registry: EventRegistry) -> RegionalHistory:
    try:
        return check_chain(topic, topic_events(bootstrap, topic, registry, timeout=120.0))
    except NoSuchTopic as exc:
        raise BasisError(f"{exc}: has the node published its regional figures, and does the"
                         " hub replicate them?") from exc  # fmt: skip


def pin_regional(
    bootstrap: str, topic: str, registry: EventRegistry, wait: float = 0.0
) -> tuple[PinnedLog, list[RecordedEvent]]:
    """The latest regional checkpoint of the node and the figures it proves. Figures published
    after it are proven a few seconds later by the next one, so up to `wait` seconds are given
    for it before the report rests on what is proven."""
    give_up = time.monotonic() + wait
    while True:
        history = regional_history(bootstrap, topic, registry)
        if (history.chain and not history.pending) or time.monotonic() > give_up:
            latest = history.latest
            return latest, history.up_to(latest)
        time.sleep(1.0)
