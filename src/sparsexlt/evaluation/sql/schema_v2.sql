-- sparsexlt results store, schema version 2: the changes from version 1.
--
-- runs.experiment_hash: the hash of the run's config without its seed, so that runs of one
-- experiment under several seeds are known to belong together (`latest_results` averages only
-- seeds of one experiment). NULL for runs recorded before version 2, or by callers that do not
-- give it: such a run is its own experiment (its config_hash stands in).
ALTER TABLE runs ADD COLUMN IF NOT EXISTS experiment_hash VARCHAR;
