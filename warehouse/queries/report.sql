-- Named queries behind the weekly report (pipeline/report/data.py); each block starts with
-- "-- name: <key>". Every query selects from a view a user can query too (warehouse/views/),
-- filtered to the report's window and fully ordered, so the same data always loads in the same
-- order. Named parameters, passed only to the queries that use them: first and last (the
-- window's first and last ISO week, both inclusive), week (the report week), evidence_ranks.
-- The report loads them in this file's order; data.py marks which are row-level inputs
-- written to the Parquet snapshot.

-- name: weekly_frame_share
select week, frame_id, frame_label, n_articles, n_with_frame, share, n_primary,
       primary_share, n_articles_all, n_with_frame_all
from weekly_frame_share
where week between $first and $last
order by week, frame_id;

-- name: weekly_attention
select * from report_weekly_attention
where week between $first and $last
order by week;

-- name: share_by_source
select * from report_frame_share_by_source
where week between $first and $last
order by week, source_id, frame_id;

-- name: share_by_country
select * from report_frame_share_by_country
where week between $first and $last
order by week, country, frame_id;

-- name: cooccurrence
select * from report_frame_cooccurrence
where week between $first and $last
order by week, frame_a, frame_b;

-- name: label_versions
select * from report_label_versions
where week between $first and $last
order by week, label_version;

-- name: frames
select label_version, codebook_id, codebook_version, label_version_created_at,
       frame_id, label, definition, position
from report_frames
order by label_version_created_at, label_version, position, frame_id;

-- name: source_health
select s.source_id, s.name as outlet, s.country, s.kind,
       h.n_runs, h.urls_seen, h.articles_fetched, h.urls_unchanged,
       h.urls_blocked, h.urls_failed, h.health
from sources as s
left join report_source_health_weekly as h
    on h.source_id = s.source_id and h.week = $week
order by s.source_id;

-- name: crawl_runs
select run_id, started_at, finished_at, status, urls_seen, urls_failed, urls_blocked
from crawl_runs
where strftime(started_at, '%G-W%V') = $week
order by started_at, run_id;

-- name: article_frames
select article_id, week, source_id, outlet, country, is_duplicate, frame_id,
       score, present, is_primary, label_version
from article_frames
where week between $first and $last
order by week, article_id, frame_id;

-- name: articles
select article_id, week, published_at, source_id, outlet, country, source_kind,
       canonical_url, title, in_scope, relevance_score, is_duplicate,
       duplicate_of, duplicate_kind, wire_credit
from articles
where week between $first and $last
order by week, article_id;

-- name: frame_evidence
-- The best evidence_ranks passages of each (article, frame).
select article_id, frame_id, rank, passage_idx, passage_kind, passage, score,
       week, outlet, title, canonical_url, is_duplicate, label_version
from frame_evidence
where week between $first and $last and rank <= $evidence_ranks
order by week, article_id, frame_id, rank;

-- name: emerging
select cluster_id, first_seen_week, last_seen_week, keywords, cluster_size, week,
       article_id, passage_idx, similarity, passage, outlet, title, canonical_url
from report_emerging
where week between $first and $last
order by cluster_id, week, article_id, passage_idx;

-- name: fetch_health
select week, source_id, outlet, country, n_runs, urls_seen, articles_fetched,
       urls_unchanged, urls_blocked, urls_failed, health
from report_source_health_weekly
where week = $week
order by source_id;

-- name: collection
-- When the report week's in-scope unique stories were collected: the ISO week of the first
-- crawl run that fetched each (as new or changed), or null when no crawl fetched it (a story
-- back-filled or imported), per outlet. The report says so instead of "no crawl ran" when the week was
-- crawled later. Parameter: week.
with stories as (
    select source_id, canonical_url
    from articles
    where week = $week and in_scope and not is_duplicate
),

first_fetch as (
    select f.canonical_url, min(r.started_at) as started_at
    from fetch_log as f
    join crawl_runs as r using (run_id)
    where f.status in ('new', 'changed')
    group by f.canonical_url
),

final as (
    select s.source_id, strftime(ff.started_at, '%G-W%V') as crawl_week, count(*) as n_stories
    from stories as s
    left join first_fetch as ff using (canonical_url)
    group by s.source_id, crawl_week
)

select * from final
order by source_id, crawl_week nulls last;

-- name: later_crawls
-- Each outlet's first crawl after the report week (ISO week of the run), if any: for a week in
-- which no crawl ran, an outlet with no story of the week was still crawled later. Parameter:
-- week.
select f.source_id, min(strftime(r.started_at, '%G-W%V')) as crawl_week
from fetch_log as f
join crawl_runs as r using (run_id)
where strftime(r.started_at, '%G-W%V') > $week
group by f.source_id
order by f.source_id;
