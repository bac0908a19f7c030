-- fetch_log: every URL seen in every crawl run, with exactly one status per run.
create or replace view fetch_log as
select
    f.run_id, f.fetched_at, f.source_id, f.kind, f.url, f.canonical_url, f.status,
    f.http_status, f.reason, f.bytes, f.elapsed_ms, f.warc_record_id
from core.fetch_log as f;
