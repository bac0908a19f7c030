-- article_frames: one row per (in-scope article, frame): score, yes/no decision, primary frame.
create or replace view article_frames as
with final as (
    select
        l.article_id,
        a.week,
        a.published_at,
        a.source_id,
        a.outlet,
        a.country,
        a.is_duplicate,
        a.title,
        l.frame_id,
        coalesce(cf.label, l.frame_id)  as frame_label,
        l.score,
        l.present,
        l.is_primary,
        l.label_version,
        l.labelled_at
    from core.frame_labels as l
    join articles as a using (article_id)
    join core.label_versions as v using (label_version)
    left join core.codebook_frames as cf
        on cf.codebook_fingerprint = v.codebook_fingerprint and cf.frame_id = l.frame_id
    where a.in_scope
)

select * from final;
