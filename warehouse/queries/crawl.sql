-- Named queries of the crawl; each block starts with "-- name: <key>".

-- name: run_totals
-- One crawl run's fetch outcomes by source, kind and status: read by the crawl process just
-- before it closes the warehouse, and by `run_crawl` when that report is missing.
select coalesce(source_id, ''), kind, status, count(*)
from core.fetch_log
where run_id = ?
group by all;
