-- The current measurements: per setting (task, method, scenario, source_langs, target_lang,
-- metric, split), the experiment that measured it most recently, with every seed that
-- experiment has (the newest row of each). An experiment is a config up to its seed
-- (runs.experiment_hash), so a later run of another config, such as a short smoke test,
-- replaces a setting's seeds instead of being averaged with them.
CREATE OR REPLACE VIEW latest_results AS
WITH tagged AS (
    SELECT
        x.*,
        coalesce(r.experiment_hash, x.config_hash) AS experiment_hash
    FROM results AS x
    LEFT JOIN runs AS r ON r.run_id = x.run_id
),
ranked AS (
    SELECT
        *,
        first_value(experiment_hash) OVER (
            PARTITION BY task, method, scenario, source_langs, target_lang, metric, split
            ORDER BY created_at DESC, config_hash
        ) AS newest_experiment
    FROM tagged
)
SELECT
    task, method, scenario, source_langs, target_lang, metric, split, seed,
    value, n_examples, run_id, config_hash, artifact_key, created_at, experiment_hash
FROM ranked
WHERE experiment_hash = newest_experiment
QUALIFY row_number() OVER (
    PARTITION BY task, method, scenario, source_langs, target_lang, metric, split, seed
    ORDER BY created_at DESC, config_hash
) = 1;
