"""The local stack without Docker: PostgreSQL, Kafka and the four services as plain processes."""
