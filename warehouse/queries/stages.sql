-- Named queries of the stage bookkeeping in core.stage_runs (pipeline/stages/runs.py); each
-- block starts with "-- name: <key>".

-- name: interrupt_running
-- Rows still 'running' when a process that can write the warehouse starts a stage were left by
-- a killed run.
update core.stage_runs set status = 'interrupted' where status = 'running';

-- name: start_stage
-- Parameters: run_id, stage, started_at. A run's stage started again replaces its row whole.
-- (merge, not `insert or replace`: a DuckLake warehouse has no keys; the same on both.)
merge into core.stage_runs as t
using (select ?::varchar as run_id, ?::varchar as stage, ?::timestamp as started_at) as s
on t.run_id = s.run_id and t.stage = s.stage
when matched then update set started_at = s.started_at, finished_at = null, status = 'running',
    rows_in = null, rows_out = null, seconds = null, message = null
when not matched then insert (run_id, stage, started_at, status)
    values (s.run_id, s.stage, s.started_at, 'running');

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
merge into core.stage_runs as t
using (select ?::varchar as run_id, ?::varchar as stage, ?::timestamp as started_at,
              ?::timestamp as finished_at, ?::varchar as status, ?::bigint as rows_in,
              ?::bigint as rows_out, ?::double as seconds, ?::varchar as message) as s
on t.run_id = s.run_id and t.stage = s.stage
when matched then update set started_at = s.started_at, finished_at = s.finished_at,
    status = s.status, rows_in = s.rows_in, rows_out = s.rows_out, seconds = s.seconds,
    message = s.message
when not matched then insert (run_id, stage, started_at, finished_at, status, rows_in, rows_out,
                              seconds, message)
    values (s.run_id, s.stage, s.started_at, s.finished_at, s.status, s.rows_in, s.rows_out,
            s.seconds, s.message);
