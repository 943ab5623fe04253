-- The event store of one service: outbox for the relay, audit log for auditors.
-- log_index is dense (1, 2, 3, ...) and in commit order; appenders serialise on the log_head
-- row lock, so a reader tailing by log_index can never skip an event that commits late.
CREATE TABLE events (
    log_index       bigint      PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL CHECK (stream_version >= 1),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    origin          text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    actor_user      text,
    actor_org       text,
    correlation_id  uuid,
    causation_id    uuid,
    -- canonical JSON bytes exactly as hashed into leaf_hash
    payload         bytea       NOT NULL,
    leaf_hash       bytea       NOT NULL,
    -- the optimistic-concurrency check
    UNIQUE (stream_id, stream_version)
);

-- One row: the tree size (= last log_index) and the RFC 6962 compact range of all leaves,
-- updated in every append transaction. Its row lock is the appenders' queue.
CREATE TABLE log_head (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    size           bigint  NOT NULL,
    compact_range  bytea   NOT NULL
);
INSERT INTO log_head (size, compact_range) VALUES (0, '\x0000000000000000'::bytea);

-- Signed checkpoints (origin, tree size, root) issued by the signer; the note text is the
-- C2SP signed note, verifiable with the signer's public key alone.
CREATE TABLE checkpoints (
    size       bigint      PRIMARY KEY,
    root       bytea       NOT NULL,
    note       text        NOT NULL,
    signed_at  timestamptz NOT NULL DEFAULT now()
);

