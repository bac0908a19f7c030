-- report_label_versions: per ISO week, which model, codebook and calibration produced the frame
-- labels of the week's in-scope articles, and for how many articles.
create or replace view report_label_versions as
with used as (
    select week, label_version, count(distinct article_id) as n_articles
    from article_frames
    group by week, label_version
),

final as (
    select
        u.week,
        u.label_version,
        v.model_id,
        v.codebook_id,
        v.codebook_version,
        v.codebook_fingerprint,
        v.calibration_version,
        u.n_articles
    from used as u
    join core.label_versions as v using (label_version)
)

select * from final order by week, label_version;

-- report_frames: the frames of every codebook version that labelled articles, in codebook order.
create or replace view report_frames as
select
    v.label_version,
    v.codebook_id,
    v.codebook_version,
    v.created_at      as label_version_created_at,
    f.frame_id,
    f.label,
    f.definition,
    f.position
from core.label_versions as v
join core.codebook_frames as f using (codebook_fingerprint)
order by v.created_at, v.label_version, f.position;
