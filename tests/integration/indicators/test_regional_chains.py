"""The hub checks each node's regional checkpoints as they arrive, against the last one it
accepted: a good chain is accepted checkpoint by checkpoint, with the figures it proves; a
forged or forking checkpoint is kept as a problem and not accepted, and copies delivered again
change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
from psycopg import sql

from services.indicators.regional_chains import RegionalChains
from shared.backbone.envelope import canonical_json
from tests.regional_log import ORIGIN, NodeLog, values_payload


@pytest.fixture()
def hub(database_url: str) -> Iterator[tuple[psycopg.Connection, RegionalChains, dict]]:
    view = RegionalChains(["mk.regional"])
    tables = {name: sql.Identifier(f"hub_{name}") for name in view.tables}
    with psycopg.connect(database_url) as conn:
        for name, columns in view.tables.items():
            conn.execute(sql.SQL("CREATE TEMP TABLE {} ").format(tables[name]) + sql.SQL(columns))
        yield conn, view, tables


def state(conn: psycopg.Connection, tables: dict) -> tuple[object, list]:
    chain = conn.execute(sql.SQL("SELECT size, checkpoints FROM {} WHERE origin = %s")
                         .format(tables["regional_chains"]), (ORIGIN,)).fetchone()  # fmt: skip
    problems = conn.execute(sql.SQL("SELECT log_index, problem FROM {} ORDER BY log_index")
                            .format(tables["regional_chain_problems"])).fetchall()  # fmt: skip
    return chain, problems


def test_a_good_chain_is_accepted_checkpoint_by_checkpoint_and_copies_change_nothing(
    hub: tuple[psycopg.Connection, RegionalChains, dict],
) -> None:
    conn, view, tables = hub
    node = NodeLog()
    node.other(3)
    node.figure()
    node.checkpoint()
    view.apply(conn, node.topic, tables)
    assert state(conn, tables) == ((4, 1), [])  # the checkpoint covers the first 4 events
    node.other(2)
    node.figure("2025", 3)
    node.checkpoint()
    view.apply(conn, node.topic[2:], tables)
    view.apply(conn, node.topic, tables)  # MirrorMaker 2 delivers everything again
    assert state(conn, tables) == ((8, 2), [])


def test_a_forged_figure_or_a_forked_log_is_refused_and_the_last_good_checkpoint_stays(
    hub: tuple[psycopg.Connection, RegionalChains, dict],
) -> None:
    conn, view, tables = hub
    node = NodeLog()
    node.figure()
    node.checkpoint()
    view.apply(conn, node.topic, tables)
    forged_figure = node.figure("2025", 3)
    forged = replace(forged_figure, payload_bytes=canonical_json(values_payload("2025", 300)))
    forged = replace(forged, leaf_hash=forged.computed_leaf_hash())
    node.checkpoint()
    view.apply(conn, [forged, node.topic[-1]], tables)
    chain, problems = state(conn, tables)
    assert chain == (1, 1)
    assert [index for index, _ in problems] == [4]
    assert "is not the one the node's log" in problems[0][1]

    fork = NodeLog(node.signer)  # the same key, another history
    fork.other(5)
    fork.figure()
    fork.last_size = 1
    fork.checkpoint()
    view.apply(conn, fork.topic, tables)
    chain, problems = state(conn, tables)
    assert chain == (1, 1)
    assert any("not an extension" in problem for _, problem in problems)
