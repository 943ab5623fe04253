-- Indicator values computed from the intake history (see services/indicators/computing.py).
-- They are derived data: recomputing them from the read models gives the same rows.

-- countries whose values must be computed again, marked by the intake projection
CREATE TABLE pending_countries (
    country text PRIMARY KEY,
    marked_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- national values, before disclosure control (seen only inside the country)
CREATE TABLE indicator_values (
    country text NOT NULL,
    period text NOT NULL,
    indicator text NOT NULL,
    cell text NOT NULL,            -- "" for the total, else "dim=category;dim=category"
    numerator double precision,
    denominator double precision,
    value double precision,
    unit text NOT NULL,
    statistic text,
    contributors integer,
    regional_suppressed boolean NOT NULL,
    computed_at timestamptz NOT NULL,
    intake_log_size bigint NOT NULL,
    PRIMARY KEY (country, period, indicator, cell)
);

-- what was last published to the regional topic per country and period
CREATE TABLE regional_publications (
    country text NOT NULL,
    period text NOT NULL,
    content_hash text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country, period)
);
