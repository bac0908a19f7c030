-- report_weekly_attention: per ISO week, how much was collected, how much is AI-race coverage,
-- how much of it is duplicate (wire/syndicated) copy, and how much of it got frame labels.
-- "unique" counts a story once: copies marked as duplicates of another article are left out.
create or replace view report_weekly_attention as
with labelled as (
    select
        article_id,
        bool_or(present) as has_frame
    from core.frame_labels
    group by article_id
),

per_article as (
    select
        a.week,
        a.article_id,
        a.source_id,
        a.in_scope,
        a.is_duplicate,
        l.article_id is not null        as is_labelled,
        coalesce(l.has_frame, false)    as has_frame
    from articles as a
    left join labelled as l using (article_id)
    where a.week is not null
),

final as (
    select
        week,
        count(*)                                                          as n_collected,
        count(*) filter (where not is_duplicate)                          as n_collected_unique,
        count(*) filter (where in_scope)                                  as n_in_scope_all,
        count(*) filter (where in_scope and not is_duplicate)             as n_in_scope,
        count(*) filter (where in_scope and is_duplicate)                 as n_in_scope_duplicates,
        count(*) filter (where in_scope and not is_duplicate and is_labelled) as n_labelled,
        count(*) filter (where in_scope and not is_duplicate and is_labelled and not has_frame)
                                                                          as n_no_frame,
        count(distinct source_id) filter (where in_scope)                 as n_outlets,
        count(*) filter (where in_scope and not is_duplicate)
            / nullif(count(*) filter (where not is_duplicate), 0)::double as attention
    from per_article
    group by week
)

select * from final order by week;
