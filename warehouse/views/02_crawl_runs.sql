-- crawl_runs: one row per crawl, with the number of URLs per outcome.
create or replace view crawl_runs as
with totals as (
    select
        run_id,
        count(*)                                             as urls_seen,
        count(*) filter (where kind = 'article' and status = 'new')     as articles_new,
        count(*) filter (where kind = 'article' and status = 'changed') as articles_changed,
        count(*) filter (where status in ('not_modified', 'unchanged')) as urls_unchanged,
        count(*) filter (where status in ('server_error', 'timeout', 'connection_error',
                                          'dns_error', 'rate_limited', 'truncated', 'error'))
                                                             as urls_failed,
        count(*) filter (where status in ('blocked', 'robots_denied')) as urls_blocked
    from core.fetch_log
    group by run_id
),

final as (
    select
        r.run_id, r.started_at, r.finished_at, r.status,
        date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 as seconds,
        coalesce(t.urls_seen, 0)        as urls_seen,
        coalesce(t.articles_new, 0)     as articles_new,
        coalesce(t.articles_changed, 0) as articles_changed,
        coalesce(t.urls_unchanged, 0)   as urls_unchanged,
        coalesce(t.urls_failed, 0)      as urls_failed,
        coalesce(t.urls_blocked, 0)     as urls_blocked,
        r.seeds_path, r.message
    from core.crawl_runs as r
    left join totals as t using (run_id)
)

select * from final;
