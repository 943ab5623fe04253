-- The public keys this log's checkpoints are signed with (C2SP verifier strings), published by
-- the signer when it starts so that the audit endpoints can hand them out. Auditors compare
-- them with the keys the operators publish elsewhere: a key found only here proves nothing.
CREATE TABLE signer_keys (
    verifier text PRIMARY KEY,
    first_used timestamptz NOT NULL DEFAULT now()
);
