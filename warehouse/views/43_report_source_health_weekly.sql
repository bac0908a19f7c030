-- report_source_health_weekly: per ISO week (of the crawl run's start) and source, the fetch
-- outcomes summed over that week's crawl runs, with the same verdict rules as source_health.
create or replace view report_source_health_weekly as
with runs as (
    select run_id, strftime(started_at, '%G-W%V') as week
    from core.crawl_runs
),

summed as (
    select
        r.week,
        h.source_id,
        count(distinct h.run_id)    as n_runs,
        sum(h.urls_seen)::bigint            as urls_seen,
        sum(h.articles_fetched)::bigint     as articles_fetched,
        sum(h.urls_unchanged)::bigint       as urls_unchanged,
        sum(h.urls_blocked)::bigint         as urls_blocked,
        sum(h.urls_failed)::bigint          as urls_failed
    from source_health as h
    join runs as r using (run_id)
    group by r.week, h.source_id
),

final as (
    select
        s.week,
        s.source_id,
        src.name  as outlet,
        src.country,
        s.n_runs,
        s.urls_seen,
        s.articles_fetched,
        s.urls_unchanged,
        s.urls_blocked,
        s.urls_failed,
        case
            when s.urls_seen = 0 then 'silent'
            when s.urls_failed > 0 and s.articles_fetched = 0 and s.urls_unchanged = 0 then 'failing'
            when s.urls_blocked > 0 and s.articles_fetched = 0 and s.urls_unchanged = 0 then 'blocked'
            when s.urls_failed > 0 or s.urls_blocked > 0 then 'degraded'
            else 'ok'
        end as health
    from summed as s
    left join core.sources as src using (source_id)
)

select * from final order by week, source_id;
