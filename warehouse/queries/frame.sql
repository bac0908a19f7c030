-- Named queries of the frame stage (pipeline/stages/frame.py); each block starts with
-- "-- name: <key>".

-- name: pending_articles
-- In-scope articles without labels, labelled by another label version, or cleaned again since
-- (or every in-scope article, when the first parameter is true). Parameters: relabel_all,
-- the current label version.
select a.article_id, a.title, a.text
from core.articles as a
left join (
    select article_id, any_value(label_version) as label_version, min(labelled_at) as labelled_at
    from core.frame_labels group by article_id
) as l using (article_id)
where a.extraction_status = 'ok' and a.in_scope
  and (? or l.article_id is null or l.label_version <> ? or l.labelled_at < a.cleaned_at)
order by a.published_at, a.article_id;

-- name: insert_label_version
-- What produces a run's labels. Parameters: label_version, model_id, codebook_id,
-- codebook_version, codebook_fingerprint, calibration_version, codebook_toml.
-- A version already stored is left as it is (`where not exists`, not `on conflict`: a DuckLake
-- warehouse has no keys; the same on both).
insert into core.label_versions (label_version, model_id, codebook_id, codebook_version,
                                 codebook_fingerprint, calibration_version, codebook_toml)
select * from (values (?::varchar, ?::varchar, ?::varchar, ?::varchar, ?::varchar, ?::varchar, ?::varchar))
    as v(label_version, model_id, codebook_id, codebook_version, codebook_fingerprint,
         calibration_version, codebook_toml)
where not exists (select 1 from core.label_versions as l where l.label_version = v.label_version);

-- name: insert_codebook_frame
-- Parameters: codebook_fingerprint, frame_id, label, definition, position.
insert into core.codebook_frames (codebook_fingerprint, frame_id, label, definition, position)
select * from (values (?::varchar, ?::varchar, ?::varchar, ?::varchar, ?::integer))
    as v(codebook_fingerprint, frame_id, label, definition, position)
where not exists (select 1 from core.codebook_frames as f
                  where f.codebook_fingerprint = v.codebook_fingerprint and f.frame_id = v.frame_id);

-- name: count_stale_labels
-- Labelled articles that are no longer in scope (relevance or extraction changed).
select count(distinct l.article_id)
from core.frame_labels as l
join core.articles as a using (article_id)
where not coalesce(a.in_scope, false) or a.extraction_status <> 'ok';

-- name: delete_stale_labels
delete from core.frame_labels where article_id in (
    select article_id from core.articles
    where not coalesce(in_scope, false) or extraction_status <> 'ok'
);

-- name: delete_stale_evidence
delete from core.frame_evidence where article_id in (
    select article_id from core.articles
    where not coalesce(in_scope, false) or extraction_status <> 'ok'
);
