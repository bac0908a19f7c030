-- name: candidates
-- In-scope, unique stories with their predicted frames, for the annotation sample.
select
    a.article_id,
    a.week,
    a.outlet,
    max(case when f.is_primary then f.frame_id end)                     as predicted_primary,
    coalesce(a.title, '')                                              as title,
    a.canonical_url                                                    as url,
    list(f.frame_id order by f.frame_id) filter (where f.present)      as predicted_frames
from articles as a
join article_frames as f using (article_id)
where a.in_scope and not a.is_duplicate
group by a.article_id, a.week, a.outlet, a.title, a.canonical_url;

-- name: passages
select article_id, list(text order by idx) as passages
from core.passages
group by article_id;