-- How far the relay has published this log to Kafka (advanced only after the broker acks).
CREATE TABLE relay_position (
    topic         text        PRIMARY KEY,
    log_index     bigint      NOT NULL,
    heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

-- The leaf input of one event (RFC 6962 hashes it as SHA-256(0x00 || input)):
--   'actnow.event.v1' || content_digest || int8 log_index || int4 stream_version
--                     || int8 recorded_at (microseconds since 1970)
-- where content_digest is SHA-256 over a length-prefixed encoding of every other envelope
-- field and the payload bytes as stored, computed by the appender
-- (shared/backbone/envelope.py:content_digest). The parts assigned under the log lock are
-- added here; `verify` recomputes every leaf in Python from the stored fields.
CREATE FUNCTION event_leaf_hash(
    content_digest bytea, log_index bigint, stream_version integer, recorded_micros bigint
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256('\x00'::bytea || '\x6163746e6f772e6576656e742e7631'::bytea || content_digest
                  || int8send(log_index) || int4send(stream_version) || int8send(recorded_micros))
$$;

-- Takes the log lock and checks a batch before it is appended; both append paths start here.
-- Appenders serialise on the log_head row lock, held until commit: log indexes are assigned,
-- and become visible, strictly in commit order, so a reader tailing by log_index never skips
-- an event that commits late. The checks run after the lock is granted and so see every
-- earlier commit.
-- Expected versions: n >= 0 exact, -1 any, -2 no stream, -3 stream exists.
-- Returns the log size and compact range, the time of recording, and each write's version
-- before the append; or, when every event was recorded before, their original positions in
-- log order (base_versions is then NULL and nothing may be appended).
-- Errors: SQLSTATE AN409 (version conflict; DETAIL = stream id, HINT = its version),
-- AN422 (part of the batch was recorded before).
CREATE FUNCTION lock_log_and_check(
    w_stream text[], w_expected integer[], e_event_id uuid[],
    OUT log_size bigint, OUT compact_range bytea, OUT recorded_at timestamptz,
    OUT base_versions integer[], OUT known_ids uuid[], OUT known_streams text[],
    OUT known_versions integer[], OUT known_indexes bigint[]
) LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    SELECT h.size, h.compact_range INTO log_size, compact_range FROM log_head h FOR UPDATE;
    recorded_at := clock_timestamp();

    -- Events recorded before (an idempotent re-send). One equality probe of the event_id
    -- index per id: the plan is cached while the table is still small, and a join the planner
    -- may choose then (hash join over a scan of events) would read the whole log on every
    -- append once it has grown. LIMIT 1 keeps the subquery from being flattened into a join.
    SELECT array_agg(e.event_id ORDER BY e.log_index), array_agg(e.stream_id ORDER BY e.log_index),
           array_agg(e.stream_version ORDER BY e.log_index), array_agg(e.log_index ORDER BY e.log_index)
      INTO known_ids, known_streams, known_versions, known_indexes
      FROM unnest(e_event_id) AS u(id)
      CROSS JOIN LATERAL (SELECT * FROM events x WHERE x.event_id = u.id LIMIT 1) e;
    IF known_indexes IS NOT NULL THEN
        IF cardinality(known_indexes) < cardinality(e_event_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'AN422', MESSAGE = format(
                '%s of the %s events in this append were recorded before; '
                're-send the original batch unchanged',
                cardinality(known_indexes), cardinality(e_event_id));
        END IF;
        RETURN;
    END IF;

    SELECT array_agg(coalesce((SELECT max(e.stream_version) FROM events e
                               WHERE e.stream_id = s.id), 0) ORDER BY s.n)
      INTO base_versions FROM unnest(w_stream) WITH ORDINALITY AS s(id, n);
    FOR i IN 1 .. cardinality(w_stream) LOOP
        IF NOT (w_expected[i] = -1
                OR (w_expected[i] = -2 AND base_versions[i] = 0)
                OR (w_expected[i] = -3 AND base_versions[i] > 0)
                OR w_expected[i] = base_versions[i]) THEN
            RAISE EXCEPTION USING ERRCODE = 'AN409',
                MESSAGE = format('stream %s is at version %s', w_stream[i], base_versions[i]),
                DETAIL = w_stream[i], HINT = base_versions[i]::text;
        END IF;
    END LOOP;
END
$$;

-- Appends a small batch in one statement (one round trip, one transaction under autocommit):
-- lock and checks, dense log indexes, leaf hashes, the compact range in log_head extended in
-- PL/pgSQL, and a NOTIFY for tailers. (Large batches take the other path: the appender holds
-- the lock in a transaction, extends the compact range in Python and COPYs the rows.)
-- The events of each stream write are contiguous in the arrays; e_offset numbers them 1..k
-- within their write. Returns what lock_log_and_check returns, with log_size after the append.
CREATE FUNCTION append_events(
    w_stream text[], w_expected integer[],
    e_write integer[], e_offset integer[], e_event_id uuid[], e_type text[],
    e_schema_version integer[], e_occurred_at timestamptz[], e_actor_user text[],
    e_actor_org text[], e_correlation_id uuid[], e_causation_id uuid[], e_payload bytea[],
    e_digest bytea[], p_origin text, p_channel text,
    OUT log_size bigint, OUT base_versions integer[],
    OUT known_ids uuid[], OUT known_streams text[], OUT known_versions integer[],
    OUT known_indexes bigint[]
) LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_range bytea;
    v_now timestamptz;
    v_micros bigint;
    v_leaves bytea[];
    v_hashes bytea[] := '{}';
    v_top integer := 0;
    v_n bigint;
    v_h bytea;
    v_out bytea;
BEGIN
    SELECT c.log_size, c.compact_range, c.recorded_at, c.base_versions, c.known_ids,
           c.known_streams, c.known_versions, c.known_indexes
      INTO log_size, v_range, v_now, base_versions, known_ids, known_streams, known_versions,
           known_indexes
      FROM lock_log_and_check(w_stream, w_expected, e_event_id) c;
    IF base_versions IS NULL THEN
        RETURN;
    END IF;

    v_micros := (extract(epoch FROM v_now) * 1000000)::bigint;
    WITH inserted AS (
        INSERT INTO events (log_index, event_id, stream_id, stream_version, event_type,
                            schema_version, origin, occurred_at, recorded_at, actor_user,
                            actor_org, correlation_id, causation_id, payload, leaf_hash)
        SELECT log_size + u.n, u.id, w_stream[u.w], base_versions[u.w] + u.o, u.typ, u.sv,
               p_origin, u.occ, v_now, u.au, u.ao, u.cor, u.cau, u.pay,
               event_leaf_hash(u.dig, log_size + u.n, base_versions[u.w] + u.o, v_micros)
        FROM unnest(e_write, e_offset, e_event_id, e_type, e_schema_version, e_occurred_at,
                    e_actor_user, e_actor_org, e_correlation_id, e_causation_id, e_payload,
                    e_digest)
             WITH ORDINALITY AS u(w, o, id, typ, sv, occ, au, ao, cor, cau, pay, dig, n)
        RETURNING events.log_index AS idx, events.leaf_hash AS leaf
    )
    SELECT array_agg(ins.leaf ORDER BY ins.idx) INTO v_leaves FROM inserted ins;

    -- Extend the compact range (RFC 6962 subtree roots, largest first) by the new leaves.
    -- v_hashes is used as a stack with v_top as its height: element assignment keeps the
    -- array in place, where || and trim_array would copy it for every leaf.
    FOR i IN 1 .. (octet_length(v_range) - 8) / 32 LOOP
        v_hashes[i] := substring(v_range FROM 9 + 32 * (i - 1) FOR 32);
        v_top := i;
    END LOOP;
    FOREACH v_h IN ARRAY v_leaves LOOP
        v_n := log_size;
        WHILE v_n & 1 = 1 LOOP
            v_h := sha256('\x01'::bytea || v_hashes[v_top] || v_h);
            v_top := v_top - 1;
            v_n := v_n >> 1;
        END LOOP;
        v_top := v_top + 1;
        v_hashes[v_top] := v_h;
        log_size := log_size + 1;
    END LOOP;
    SELECT int8send(log_size) || coalesce(string_agg(h, ''::bytea ORDER BY n), ''::bytea)
      INTO v_out FROM unnest(v_hashes[1:v_top]) WITH ORDINALITY AS t(h, n);
    UPDATE log_head SET size = log_size, compact_range = v_out;
    PERFORM pg_notify(p_channel, log_size::text);
END
$$;
