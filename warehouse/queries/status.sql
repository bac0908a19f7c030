-- Named queries behind `framewatch status`; each block starts with "-- name: <key>".

-- name: corpus
select
    (select count(*) from core.discovered)                                  as urls_discovered,
    (select count(*) from core.pages)                                       as pages_fetched,
    (select count(*) from articles)                                         as articles,
    (select count(*) from articles where in_scope)                          as in_scope,
    (select count(*) from articles where is_duplicate)                      as duplicates,
    (select count(distinct article_id) from core.frame_labels)              as framed,
    (select count(*) from core.embeddings)                                  as embeddings,
    (select min(week) from articles)                                        as first_week,
    (select max(week) from articles)                                        as last_week;

-- name: queued
select
    (select count(*) from core.pages as p left join core.articles as a using (canonical_url)
      where a.canonical_url is null or a.content_sha256 <> p.content_sha256)  as pages_to_clean,
    (select count(*) from core.articles as a
      where a.extraction_status = 'ok' and a.in_scope
        and a.article_id not in (select article_id from core.frame_labels)) as articles_to_frame;

-- name: last_runs
select run_id, stage, status, started_at, round(seconds, 1) as seconds, rows_in, rows_out, message
from core.stage_runs
order by started_at desc
limit 12;

-- name: source_health
select h.source_id, h.health, h.urls_seen, h.articles_fetched, h.urls_unchanged, h.urls_blocked, h.urls_failed
from source_health as h
where h.run_id = (select run_id from core.crawl_runs order by started_at desc limit 1)
order by h.health <> 'ok' desc, h.source_id;
