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
newest AS (
    SELECT task, method, scenario, source_langs, target_lang, metric, split, experiment_hash
    FROM tagged
    QUALIFY row_number() OVER (
        PARTITION BY task, method, scenario, source_langs, target_lang, metric, split
        ORDER BY created_at DESC, config_hash
    ) = 1
)
SELECT
    t.task, t.method, t.scenario, t.source_langs, t.target_lang, t.metric, t.split, t.seed,
    t.value, t.n_examples, t.run_id, t.config_hash, t.artifact_key, t.created_at,
    t.experiment_hash
FROM tagged AS t
JOIN newest AS n
    ON t.task = n.task AND t.method = n.method AND t.scenario = n.scenario
    AND t.source_langs = n.source_langs AND t.target_lang = n.target_lang
    AND t.metric = n.metric AND t.split = n.split AND t.experiment_hash = n.experiment_hash
QUALIFY row_number() OVER (
    PARTITION BY t.task, t.method, t.scenario, t.source_langs, t.target_lang, t.metric, t.split,
        t.seed
    ORDER BY t.created_at DESC, t.config_hash
) = 1;
