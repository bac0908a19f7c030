-- Named queries of the history report (pipeline/report/history.py); each block starts with
-- "-- name: <key>". Named parameters: start, end (dates: the span is [start, end)) and fmt
-- (the strftime format of a period: '%Y-%m' for months, '%G-W%V' for ISO weeks).

-- name: period_totals
-- Labelled in-scope stories per period, each story once (copies left out).
select strftime(published_at, $fmt) as period, count(distinct article_id) as n
from article_frames
where not is_duplicate and published_at >= $start and published_at < $end
group by period
order by period;

-- name: period_frames
-- Per period and frame: stories carrying the frame, and stories whose primary frame it is.
select strftime(published_at, $fmt) as period, frame_id,
       count(*) filter (where present) as n_with_frame,
       count(*) filter (where is_primary) as n_primary
from article_frames
where not is_duplicate and published_at >= $start and published_at < $end
group by period, frame_id
order by period, frame_id;

-- name: frames
-- The frames labelled in the span, in the codebook's order where it is known (start, end only).
select f.frame_id, any_value(f.frame_label) as label
from article_frames as f
left join core.codebook_frames as c using (frame_id)
where f.published_at >= $start and f.published_at < $end
group by f.frame_id
order by min(c.position), f.frame_id;

-- name: period_coverage
-- In-scope stories (each once) per period, acquisition path and outlet. A story an import
-- added has its path in core.imported_stories; every other story was crawled.
select strftime(a.published_at, $fmt) as period,
       coalesce(i.path, 'crawl') as path,
       coalesce(a.outlet, a.source_id) as outlet,
       count(*) as n
from articles as a
left join core.imported_stories as i using (canonical_url)
where a.in_scope and not a.is_duplicate
  and a.published_at >= $start and a.published_at < $end
group by all
order by period, path, outlet;
