-- Per task, scenario, metric and split: each method's value averaged over target languages
-- (each language first averaged over seeds and source sets), with how many languages it covers.
-- Compare means only between methods with the same n_languages.
CREATE OR REPLACE VIEW method_comparison AS
WITH per_language AS (
    SELECT task, scenario, metric, split, method, target_lang, avg(value) AS value
    FROM latest_results
    GROUP BY task, scenario, metric, split, method, target_lang
)
SELECT
    task, scenario, metric, split, method,
    avg(value) AS mean_value,
    count(*) AS n_languages,
    min(value) AS min_value,
    max(value) AS max_value
FROM per_language
GROUP BY task, scenario, metric, split, method;
