"""Prometheus metrics of the backbone: appends, relay lag, projection lag, dead letters."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter(
    "actnow_events_appended_total", "Events appended to the store", ["origin"]
)
APPEND_SECONDS = Histogram(
    "actnow_append_seconds",
    "Time of one append transaction",
    ["origin"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
RELAY_PUBLISHED = Counter("actnow_relay_published_total", "Events published to Kafka", ["topic"])
RELAY_LAG = Gauge(
    "actnow_relay_lag_events",
    "Events in the store not yet acknowledged by Kafka",
    ["topic"],
    multiprocess_mode="livemax",
)
PROJECTION_APPLIED = Counter(
    "actnow_projection_applied_total", "Events applied by a projection", ["projection"]
)
PROJECTION_LAG = Gauge(
    "actnow_projection_lag_records",
    "Kafka records not yet applied by a projection",
    ["projection"],
    multiprocess_mode="livemax",
)
DEAD_LETTERS = Counter(
    "actnow_dead_letters_total", "Records sent to a dead-letter topic", ["projection", "reason"]
)
CHECKPOINT_SIZE = Gauge(
    "actnow_checkpoint_tree_size",
    "Tree size of the latest signed checkpoint",
    ["origin"],
    multiprocess_mode="livemax",
)
