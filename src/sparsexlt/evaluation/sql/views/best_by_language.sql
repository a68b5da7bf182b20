-- Per task, target language, metric and split: the best setting (higher is better for every
-- metric sparsexlt records). Seeds are averaged first (value = mean over n_seeds), so one lucky
-- seed does not win. Ties go to the alphabetically first method, then scenario.
CREATE OR REPLACE VIEW best_by_language AS
WITH per_setting AS (
    SELECT
        task, target_lang, metric, split, method, scenario, source_langs,
        avg(value) AS value,
        count(*) AS n_seeds
    FROM latest_results
    GROUP BY task, target_lang, metric, split, method, scenario, source_langs
)
SELECT task, target_lang, metric, split, method, scenario, source_langs, value, n_seeds
FROM per_setting
QUALIFY row_number() OVER (
    PARTITION BY task, target_lang, metric, split
    ORDER BY value DESC, method, scenario, source_langs
) = 1;
