-- The rendered outputs of each published report version, byte for byte as published: their
-- SHA-256 is in the version's reporting.ReportPublished event, which is signed.
CREATE TABLE report_outputs (
    report_id text NOT NULL,
    version integer NOT NULL,
    format text NOT NULL,
    content bytea NOT NULL,
    sha256 text NOT NULL,
    PRIMARY KEY (report_id, version, format)
);
