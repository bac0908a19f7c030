-- Core tables: written only by the pipeline. Users query the views in the main schema.
create schema if not exists core;

-- Outlets followed, mirrored from seeds/sources.toml at the start of each crawl.
create table core.sources (
    source_id   varchar primary key,
    name        varchar not null,
    homepage    varchar,
    country     varchar,
    language    varchar,
    kind        varchar,
    updated_at  timestamp not null default current_timestamp
);

-- One row per crawl (a Scrapy process run).
create table core.crawl_runs (
    run_id       varchar primary key,
    started_at   timestamp not null,
    finished_at  timestamp,
    status       varchar not null,  -- running | finished | failed
    seeds_path   varchar,
    message      varchar
);

-- Every URL seen in a run, with exactly one status for that run.
create table core.fetch_log (
    run_id          varchar not null,
    url             varchar not null,
    source_id       varchar,
    canonical_url   varchar,
    kind            varchar not null,  -- robots | feed | sitemap | section | article
    status          varchar not null,  -- new | changed | unchanged | not_modified | duplicate | robots_denied | blocked | ...
    http_status     integer,
    reason          varchar,
    bytes           bigint,
    elapsed_ms      double,
    warc_record_id  varchar,
    fetched_at      timestamp not null,
    primary key (run_id, url)
);

-- Index of the raw archive: where each fetched response lies in the WARC files.
create table core.warc_records (
    record_id       varchar primary key,  -- WARC-Record-ID
    run_id          varchar,
    url             varchar not null,
    warc_file       varchar not null,     -- path relative to the archive directory
    warc_offset     bigint not null,
    warc_length     bigint not null,
    http_status     integer,
    content_type    varchar,
    payload_digest  varchar,
    fetched_at      timestamp not null
);

-- Conditional-GET validators per URL (feeds, sitemaps, articles), so re-crawls stay cheap.
create table core.http_validators (
    url             varchar primary key,
    etag            varchar,
    last_modified   varchar,
    last_status     integer,
    content_sha256  varchar,
    last_fetched    timestamp not null
);

-- Every article URL ever discovered, with what the listing (feed, sitemap, section) said of it.
create table core.discovered (
    canonical_url      varchar primary key,
    source_id          varchar not null,
    first_url          varchar not null,
    discovered_via     varchar not null,  -- rss | atom | sitemap | news_sitemap | section
    listing_title      varchar,
    listing_published  timestamp,
    listing_updated    timestamp,
    first_seen         timestamp not null,
    last_seen          timestamp not null
);

-- The latest fetched HTML of each article: a pointer into the WARC archive.
create table core.pages (
    canonical_url   varchar primary key,
    source_id       varchar not null,
    url             varchar not null,      -- final URL after redirects
    http_status     integer,
    content_type    varchar,
    content_sha256  varchar not null,
    warc_record_id  varchar not null,
    fetched_at      timestamp not null,
    run_id          varchar
);

-- One row per article page: extracted text and metadata, duplicates, relevance.
create table core.articles (
    article_id            varchar primary key,   -- first 16 hex of sha1(canonical_url)
    canonical_url         varchar not null unique,
    source_id             varchar not null,
    url                   varchar,
    content_sha256        varchar not null,      -- of the HTML this row was extracted from
    extraction_status     varchar not null,      -- ok | empty | binary | not_html | no_article | too_large | error
    extraction_reason     varchar,
    extraction_method     varchar,
    title                 varchar,
    authors               varchar[],
    published_at          timestamp,             -- UTC
    date_source           varchar,               -- page | feed | url | crawl | none
    language              varchar,
    text                  varchar,
    n_words               integer,
    truncated             boolean,
    text_fingerprint      varchar,               -- sha256 of the normalised text: exact copies
    minhash               ubigint[],             -- MinHash signature for near/wire copies
    shingle_count         integer,
    duplicate_of          varchar,
    duplicate_kind        varchar,               -- exact | near | wire
    duplicate_similarity  double,
    wire_credit           varchar,
    relevance_score       double,
    in_scope              boolean,
    relevance_evidence    json,
    cleaned_at            timestamp not null,
    extractor_version     varchar
);
