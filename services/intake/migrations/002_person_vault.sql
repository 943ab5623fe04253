-- The person vault: what could identify a victim never enters an event in the clear.
-- Each person's identifiers are encrypted (AES-256-GCM) with a key of their own, kept here;
-- the ciphertext is in the case's intake.IdentifiersRecorded event. Erasure deletes the key
-- (the recorded ciphertext can then never be read again, anywhere it was copied to) and the
-- linkage hashes, and appends intake.PersonErased: the log is untouched and still verifies.
CREATE TABLE person_keys (
    person_id uuid PRIMARY KEY,
    case_id text NOT NULL,
    key bytea NOT NULL CHECK (length(key) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- keyed hashes (HMAC-SHA256 with the national linkage secret) of normalised identifying
-- attributes: equal hashes from two institutions' records mean one person
CREATE TABLE person_links (
    link_hash bytea NOT NULL,
    person_id uuid NOT NULL,
    case_id text NOT NULL,
    PRIMARY KEY (link_hash, person_id)
);
CREATE INDEX person_links_by_person ON person_links (person_id);

CREATE TABLE erased_persons (
    person_id uuid PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now(),
    erased_by text NOT NULL
);
