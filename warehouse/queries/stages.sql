-- Named queries of the stage bookkeeping in core.stage_runs (pipeline/stages/runs.py); each
-- block starts with "-- name: <key>".

-- name: interrupt_running
-- Rows still 'running' when a process that can write the warehouse starts a stage were left by
-- a killed run.
update core.stage_runs set status = 'interrupted' where status = 'running';

-- name: start_stage
-- Parameters: run_id, stage, started_at.
insert or replace into core.stage_runs (run_id, stage, started_at, status)
values (?, ?, ?, 'running');

-- name: fail_stage
-- Parameters: finished_at, seconds, message, run_id, stage.
update core.stage_runs set finished_at = ?, status = 'failed', seconds = ?, message = ?
where run_id = ? and stage = ?;

-- name: finish_stage
-- Parameters: finished_at, seconds, rows_in, rows_out, message, run_id, stage.
update core.stage_runs
set finished_at = ?, status = 'finished', seconds = ?, rows_in = ?, rows_out = ?, message = ?
where run_id = ? and stage = ?;

-- name: record_stage
-- A stage run in a subprocess (the crawl), recorded whole once it is over. Parameters: run_id,
-- stage, started_at, finished_at, status, rows_in, rows_out, seconds, message.
insert or replace into core.stage_runs
    (run_id, stage, started_at, finished_at, status, rows_in, rows_out, seconds, message)
values (?, ?, ?, ?, ?, ?, ?, ?, ?);
