-- Projection bookkeeping. Each projection builds its read model in tables suffixed with a
-- generation (`<table>_g<n>`); the read side queries a view `<table>` that points at the live
-- generation. A rebuild builds generation n+1 from offset 0 and switches the views when it
-- has caught up (blue/green).
CREATE TABLE projection_generations (
    projection    text        NOT NULL,
    generation    integer     NOT NULL,
    code_version  integer     NOT NULL,
    state         text        NOT NULL CHECK (state IN ('building', 'live', 'retired')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    live_at       timestamptz,
    heartbeat_at  timestamptz,
    lag           bigint,
    PRIMARY KEY (projection, generation)
);

-- Where a projection generation is in each Kafka partition, written in the same transaction
-- as its read-model changes: next_offset to resume from, and the highest log_index applied
-- (per partition the relay's log indexes only grow, so a lower or equal one is a duplicate).
CREATE TABLE projection_positions (
    projection  text    NOT NULL,
    generation  integer NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    log_index   bigint  NOT NULL,
    PRIMARY KEY (projection, generation, topic, partition)
);
