-- Who read which case record, and when. Reads are not events (they change nothing and would
-- swamp the log and the topics); the national admin queries this table through the API.
CREATE TABLE access_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    username text NOT NULL,
    organisation text,
    case_id text NOT NULL,
    action text NOT NULL,
    correlation_id uuid
);
CREATE INDEX access_log_by_case ON access_log (case_id, at);
CREATE INDEX access_log_by_user ON access_log (username, at);
