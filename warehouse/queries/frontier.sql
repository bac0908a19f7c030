-- Queries of the shared Redis crawl frontier (pipeline/frontier.py, spiders/frontier.py).

-- name: known_pages_all
-- Every stored page's canonical URL, fetch time and body hash: copied into the crawl's Redis
-- state when a shared-frontier crawl starts.
select canonical_url, fetched_at, content_sha256 from core.pages;

-- name: validators_all
-- Every URL's conditional-GET validators, copied into the crawl's Redis state likewise.
select url, etag, last_modified, content_sha256 from core.http_validators;

-- name: urls_with_status
-- Which of these URLs already have their status in this run (committed by any crawler).
-- Parameters: run_id, the URLs.
select url from core.fetch_log
where run_id = ? and url in (select unnest(?::varchar[]));

-- The crawl store's writes on a DuckLake warehouse, which has no primary keys (so no ON
-- CONFLICT): the same upserts as pages.sql, as MERGE statements. Each batch is passed as one
-- list per column (spiders/store.py, `_column_lists`), in the table's column order.

-- name: lake_start_run
-- Parameters: run_id, started_at, seeds_path. A resumed (or joined) run keeps its first start.
merge into core.crawl_runs as t
using (select ?::varchar as run_id, ?::timestamp as started_at, ?::varchar as seeds_path) as s
on t.run_id = s.run_id
when matched then update set status = 'running', finished_at = null, message = 'resumed'
when not matched then insert (run_id, started_at, status, seeds_path)
    values (s.run_id, s.started_at, 'running', s.seeds_path);

-- name: lake_upsert_sources
merge into core.sources as t
using (select unnest(?::varchar[]) as source_id, unnest(?::varchar[]) as name,
              unnest(?::varchar[]) as homepage, unnest(?::varchar[]) as country,
              unnest(?::varchar[]) as language, unnest(?::varchar[]) as kind,
              unnest(?::timestamp[]) as updated_at) as s
on t.source_id = s.source_id
when matched then update set name = s.name, homepage = s.homepage, country = s.country,
    language = s.language, kind = s.kind, updated_at = s.updated_at
when not matched then insert (source_id, name, homepage, country, language, kind, updated_at)
    values (s.source_id, s.name, s.homepage, s.country, s.language, s.kind, s.updated_at);

-- name: lake_insert_warc_records
merge into core.warc_records as t
using (select unnest(?::varchar[]) as record_id, unnest(?::varchar[]) as run_id,
              unnest(?::varchar[]) as url, unnest(?::varchar[]) as warc_file,
              unnest(?::bigint[]) as warc_offset, unnest(?::bigint[]) as warc_length,
              unnest(?::integer[]) as http_status, unnest(?::varchar[]) as content_type,
              unnest(?::varchar[]) as payload_digest, unnest(?::timestamp[]) as fetched_at) as s
on t.record_id = s.record_id
when not matched then insert (record_id, run_id, url, warc_file, warc_offset, warc_length,
                              http_status, content_type, payload_digest, fetched_at)
    values (s.record_id, s.run_id, s.url, s.warc_file, s.warc_offset, s.warc_length,
            s.http_status, s.content_type, s.payload_digest, s.fetched_at);

-- name: lake_insert_fetch_log
-- One status per URL and run: a URL another crawler logged first keeps that status.
merge into core.fetch_log as t
using (select unnest(?::varchar[]) as run_id, unnest(?::varchar[]) as url,
              unnest(?::varchar[]) as source_id, unnest(?::varchar[]) as canonical_url,
              unnest(?::varchar[]) as kind, unnest(?::varchar[]) as status,
              unnest(?::integer[]) as http_status, unnest(?::varchar[]) as reason,
              unnest(?::bigint[]) as bytes, unnest(?::double[]) as elapsed_ms,
              unnest(?::varchar[]) as warc_record_id, unnest(?::timestamp[]) as fetched_at) as s
on t.run_id = s.run_id and t.url = s.url
when not matched then insert (run_id, url, source_id, canonical_url, kind, status, http_status,
                              reason, bytes, elapsed_ms, warc_record_id, fetched_at)
    values (s.run_id, s.url, s.source_id, s.canonical_url, s.kind, s.status, s.http_status,
            s.reason, s.bytes, s.elapsed_ms, s.warc_record_id, s.fetched_at);

-- name: lake_upsert_pages
merge into core.pages as t
using (select unnest(?::varchar[]) as canonical_url, unnest(?::varchar[]) as source_id,
              unnest(?::varchar[]) as url, unnest(?::integer[]) as http_status,
              unnest(?::varchar[]) as content_type, unnest(?::varchar[]) as content_sha256,
              unnest(?::varchar[]) as warc_record_id, unnest(?::timestamp[]) as fetched_at,
              unnest(?::varchar[]) as run_id) as s
on t.canonical_url = s.canonical_url
when matched then update set source_id = s.source_id, url = s.url, http_status = s.http_status,
    content_type = s.content_type, content_sha256 = s.content_sha256,
    warc_record_id = s.warc_record_id, fetched_at = s.fetched_at, run_id = s.run_id
when not matched then insert (canonical_url, source_id, url, http_status, content_type,
                              content_sha256, warc_record_id, fetched_at, run_id)
    values (s.canonical_url, s.source_id, s.url, s.http_status, s.content_type,
            s.content_sha256, s.warc_record_id, s.fetched_at, s.run_id);

-- name: lake_upsert_http_validators
merge into core.http_validators as t
using (select unnest(?::varchar[]) as url, unnest(?::varchar[]) as etag,
              unnest(?::varchar[]) as last_modified, unnest(?::integer[]) as last_status,
              unnest(?::varchar[]) as content_sha256, unnest(?::timestamp[]) as last_fetched) as s
on t.url = s.url
when matched then update set etag = s.etag, last_modified = s.last_modified,
    last_status = s.last_status, content_sha256 = s.content_sha256, last_fetched = s.last_fetched
when not matched then insert (url, etag, last_modified, last_status, content_sha256, last_fetched)
    values (s.url, s.etag, s.last_modified, s.last_status, s.content_sha256, s.last_fetched);

-- name: lake_upsert_discovered
-- A story listed again keeps its first URL, title and date, and gains its latest update.
merge into core.discovered as t
using (select unnest(?::varchar[]) as canonical_url, unnest(?::varchar[]) as source_id,
              unnest(?::varchar[]) as first_url, unnest(?::varchar[]) as discovered_via,
              unnest(?::varchar[]) as listing_title, unnest(?::timestamp[]) as listing_published,
              unnest(?::timestamp[]) as listing_updated, unnest(?::timestamp[]) as first_seen,
              unnest(?::timestamp[]) as last_seen) as s
on t.canonical_url = s.canonical_url
when matched then update set last_seen = s.last_seen,
    listing_title = coalesce(t.listing_title, s.listing_title),
    listing_published = coalesce(t.listing_published, s.listing_published),
    listing_updated = greatest(t.listing_updated, s.listing_updated)
when not matched then insert (canonical_url, source_id, first_url, discovered_via, listing_title,
                              listing_published, listing_updated, first_seen, last_seen)
    values (s.canonical_url, s.source_id, s.first_url, s.discovered_via, s.listing_title,
            s.listing_published, s.listing_updated, s.first_seen, s.last_seen);
