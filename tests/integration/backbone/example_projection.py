"""A projection shaped like the ones the services build, for exercising the runner: a summary
per case stream and referral totals per organisation, written set-based."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import psycopg
from psycopg import sql

from shared.backbone.envelope import RecordedEvent
from shared.backbone.projections import Tables


class CaseSummary:
    name = "case_summary"
    code_version = 1
    tables = {
        "case_summary": "(stream_id text PRIMARY KEY, events integer NOT NULL,"
        " last_type text NOT NULL, last_log_index bigint NOT NULL)",
        "referral_totals": "(to_organisation text PRIMARY KEY, referrals integer NOT NULL,"
        " days_total bigint NOT NULL)",
    }

    def __init__(self, topics: Sequence[str]) -> None:
        self.topics = list(topics)

    def apply(
        self, conn: psycopg.Connection, events: Sequence[RecordedEvent], tables: Tables
    ) -> None:
        per_stream: dict[str, list] = {}
        referrals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for event in events:
            row = per_stream.setdefault(event.stream_id, [0, "", 0])
            row[0] += 1
            row[1], row[2] = event.event_type, event.log_index
            if event.event_type == "intake.ReferralMade":
                payload = event.payload
                total = referrals[payload["to_organisation"]]
                total[0] += 1
                total[1] += payload["days_after_identification"]
        streams = list(per_stream)
        conn.execute(
            sql.SQL(
                "INSERT INTO {} SELECT * FROM unnest(%s::text[], %s::int[], %s::text[], %s::int8[])"
                " ON CONFLICT (stream_id) DO UPDATE SET events = {}.events + excluded.events,"
                " last_type = excluded.last_type, last_log_index = excluded.last_log_index"
            ).format(tables["case_summary"], tables["case_summary"]),
            (streams, [per_stream[s][0] for s in streams], [per_stream[s][1] for s in streams],
             [per_stream[s][2] for s in streams]),
        )  # fmt: skip
        if referrals:
            orgs = list(referrals)
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} SELECT * FROM unnest(%s::text[], %s::int[], %s::int8[])"
                    " ON CONFLICT (to_organisation) DO UPDATE"
                    " SET referrals = {}.referrals + excluded.referrals,"
                    " days_total = {}.days_total + excluded.days_total"
                ).format(tables["referral_totals"], tables["referral_totals"],
                         tables["referral_totals"]),
                (orgs, [referrals[o][0] for o in orgs], [referrals[o][1] for o in orgs]),
            )  # fmt: skip
