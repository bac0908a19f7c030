-- Named queries of the back-fill imports (pipeline/stages/imports.py); each block starts with
-- "-- name: <key>". Keyed writes are MERGE statements: a DuckLake warehouse has no keys (so no
-- `on conflict`/`insert or ignore`), and MERGE does the same on both backends.

-- name: interrupt_running_imports
-- Import runs still 'running' when a new one starts were left by a killed process (an import
-- holds the writer lock for its whole length).
update core.import_runs set status = 'interrupted', finished_at = coalesce(finished_at, ?)
where status = 'running';

-- name: start_import_run
-- Parameters: import_run_id, kind, started_at, inputs, options (JSON).
insert into core.import_runs (import_run_id, kind, started_at, status, inputs, options)
values (?, ?, ?, 'running', ?, ?);

-- name: finish_import_run
-- Parameters: status, finished_at, message, import_run_id.
update core.import_runs set status = ?, finished_at = ?, message = ? where import_run_id = ?;

-- name: add_count
-- Parameters: import_run_id, input_file, outcome, n. Counts of one run add up across batches.
merge into core.import_counts as t
using (select ?::varchar as import_run_id, ?::varchar as input_file, ?::varchar as outcome,
              ?::bigint as n) as s
on t.import_run_id = s.import_run_id and t.input_file = s.input_file and t.outcome = s.outcome
when matched then update set n = t.n + s.n
when not matched then insert by name;

-- name: add_problem
-- Parameters: import_run_id, input_file, position_kind, position, reason, detail.
insert into core.import_problems (import_run_id, input_file, position_kind, position, reason, detail)
values (?, ?, ?, ?, ?, ?);

-- name: upsert_followed_source
-- An outlet of sources.toml, as the crawl mirrors it (a source edited there is updated here).
-- Parameters: source_id, name, homepage, country, language, kind, updated_at.
merge into core.sources as t
using (select ?::varchar as source_id, ?::varchar as name, ?::varchar as homepage,
              ?::varchar as country, ?::varchar as language, ?::varchar as kind,
              true as followed, ?::timestamp as updated_at) as s
on t.source_id = s.source_id
when matched then update set name = s.name, homepage = s.homepage, country = s.country,
    language = s.language, kind = s.kind, followed = true, updated_at = s.updated_at
when not matched then insert by name;

-- name: insert_derived_source
-- A source derived from a host or outlet name that sources.toml does not follow; an existing
-- row is left as it is. Parameters: source_id, name, homepage, updated_at.
merge into core.sources as t
using (select ?::varchar as source_id, ?::varchar as name, ?::varchar as homepage,
              false as followed, ?::timestamp as updated_at) as s
on t.source_id = s.source_id
when not matched then insert by name;

-- name: stored_urls
-- Which of these canonical URLs the warehouse already holds (a crawled or imported page, or an
-- article without a page), and the WARC record an earlier import took it from.
-- Parameter: the canonical URLs.
with wanted as (select unnest(?::varchar[]) as canonical_url)
select w.canonical_url, i.source_record_id, i.path
from wanted as w
left join core.imported_stories as i using (canonical_url)
where exists (select 1 from core.pages as p where p.canonical_url = w.canonical_url)
   or exists (select 1 from core.articles as a where a.canonical_url = w.canonical_url)
   or i.canonical_url is not null;

-- name: imported_record_ids
-- Which of these WARC-Record-IDs an earlier import already took in. Parameter: the record ids.
select source_record_id
from core.imported_stories
where source_record_id in (select unnest(?::varchar[]));

-- name: insert_warc_records
-- A batch of archived responses, one list parameter per column (zipped by unnest): record_id,
-- run_id, url, warc_file, warc_offset, warc_length, http_status, content_type, payload_digest,
-- fetched_at. A record already indexed is left as it is.
merge into core.warc_records as t
using (select unnest(?::varchar[]) as record_id, unnest(?::varchar[]) as run_id,
              unnest(?::varchar[]) as url, unnest(?::varchar[]) as warc_file,
              unnest(?::bigint[]) as warc_offset, unnest(?::bigint[]) as warc_length,
              unnest(?::integer[]) as http_status, unnest(?::varchar[]) as content_type,
              unnest(?::varchar[]) as payload_digest, unnest(?::timestamp[]) as fetched_at) as s
on t.record_id = s.record_id
when not matched then insert by name;

-- name: insert_pages
-- A batch of imported pages, one list parameter per column; a canonical URL already stored is
-- never replaced (checked before, and only inserted when not matched here): canonical_url,
-- source_id, url, http_status, content_type, content_sha256, warc_record_id, fetched_at, run_id.
merge into core.pages as t
using (select unnest(?::varchar[]) as canonical_url, unnest(?::varchar[]) as source_id,
              unnest(?::varchar[]) as url, unnest(?::integer[]) as http_status,
              unnest(?::varchar[]) as content_type, unnest(?::varchar[]) as content_sha256,
              unnest(?::varchar[]) as warc_record_id, unnest(?::timestamp[]) as fetched_at,
              unnest(?::varchar[]) as run_id) as s
on t.canonical_url = s.canonical_url
when not matched then insert by name;

-- name: insert_imported_stories
-- A batch of imported stories, one list parameter per column: canonical_url, import_run_id,
-- path, source_id, input_file, source_record_id, source_offset, captured_at, imported_at.
-- A story already recorded is left as it is.
merge into core.imported_stories as t
using (select unnest(?::varchar[]) as canonical_url, unnest(?::varchar[]) as import_run_id,
              unnest(?::varchar[]) as path, unnest(?::varchar[]) as source_id,
              unnest(?::varchar[]) as input_file, unnest(?::varchar[]) as source_record_id,
              unnest(?::bigint[]) as source_offset, unnest(?::timestamp[]) as captured_at,
              unnest(?::timestamp[]) as imported_at) as s
on t.canonical_url = s.canonical_url
when not matched then insert by name;

-- name: insert_imported_story
-- Parameters: canonical_url, import_run_id, path, source_id, input_file, source_record_id,
-- source_offset, captured_at, line_number, listed_published, imported_at.
merge into core.imported_stories as t
using (select ?::varchar as canonical_url, ?::varchar as import_run_id, ?::varchar as path,
              ?::varchar as source_id, ?::varchar as input_file, ?::varchar as source_record_id,
              ?::bigint as source_offset, ?::timestamp as captured_at, ?::bigint as line_number,
              ?::timestamp as listed_published, ?::timestamp as imported_at) as s
on t.canonical_url = s.canonical_url
when not matched then insert by name;

-- name: url_import_results
-- What became of the stories of a URL import once its crawl is over: each listed canonical URL
-- that the crawl run stored as a page. Parameters: crawl run_id, the canonical URLs.
select p.canonical_url, p.source_id
from core.pages as p
where p.run_id = ? and p.canonical_url in (select unnest(?::varchar[]));
