-- Frame shares per week (pipeline/stages/prevalence.py): the labeller's scores, gold labels
-- with their sample design, and the calibration's cross-fitted rows.

-- name: frame_scores
-- Every unique in-scope story's score and decision per frame, under labels of one codebook.
select
    f.week,
    f.article_id,
    f.frame_id,
    f.score,
    f.present
from article_frames as f
join core.label_versions as v using (label_version)
where not f.is_duplicate
    and v.codebook_fingerprint = ?
order by f.week, f.article_id, f.frame_id;

-- name: gold_votes
-- Gold labels per (article, frame) merged over coders (present when half or more marked it),
-- with the design of the sample the article was drawn in (no design: inclusion is null).
with votes as (
    select
        article_id,
        frame_id,
        avg(case when present then 1.0 else 0.0 end)    as present_share,
        sum(case when is_primary then 1 else 0 end)     as primary_votes,
        count(*)                                        as coders,
        min(sample_id)                                  as sample_id
    from core.gold_labels
    where codebook_fingerprint = ?
    group by article_id, frame_id
),

final as (
    select
        v.article_id,
        a.week,
        v.frame_id,
        v.present_share >= 0.5      as present,
        v.primary_votes,
        v.coders,
        s.design,
        s.inclusion_probability
    from votes as v
    join articles as a using (article_id)
    left join core.annotation_samples as s
        on s.sample_id = v.sample_id and s.article_id = v.article_id
)

select * from final
order by article_id, frame_id;

-- name: current_calibration
-- The calibration behind most of the current labels of one codebook (null: zero-shot).
select v.calibration_version
from core.frame_labels as l
join core.label_versions as v using (label_version)
where v.codebook_fingerprint = ?
group by v.calibration_version
order by count(*) desc
limit 1;

-- name: calibration_holdout
select row_id, frame_id, probability, gold, is_primary
from core.calibration_holdout
where calibration_version = ?
order by row_id, frame_id;

-- name: forget_holdout
delete from core.calibration_holdout where calibration_version = ?;

-- name: store_holdout
insert into core.calibration_holdout
    (calibration_version, row_id, frame_id, probability, gold, is_primary)
values (?, ?, ?, ?, ?, ?);
