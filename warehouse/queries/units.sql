-- Named queries of the stages' units of work on Dask (pipeline/distributed, docs/scale-out.md),
-- beside warehouse/queries/claims.sql. Each block starts with "-- name: <key>".

-- name: free_dead_claims
-- On the single DuckDB file only one process writes, so an unfinished claim of a stage held by
-- another owner was left by a run that died: free it now rather than when its lease runs out.
-- Parameters: stage, the current owner.
delete from core.work_claims
where stage = ? and completed_at is null and owner <> ?
returning unit_id;

-- name: unit_claims
-- How each unit of a stage was claimed (the Dask tests check that every unit finished once).
-- Parameters: stage.
select unit_id, owner, attempts, completed_at is not null as completed
from core.work_claims
where stage = ?
order by unit_id;
