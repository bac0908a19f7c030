-- The weekly report's frame shares (pipeline/report/shares.py): which codebook the report's
-- labels came from, and how the labeller did against that codebook's gold labels.

-- name: label_version_codebook
-- The codebook behind one label version, and its TOML as the frame stage stored it (null when
-- the labels were written without a codebook file).
select codebook_fingerprint, codebook_id, codebook_version, codebook_toml
from core.label_versions
where label_version = ?;

-- name: gold_against_labels
-- Every gold-labelled story of one codebook (any sample, merged over coders: present when half
-- or more marked it) beside the labeller's current decision on it, per frame.
with votes as (
    select
        article_id,
        frame_id,
        avg(case when present then 1.0 else 0.0 end) >= 0.5 as gold_present
    from core.gold_labels
    where codebook_fingerprint = ?
    group by article_id, frame_id
)

select v.article_id, v.frame_id, v.gold_present, f.present as labelled_present
from votes as v
join article_frames as f using (article_id, frame_id)
join core.label_versions as l on l.label_version = f.label_version
where l.codebook_fingerprint = ?
order by v.article_id, v.frame_id;
