-- Named queries of the crawl; each block starts with "-- name: <key>".

-- name: run_totals
-- One crawl run's fetch outcomes by source, kind and status: read by the crawl process just
-- before it closes the warehouse, and by `run_crawl` when that report is missing.
select coalesce(source_id, ''), kind, status, count(*)
from core.fetch_log
where run_id = ?
group by all;

-- name: run_status
select status from core.crawl_runs where run_id = ?;

-- name: mark_failed
-- A crash the crawl process could not record itself: its run row would stay 'running'.
-- Parameters: finished_at, the problem, run_id.
update core.crawl_runs
set status = 'failed', finished_at = ?, message = coalesce(message || '; ', '') || ?
where run_id = ? and status = 'running';
