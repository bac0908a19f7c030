-- report_frame_share_by_source: per ISO week, outlet and frame, how many of the outlet's in-scope
-- labelled stories carry the frame. Duplicates (wire copies) are counted once, under the outlet
-- that published the original; n_articles_all / n_with_frame_all count every copy.
create or replace view report_frame_share_by_source as
with totals as (
    select
        week,
        source_id,
        count(distinct article_id) filter (where not is_duplicate) as n_articles,
        count(distinct article_id)                                  as n_articles_all
    from article_frames
    group by week, source_id
),

per_frame as (
    select
        week,
        source_id,
        any_value(outlet)                                  as outlet,
        any_value(country)                                 as country,
        frame_id,
        count(*) filter (where present and not is_duplicate) as n_with_frame,
        count(*) filter (where present)                      as n_with_frame_all
    from article_frames
    group by week, source_id, frame_id
),

final as (
    select
        p.week,
        p.source_id,
        p.outlet,
        p.country,
        p.frame_id,
        t.n_articles,
        p.n_with_frame,
        p.n_with_frame / nullif(t.n_articles, 0)::double as share,
        t.n_articles_all,
        p.n_with_frame_all
    from per_frame as p
    join totals as t using (week, source_id)
)

select * from final order by week, source_id, frame_id;
