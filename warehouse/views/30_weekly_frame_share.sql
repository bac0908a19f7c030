-- weekly_frame_share: per ISO week and frame, how many in-scope articles carry the frame.
-- Counted once per story (syndicated/duplicate copies left out) and, alongside, over all copies.
create or replace view weekly_frame_share as
with framed as (
    select * from article_frames
),

totals as (
    select
        week,
        count(distinct article_id) filter (where not is_duplicate) as n_articles,
        count(distinct article_id)                                  as n_articles_all
    from framed
    group by week
),

per_frame as (
    select
        week,
        frame_id,
        any_value(frame_label)                                          as frame_label,
        count(*) filter (where present and not is_duplicate)            as n_with_frame,
        count(*) filter (where is_primary and not is_duplicate)         as n_primary,
        count(*) filter (where present)                                 as n_with_frame_all
    from framed
    group by week, frame_id
),

final as (
    select
        p.week,
        p.frame_id,
        p.frame_label,
        t.n_articles,
        p.n_with_frame,
        p.n_with_frame / nullif(t.n_articles, 0)::double      as share,
        p.n_primary,
        p.n_primary / nullif(t.n_articles, 0)::double         as primary_share,
        t.n_articles_all,
        p.n_with_frame_all,
        p.n_with_frame_all / nullif(t.n_articles_all, 0)::double as share_all
    from per_frame as p
    join totals as t using (week)
)

select * from final order by week, frame_id;
