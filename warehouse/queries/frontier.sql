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
