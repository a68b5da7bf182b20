-- One line per run: status, duration and how many result rows it (last) wrote.
CREATE OR REPLACE VIEW run_overview AS
SELECT
    r.run_id, r.name, r.status, r.started_at, r.ended_at,
    epoch(r.ended_at) - epoch(r.started_at) AS seconds,
    coalesce(n.n_results, 0) AS n_results,
    r.config_hash, r.git_commit, r.library_version, r.message
FROM runs AS r
LEFT JOIN (SELECT run_id, count(*) AS n_results FROM results GROUP BY run_id) AS n
    ON n.run_id = r.run_id;
