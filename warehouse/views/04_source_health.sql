-- source_health: per crawl run and source, how many URLs ended in each kind of outcome, and a verdict.
-- urls_backing_off: articles not tried this run because they failed in recent runs (timeouts,
-- resets, 5xx, redirect loops) and their next try is not due; urls_given_up: articles no longer
-- tried after failing too many runs in a row (docs/crawl.md, "Failed pages").
create or replace view source_health as
with per_source as (
    select
        r.run_id,
        s.source_id,
        count(f.url)                                                           as urls_seen,
        count(f.url) filter (where f.kind = 'article' and f.status in ('new', 'changed')) as articles_fetched,
        count(f.url) filter (where f.status in ('not_modified', 'unchanged', 'duplicate')) as urls_unchanged,
        count(f.url) filter (where f.status in ('blocked', 'robots_denied'))  as urls_blocked,
        count(f.url) filter (where f.status in ('server_error', 'timeout', 'connection_error',
                                                'dns_error', 'rate_limited', 'truncated',
                                                'malformed_feed', 'error'))  as urls_failed,
        count(f.url) filter (where f.status = 'backing_off')                  as urls_backing_off,
        count(f.url) filter (where f.status = 'given_up')                     as urls_given_up
    from core.sources as s
    cross join (select distinct run_id from core.fetch_log) as r
    left join core.fetch_log as f on f.source_id = s.source_id and f.run_id = r.run_id
    where coalesce(s.followed, true)  -- sources derived by imports are never crawled
    group by r.run_id, s.source_id
),

final as (
    select
        *,
        case
            when urls_seen = 0 then 'silent'
            when urls_failed > 0 and articles_fetched = 0 and urls_unchanged = 0 then 'failing'
            when urls_blocked > 0 and articles_fetched = 0 and urls_unchanged = 0 then 'blocked'
            when urls_failed > 0 or urls_blocked > 0 then 'degraded'
            else 'ok'
        end as health
    from per_source
)

select * from final;
