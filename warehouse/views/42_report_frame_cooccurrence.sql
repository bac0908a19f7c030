-- report_frame_cooccurrence: per ISO week and ordered pair of frames, how many in-scope unique
-- stories carry both (frame_a = frame_b gives the frame's own count).
create or replace view report_frame_cooccurrence as
with present as (
    select week, article_id, frame_id
    from article_frames
    where present and not is_duplicate
),

final as (
    select
        a.week,
        a.frame_id       as frame_a,
        b.frame_id       as frame_b,
        count(*)         as n_both
    from present as a
    join present as b on a.article_id = b.article_id
    group by a.week, a.frame_id, b.frame_id
)

select * from final order by week, frame_a, frame_b;
