-- Named queries of the crawl's warehouse connection (spiders/store.py); each block starts with
-- "-- name: <key>". The batch writes (insert_*, upsert_*) hold a `{select}` placeholder that
-- spiders/store.py fills with `(select unnest(?::type[]) as column, ...)` built from the table's
-- column types: one list parameter per column carries a whole batch.
-- Keyed writes are MERGE statements, not `insert or replace`/`on conflict`: a DuckLake
-- warehouse has no keys, and MERGE does the same on both backends (as fast on the file).

-- name: column_types
-- The SQL type of each column of the core tables the store writes in batches.
-- Parameter: the table names. (On a lake, only the lake's own tables, not its catalog's.)
select table_name, column_name, data_type
from duckdb_columns()
where database_name = current_database() and schema_name = 'core'
  and table_name in (select unnest(?::varchar[]));

-- name: dead_runs
-- Crawl runs other than this one still 'running' when a crawl opens the warehouse for writing
-- were left by a crawl process that died without recording its end (SIGKILL, out of memory, a
-- power cut, its parent killed too): only one process writes the warehouse, so none of them is
-- alive. Named parameter: run (this run's id). Returns each one and the last moment it
-- recorded anything. (Read before interrupt_dead_runs: a DuckLake update has no RETURNING.)
select r.run_id,
       coalesce((select max(f.fetched_at) from core.fetch_log as f where f.run_id = r.run_id),
                r.started_at) as last_seen
from core.crawl_runs as r
where r.status = 'running' and r.run_id <> $run
order by r.run_id;

-- name: interrupt_dead_runs
-- The dead runs (see dead_runs) are closed as 'interrupted' at the last moment they recorded
-- anything. Named parameter: run (this run's id).
update core.crawl_runs as r
set status = 'interrupted',
    finished_at = coalesce((select max(f.fetched_at) from core.fetch_log as f
                            where f.run_id = r.run_id), r.started_at),
    message = coalesce(r.message || '; ', '')
              || 'interrupted: the crawl process ended without recording its end; closed by run '
              || $run
where r.status = 'running' and r.run_id <> $run;

-- name: start_run
-- Parameters: run_id, started_at, seeds_path. A resumed run keeps its first start time.
merge into core.crawl_runs as t
using (select ?::varchar as run_id, ?::timestamp as started_at, ?::varchar as seeds_path) as s
on t.run_id = s.run_id
when matched then update set status = 'running', finished_at = null, message = 'resumed'
when not matched then insert (run_id, started_at, status, seeds_path)
    values (s.run_id, s.started_at, 'running', s.seeds_path);

-- name: failure_streaks
-- Article URLs whose latest attempts failed in a way a later run may not (timeouts, resets,
-- 5xx, redirect loops, cut-short bodies): how many runs in a row, the last failure's status
-- and time. Runs that did not try the URL (backing_off, given_up) neither count nor break a
-- streak; any other status ends it. Named parameters: failing (the statuses that count),
-- not_tried (the statuses of runs that did not try).
with attempts as (
    select url, status, fetched_at
    from core.fetch_log
    where kind = 'article' and status not in (select unnest($not_tried::varchar[]))
),

last_other as (
    select url, max(fetched_at) as fetched_at
    from attempts
    where status not in (select unnest($failing::varchar[]))
    group by url
)

select a.url, count(*) as failures, arg_max(a.status, a.fetched_at) as last_status,
       max(a.fetched_at) as last_failed
from attempts as a
left join last_other as o using (url)
where a.status in (select unnest($failing::varchar[]))
  and (o.fetched_at is null or a.fetched_at > o.fetched_at)
group by a.url;

-- name: run_fetches
-- What an earlier attempt of this run already logged. Parameter: run_id.
select url, canonical_url, kind, status, source_id, warc_record_id
from core.fetch_log
where run_id = ?;

-- name: finish_run
-- Parameters: status, finished_at, message, run_id.
update core.crawl_runs set status = ?, finished_at = ?, message = ? where run_id = ?;

-- name: validators_of
-- Parameter: the URLs.
select url, etag, last_modified, content_sha256
from core.http_validators
where url in (select unnest(?::varchar[]));

-- name: validators
-- Parameter: one URL.
select etag, last_modified, content_sha256 from core.http_validators where url = ?;

-- name: known_pages
-- Parameter: the canonical URLs.
select canonical_url, fetched_at, content_sha256
from core.pages
where canonical_url in (select unnest(?::varchar[]));

-- name: page_sha
-- Parameter: one canonical URL.
select content_sha256 from core.pages where canonical_url = ?;

-- name: backlog
-- Discovered articles never stored whose last attempt may succeed on a retry (a listing that
-- answers 304 would otherwise never offer them again). A URL whose last row points at a stored
-- story (a redirect or variant of it) is settled too. Named parameters: since (timestamp),
-- sources (source ids), settled (statuses that settle a URL for good), limit.
with recent as (
    select url, canonical_url, status, fetched_at from core.fetch_log
    where kind = 'article' and fetched_at >= $since
),
by_url as (
    select url, arg_max(status, fetched_at) as status,
           arg_max(canonical_url, fetched_at) as canonical_url
    from recent group by url
),
by_canonical as (
    select canonical_url, arg_max(status, fetched_at) as status from recent
    where canonical_url is not null and status <> 'duplicate' group by canonical_url
)
select d.source_id, d.first_url, d.discovered_via, d.listing_title, d.listing_published,
       d.listing_updated, d.published_offset_minutes
from core.discovered as d
left join by_url as u on u.url = d.first_url
left join by_canonical as c on c.canonical_url = d.canonical_url
where d.last_seen >= $since
  and d.source_id in (select unnest($sources::varchar[]))
  and not exists (select 1 from core.pages as p
                  where p.canonical_url in (d.canonical_url, u.canonical_url))
  and coalesce(u.status, '') not in (select unnest($settled::varchar[]))
  and coalesce(c.status, '') not in (select unnest($settled::varchar[]))
order by d.last_seen desc
limit $limit;

-- name: upsert_sources
-- The outlets of sources.toml: a source edited there is updated here (`followed` is left as it
-- is; a new source takes its default).
merge into core.sources as t
using {select} as s
on t.source_id = s.source_id
when matched then update set name = s.name, homepage = s.homepage, country = s.country,
    language = s.language, kind = s.kind, updated_at = s.updated_at
when not matched then insert by name;

-- name: insert_warc_records
-- A record already indexed is left as it is.
merge into core.warc_records as t
using {select} as s
on t.record_id = s.record_id
when not matched then insert by name;

-- name: insert_fetch_log
-- One status per URL and run: a URL already logged keeps its status.
merge into core.fetch_log as t
using {select} as s
on t.run_id = s.run_id and t.url = s.url
when not matched then insert by name;

-- name: upsert_pages
-- A canonical URL fetched again replaces its page row whole.
merge into core.pages as t
using {select} as s
on t.canonical_url = s.canonical_url
when matched then update set source_id = s.source_id, url = s.url, http_status = s.http_status,
    content_type = s.content_type, content_sha256 = s.content_sha256,
    warc_record_id = s.warc_record_id, fetched_at = s.fetched_at, run_id = s.run_id
when not matched then insert by name;

-- name: upsert_http_validators
-- A URL fetched again replaces its validators whole.
merge into core.http_validators as t
using {select} as s
on t.url = s.url
when matched then update set etag = s.etag, last_modified = s.last_modified,
    last_status = s.last_status, content_sha256 = s.content_sha256, last_fetched = s.last_fetched
when not matched then insert by name;

-- name: upsert_discovered
-- A story listed again keeps its first URL, title and date, and gains its latest update. The
-- date's offset goes with the date: taken with a date stored now, or added to the same date
-- stored without one (a row written before the offset was kept).
merge into core.discovered as t
using {select} as s
on t.canonical_url = s.canonical_url
when matched then update set
    last_seen = s.last_seen,
    listing_title = coalesce(t.listing_title, s.listing_title),
    listing_published = coalesce(t.listing_published, s.listing_published),
    listing_updated = greatest(t.listing_updated, s.listing_updated),
    published_offset_minutes = case
        when t.listing_published is null then s.published_offset_minutes
        when t.listing_published = s.listing_published
            then coalesce(t.published_offset_minutes, s.published_offset_minutes)
        else t.published_offset_minutes
    end
when not matched then insert by name;
