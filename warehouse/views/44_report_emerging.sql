-- report_emerging: one row per member passage of a candidate new framing (a cluster of passages
-- no frame claims), with the passage text and the article it comes from.
create or replace view report_emerging as
with final as (
    select
        c.cluster_id,
        c.first_seen_week,
        c.last_seen_week,
        c.keywords,
        c.size          as cluster_size,
        m.week,
        m.article_id,
        m.passage_idx,
        m.similarity,
        p.text          as passage,
        a.outlet,
        a.title,
        a.canonical_url
    from core.emerging_clusters as c
    join core.emerging_members as m using (cluster_id)
    left join core.passages as p on p.article_id = m.article_id and p.idx = m.passage_idx
    left join articles as a on a.article_id = m.article_id
)

select * from final;
