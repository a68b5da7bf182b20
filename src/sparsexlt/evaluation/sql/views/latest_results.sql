-- The most recently written value of every measurement, whatever config produced it:
-- one row per (task, method, scenario, source_langs, target_lang, metric, split, seed).
CREATE OR REPLACE VIEW latest_results AS
SELECT
    task, method, scenario, source_langs, target_lang, metric, split, seed,
    value, n_examples, run_id, config_hash, artifact_key, created_at
FROM results
QUALIFY row_number() OVER (
    PARTITION BY task, method, scenario, source_langs, target_lang, metric, split, seed
    ORDER BY created_at DESC, config_hash
) = 1;
