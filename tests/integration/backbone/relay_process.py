"""Runs a relay for one event-store schema until it is killed (for the crash tests)."""

from __future__ import annotations

import sys
import threading

from psycopg_pool import ConnectionPool

from shared.backbone.registry import EventRegistry
from shared.backbone.relay import Relay
from shared.backbone.store import EventStore

if __name__ == "__main__":
    url, schema, origin, bootstrap, topic = sys.argv[1:6]
    pool = ConnectionPool(url, min_size=1, max_size=2, open=True, kwargs={"autocommit": True})
    store = EventStore(pool, schema, origin, EventRegistry())
    Relay(store, bootstrap, batch_size=200, topic=topic).run(threading.Event(), poll_interval=0.2)
