"""The hub's check of each node's regional checkpoints as they arrive: every checkpoint against
the last one it accepted from that node (same key, a consistent extension, proving exactly the
figures received since). The read model says, per node, how far its log is proven and which
figures are not (yet) proven; a checkpoint that does not hold is kept as a problem and not
accepted, so the next good one must extend the last good one."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from services.indicators.events import REGIONAL_CHECKPOINT, REGIONAL_FIGURES
from services.indicators.regional_checkpoints import ChainError, Link, check_link
from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables


class RegionalChains:
    name = "regional_chains"
    code_version = 1
    tables = {
        "regional_chains": "(origin text PRIMARY KEY, size bigint NOT NULL, root text NOT NULL,"
        " note text NOT NULL, verifier text NOT NULL, checkpoints integer NOT NULL,"
        " accepted_at timestamptz NOT NULL DEFAULT now())",
        "regional_chain_figures": "(origin text NOT NULL, log_index bigint NOT NULL,"
        " leaf_hash bytea NOT NULL, event_type text NOT NULL, PRIMARY KEY (origin, log_index))",
        "regional_chain_problems": "(origin text NOT NULL, log_index bigint NOT NULL,"
        " problem text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (origin, log_index))",
    }

    def __init__(self, topics: Sequence[str]) -> None:
        self.topics = list(topics)

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        for event in sorted(events, key=lambda e: (e.origin, e.log_index)):
            if event.event_type in REGIONAL_FIGURES:
                self._figure(conn, event, tables)
            elif event.event_type == REGIONAL_CHECKPOINT:
                self._checkpoint(conn, event, tables)

    def _figure(self, conn: psycopg.Connection, event: RecordedEvent, tables: Tables) -> None:
        kept = conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s) ON CONFLICT (origin, log_index)"
                    " DO NOTHING RETURNING 1").format(tables["regional_chain_figures"]),
            (event.origin, event.log_index, event.leaf_hash, event.event_type),
        ).fetchone()  # fmt: skip
        if kept is None:
            row = conn.execute(
                sql.SQL("SELECT leaf_hash FROM {} WHERE origin = %s AND log_index = %s")
                .format(tables["regional_chain_figures"]), (event.origin, event.log_index),
            ).fetchone()  # fmt: skip
            if row is not None and bytes(row[0]) != event.leaf_hash:
                self._problem(conn, tables, event, "another event arrived earlier with this log"
                              " index")  # fmt: skip

    def _checkpoint(self, conn: psycopg.Connection, event: RecordedEvent, tables: Tables) -> None:
        row = conn.execute(
            sql.SQL("SELECT origin, size, root, note, verifier, checkpoints FROM {}"
                    " WHERE origin = %s").format(tables["regional_chains"]), (event.origin,),
        ).fetchone()  # fmt: skip
        previous = Link(*row[:5]) if row is not None else None
        if previous is not None and event.payload["size"] <= previous.size:
            return  # a copy of an accepted checkpoint, or an older one arriving late
        after = previous.size if previous is not None else 0
        leaves = {int(i): bytes(h) for i, h in conn.execute(
            sql.SQL("SELECT log_index, leaf_hash FROM {} WHERE origin = %s AND log_index > %s")
            .format(tables["regional_chain_figures"]), (event.origin, after),
        ).fetchall()}  # fmt: skip
        try:
            link = check_link(event.payload, previous, leaves)
        except ChainError as exc:
            self._problem(conn, tables, event, str(exc))
            return
        conn.execute(
            sql.SQL("INSERT INTO {} AS kept (origin, size, root, note, verifier, checkpoints)"
                    " VALUES (%s, %s, %s, %s, %s, 1) ON CONFLICT (origin) DO UPDATE SET"
                    " size = excluded.size, root = excluded.root, note = excluded.note,"
                    " checkpoints = kept.checkpoints + 1, accepted_at = now()")
            .format(tables["regional_chains"]),
            (link.origin, link.size, link.root, link.note, link.verifier),
        )  # fmt: skip

    def _problem(self, conn: psycopg.Connection, tables: Tables, event: RecordedEvent,
                 problem: str) -> None:  # fmt: skip
        conn.execute(
            sql.SQL("INSERT INTO {} (origin, log_index, problem) VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING").format(tables["regional_chain_problems"]),
            (event.origin, event.log_index, problem[:500]),
        )  # fmt: skip
