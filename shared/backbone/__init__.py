"""The event backbone: event store, Merkle tamper evidence, relay to Kafka, projections."""
