-- Back-fill imports (`framewatch import warc|urls|texts`): each import run, what it took in and
-- skipped (counted by named reason), the problems it met (with file position), and where every
-- imported story came from.

-- Outlets framewatch does not crawl: a host met in an imported archive or an outlet named in a
-- text export, kept with a source derived from it (see docs/backfill.md).
alter table core.sources add column followed boolean default true;

create table core.import_runs (
    import_run_id  varchar primary key,
    kind           varchar not null,     -- warc | urls | texts
    started_at     timestamp not null,
    finished_at    timestamp,
    status         varchar not null,     -- running | finished | failed | interrupted
    inputs         varchar[],
    options        json,
    message        varchar
);

-- How many records (WARC) or rows (CSV/JSONL/text) of each input file ended how: `imported`,
-- or a skip reason (off_topic, not_html, already_imported, torn_gzip_member, bad_row, ...).
create table core.import_counts (
    import_run_id  varchar not null,
    input_file     varchar not null,
    outcome        varchar not null,
    n              bigint not null,
    primary key (import_run_id, input_file, outcome)
);

-- The problems behind skips a person should look at (bad input, not ordinary filtering), with
-- where they are: a byte offset in a WARC file or a line number in a CSV/JSONL/text file.
create table core.import_problems (
    import_run_id  varchar not null,
    input_file     varchar not null,
    position_kind  varchar not null,     -- offset | line
    position       bigint not null,
    reason         varchar not null,
    detail         varchar
);

-- One row per story an import added: its acquisition path and its provenance. Keyed by the
-- story's canonical URL, so importing the same file again adds nothing.
create table core.imported_stories (
    canonical_url      varchar primary key,
    import_run_id      varchar not null,
    path               varchar not null, -- warc | urls | texts
    source_id          varchar not null,
    input_file         varchar not null,
    source_record_id   varchar,          -- WARC-Record-ID in the imported file
    source_offset      bigint,           -- byte offset of that record in the imported file
    captured_at        timestamp,        -- WARC-Date of the capture
    line_number        bigint,           -- row of a CSV/JSONL/text input
    listed_published   timestamp,        -- the date the input file gave the story
    imported_at        timestamp not null
);
