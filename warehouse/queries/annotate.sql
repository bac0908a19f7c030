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

-- name: record_sample
-- One drawn article of a probability (or spread) sample, with its design.
insert into core.annotation_samples
    (sample_id, article_id, design, stratify_by, stratum, stratum_size, inclusion_probability, label_version)
values (?, ?, ?, ?, ?, ?, ?, ?);

-- name: current_label_version
select max(label_version) from core.frame_labels;

-- name: stored_article_ids
-- Which of the given article ids the warehouse holds (gold labels are kept for those only).
select article_id from core.articles where article_id in (select unnest(?::varchar[]));

-- name: forget_coder_labels
-- A coder's earlier labels of an article under this codebook, replaced by a new import.
delete from core.gold_labels where article_id = ? and coder = ? and codebook_fingerprint = ?;

-- name: store_gold_label
insert into core.gold_labels
    (article_id, coder, codebook_fingerprint, frame_id, present, is_primary, sample_id)
values (?, ?, ?, ?, ?, ?, ?);
