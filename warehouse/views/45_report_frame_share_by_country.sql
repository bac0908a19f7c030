-- report_frame_share_by_country: per ISO week, source country and frame, the in-scope labelled
-- stories of that country's outlets and how many carry the frame (wire copies counted once).
create or replace view report_frame_share_by_country as
with final as (
    select
        week,
        coalesce(country, '??')                            as country,
        frame_id,
        sum(n_articles)::bigint                            as n_articles,
        sum(n_with_frame)::bigint                          as n_with_frame,
        sum(n_with_frame) / nullif(sum(n_articles), 0)::double as share,
        sum(n_articles_all)::bigint                        as n_articles_all,
        sum(n_with_frame_all)::bigint                      as n_with_frame_all
    from report_frame_share_by_source
    group by week, coalesce(country, '??'), frame_id
)

select * from final order by week, country, frame_id;
