-- Secrets and login state of the identity service. None of it is an event: a password hash or
-- a refresh token must never reach Kafka or the permanent log, and throttling counters change on
-- every attempt. The events say *that* a password changed or a login failed; these tables hold
-- what may not be published.

-- one row per password ever set; the user's stream names the current one (credential_id), so a
-- row written before its event failed to append is simply never used
CREATE TABLE credentials (
    credential_id uuid PRIMARY KEY,
    username text NOT NULL,
    hash text NOT NULL CHECK (hash LIKE '$argon2id$%'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_by_user ON credentials (username);

-- refresh tokens are stored as SHA-256 digests; each use rotates the token within its family
-- (one family per login), and presenting a used token again revokes the whole family
CREATE TABLE refresh_tokens (
    token_digest bytea PRIMARY KEY,
    family_id uuid NOT NULL,
    username text NOT NULL,
    family_started_at timestamptz NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- failed logins per user ("user:<name>") and per address ("address:<ip>")
CREATE TABLE login_throttle (
    key text PRIMARY KEY,
    failures integer NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until timestamptz
);
