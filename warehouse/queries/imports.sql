-- Named queries of the back-fill imports (pipeline/stages/imports.py); each block starts with
-- "-- name: <key>".

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
insert into core.import_counts (import_run_id, input_file, outcome, n)
values (?, ?, ?, ?)
on conflict (import_run_id, input_file, outcome) do update set n = core.import_counts.n + excluded.n;

-- name: add_problem
-- Parameters: import_run_id, input_file, position_kind, position, reason, detail.
insert into core.import_problems (import_run_id, input_file, position_kind, position, reason, detail)
values (?, ?, ?, ?, ?, ?);

-- name: upsert_followed_source
-- An outlet of sources.toml, as the crawl mirrors it (a source edited there is updated here).
-- Parameters: source_id, name, homepage, country, language, kind, updated_at.
insert into core.sources (source_id, name, homepage, country, language, kind, followed, updated_at)
values (?, ?, ?, ?, ?, ?, true, ?)
on conflict (source_id) do update set
    name = excluded.name, homepage = excluded.homepage, country = excluded.country,
    language = excluded.language, kind = excluded.kind, followed = true,
    updated_at = excluded.updated_at;

-- name: insert_derived_source
-- A source derived from a host or outlet name that sources.toml does not follow; an existing
-- row is left as it is. Parameters: source_id, name, homepage, updated_at.
insert into core.sources (source_id, name, homepage, followed, updated_at)
values (?, ?, ?, false, ?)
on conflict (source_id) do nothing;

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

-- name: insert_warc_record
-- Parameters: record_id, run_id, url, warc_file, warc_offset, warc_length, http_status,
-- content_type, payload_digest, fetched_at.
insert or ignore into core.warc_records (record_id, run_id, url, warc_file, warc_offset,
                                        warc_length, http_status, content_type, payload_digest,
                                        fetched_at)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: insert_page
-- An imported page; a canonical URL already stored is never replaced (checked before, and
-- `do nothing` here). Parameters: canonical_url, source_id, url, http_status, content_type,
-- content_sha256, warc_record_id, fetched_at, run_id.
insert into core.pages (canonical_url, source_id, url, http_status, content_type,
                        content_sha256, warc_record_id, fetched_at, run_id)
values (?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (canonical_url) do nothing;

-- name: insert_imported_story
-- Parameters: canonical_url, import_run_id, path, source_id, input_file, source_record_id,
-- source_offset, captured_at, line_number, listed_published, imported_at.
insert into core.imported_stories (canonical_url, import_run_id, path, source_id, input_file,
                                   source_record_id, source_offset, captured_at, line_number,
                                   listed_published, imported_at)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (canonical_url) do nothing;

-- name: url_import_results
-- What became of the stories of a URL import once its crawl is over: each listed canonical URL
-- that the crawl run stored as a page. Parameters: crawl run_id, the canonical URLs.
select p.canonical_url, p.source_id
from core.pages as p
where p.run_id = ? and p.canonical_url in (select unnest(?::varchar[]));
