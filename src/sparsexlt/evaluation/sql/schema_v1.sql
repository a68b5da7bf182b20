-- sparsexlt results store, schema version 1.
--
-- Written by sparsexlt.evaluation.store (DuckDB >= 2.0 library) with
-- storage_compatibility_version 'v1.5.0', so the duckdb 1.5 CLI can open the file.
-- Times are UTC (TIMESTAMP without time zone). JSON is stored as text (VARCHAR) so that readers
-- without the json extension can open the file; cast with ::JSON to query into it.
-- A later schema_v2.sql holds only the changes from v1 (ALTER ...); the store applies every
-- version above the one recorded in schema_version, in order, each in the writer's transaction.

CREATE TABLE IF NOT EXISTS schema_version (
    version         INTEGER PRIMARY KEY,
    applied_at      TIMESTAMP NOT NULL,
    library_version VARCHAR NOT NULL
);

-- Internal bookkeeping (for example the hash of the view definitions last installed).
CREATE TABLE IF NOT EXISTS store_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per pipeline run.
CREATE TABLE IF NOT EXISTS runs (
    run_id          VARCHAR PRIMARY KEY,  -- 'YYYYMMDDTHHMMSSZ-<8 hex>': sorts by start time
    name            VARCHAR,              -- config name (for example 'nusax-demo')
    config_hash     VARCHAR NOT NULL,     -- sha256 of the canonical config JSON
    config_json     VARCHAR NOT NULL,     -- the validated config, canonical JSON text
    git_commit      VARCHAR,              -- commit of the sparsexlt checkout; NULL outside git
    library_version VARCHAR NOT NULL,     -- sparsexlt.__version__
    started_at      TIMESTAMP NOT NULL,
    ended_at        TIMESTAMP,
    status          VARCHAR NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    message         VARCHAR
);

-- One row per evaluated number. The primary key is the natural key of the measurement:
-- a retried or resumed step writes the same key and REPLACES the row (value, run_id, created_at
-- are updated); a run of a different config (different config_hash) adds its own rows.
-- source_langs: sorted, de-duplicated language codes joined by ',' (for example 'eng,ind').
CREATE TABLE IF NOT EXISTS results (
    config_hash  VARCHAR NOT NULL,   -- what was evaluated: the config of the run that produced it
    task         VARCHAR NOT NULL,
    method       VARCHAR NOT NULL,
    scenario     VARCHAR NOT NULL,
    source_langs VARCHAR NOT NULL,
    target_lang  VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    split        VARCHAR NOT NULL,
    seed         INTEGER NOT NULL,
    value        DOUBLE NOT NULL,
    n_examples   INTEGER,
    run_id       VARCHAR NOT NULL,   -- the run that last wrote this row
    artifact_key VARCHAR,            -- key of the evaluated task SFT/model (traceability only)
    created_at   TIMESTAMP NOT NULL, -- when the current value was written
    PRIMARY KEY (config_hash, task, method, scenario, source_langs, target_lang, metric, split,
                 seed)
);

-- Files the pipeline produced, keyed by kind and the content hash of their inputs, so a re-run
-- finds what already exists.
CREATE TABLE IF NOT EXISTS artifacts (
    kind         VARCHAR NOT NULL,   -- language-sft | task-sft | translation | mt-model | checkpoint | ...
    key          VARCHAR NOT NULL,   -- content hash of the inputs that produced it
    path         VARCHAR NOT NULL,
    content_hash VARCHAR,            -- hash of the produced bytes, when known
    run_id       VARCHAR,
    language     VARCHAR,
    method       VARCHAR,
    bytes        BIGINT,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, key)
);
