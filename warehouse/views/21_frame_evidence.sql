-- frame_evidence: the passages that justify each frame of each article, best first.
create or replace view frame_evidence as
select
    e.article_id,
    e.frame_id,
    e.rank,
    e.passage_idx,
    p.kind   as passage_kind,
    p.text   as passage,
    e.score,
    a.week,
    a.outlet,
    a.title,
    a.canonical_url,
    a.is_duplicate,
    e.label_version
from core.frame_evidence as e
join core.passages as p on p.article_id = e.article_id and p.idx = e.passage_idx
join articles as a on a.article_id = e.article_id;
