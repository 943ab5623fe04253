"""The chain of regional checkpoints a hub reads on a node's regional topic: it proves every
figure it carries against the node's signed log, and a changed, missing, forged or forked piece
fails naming what."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.indicators.events import REGIONAL_VALUES
from services.reporting.basis import BasisError, PinnedLog
from services.reporting.building import regional_series
from services.reporting.regional_basis import check_chain
from shared.backbone import merkle
from shared.backbone.checkpoints import CheckpointSigner
from shared.backbone.envelope import RecordedEvent, canonical_json
from tests.regional_log import ORIGIN, TOPIC, NodeLog, values_payload


@pytest.fixture()
def node() -> NodeLog:
    log = NodeLog()
    log.other(5)
    log.figure("2023", 10)
    log.other(3)
    log.figure("2024", 12)
    log.checkpoint()
    log.other(7)
    log.figure("2024", 14)
    log.checkpoint()
    return log


def figure_indexes(events: list[RecordedEvent]) -> list[int]:
    return [e.log_index for e in events]


def test_the_chain_proves_every_figure_on_the_topic(node: NodeLog) -> None:
    history = check_chain(TOPIC, node.topic)
    assert len(history.chain) == 2
    assert figure_indexes(list(history.figures)) == [6, 10, 19]
    assert history.pending == 0
    assert history.latest.size == 19
    assert history.latest.root == merkle.root_from_leaf_hashes(node.leaves[:19]).hex()


def test_a_report_pinned_to_an_earlier_checkpoint_reads_only_what_it_proved(node: NodeLog) -> None:
    history = check_chain(TOPIC, node.topic)
    assert figure_indexes(history.up_to(history.chain[0])) == [6, 10]


def test_a_figure_after_the_latest_checkpoint_waits_for_the_next_one(node: NodeLog) -> None:
    node.figure("2025", 3)
    history = check_chain(TOPIC, node.topic)
    assert history.pending == 1
    assert figure_indexes(list(history.figures)) == [6, 10, 19]


def test_a_record_delivered_twice_counts_once(node: NodeLog) -> None:
    history = check_chain(TOPIC, [*node.topic, node.topic[1], node.topic[0]])
    assert figure_indexes(list(history.figures)) == [6, 10, 19]


def test_a_figure_changed_on_the_way_fails_naming_its_log_index(node: NodeLog) -> None:
    original = node.topic[1]
    forged = replace(original, payload_bytes=canonical_json(values_payload("2024", 120.0)))
    forged = replace(forged, leaf_hash=forged.computed_leaf_hash())  # a careful forger
    with pytest.raises(BasisError, match="log index 10 is not the one the node's log"):
        check_chain(TOPIC, [forged if e is original else e for e in node.topic])


def test_a_dropped_figure_fails_as_unproven(node: NodeLog) -> None:
    with pytest.raises(BasisError, match="proves log indexes \\[10\\] that are not"):
        check_chain(TOPIC, [e for e in node.topic if e.log_index != 10])


def test_a_checkpoint_signed_by_another_key_fails(node: NodeLog) -> None:
    intruder = NodeLog(CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate()))
    intruder.leaves = list(node.leaves)
    intruder.last_size = node.last_size
    intruder.figure("2025", 99)
    intruder.checkpoint()
    with pytest.raises(BasisError, match="signed by another key"):
        check_chain(TOPIC, [*node.topic, *intruder.topic])


def test_a_changed_note_fails_its_signature(node: NodeLog) -> None:
    last = node.topic[-1]
    payload = {**last.payload, "note": last.payload["note"].replace("19", "18", 1)}
    changed = replace(last, payload_bytes=canonical_json(payload))
    changed = replace(changed, leaf_hash=changed.computed_leaf_hash())
    with pytest.raises(BasisError, match=r"signature fails|does not say what"):
        check_chain(TOPIC, [*node.topic[:-1], changed])


def test_a_rewritten_history_is_not_an_extension_of_the_one_before() -> None:
    first = NodeLog()
    first.other(4)
    first.figure()
    first.checkpoint()
    rewritten = NodeLog(first.signer)  # the same key, a different past
    rewritten.other(4)
    rewritten.figure()
    rewritten.checkpoint()
    rewritten.figure("2025", 1)
    rewritten.last_size = first.last_size
    second = rewritten.checkpoint()
    with pytest.raises(BasisError, match="not an extension"):
        check_chain(TOPIC, [*first.topic, second, rewritten.topic[2]])


def test_a_pin_that_is_not_on_the_topic_is_refused(node: NodeLog) -> None:
    history = check_chain(TOPIC, node.topic)
    other = PinnedLog(ORIGIN, 19, "ab" * 32, "note", history.latest.verifier)
    with pytest.raises(BasisError, match="not among the 2 regional checkpoints"):
        history.up_to(other)


def test_the_latest_publication_of_a_country_year_is_the_one_reported(node: NodeLog) -> None:
    node.event(REGIONAL_VALUES, values_payload("2024", 15, {"ID-02": "adapted_noncomparable"}))
    node.figure("2026", 1)  # after the reference year
    (mk,) = regional_series(node.topic, "2025")
    assert [p.period for p in mk.periods] == ["2023", "2024"]
    assert mk.periods[-1].values[0].value == 15
    assert not mk.comparable("ID-02") and mk.comparable("ID-01")
