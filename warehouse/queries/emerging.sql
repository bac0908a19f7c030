-- name: unclaimed_passages
-- Body passages of in-scope unique stories in the window that justify none of their article's
-- frames, with their embeddings. Parameters: model_id, first week, last week.
select p.article_id, p.idx, a.week, p.text, e.vector
from core.passages as p
join articles as a using (article_id)
join core.embeddings as e on e.text_sha256 = p.text_sha256 and e.model_id = ?
where a.in_scope and not a.is_duplicate and p.kind = 'body'
  and a.week between ? and ?
  and length(p.text) >= 80
  and not exists (
      select 1 from core.frame_evidence as fe
      join core.frame_labels as fl
        on fl.article_id = fe.article_id and fl.frame_id = fe.frame_id and fl.present
      where fe.article_id = p.article_id and fe.passage_idx = p.idx
  )
order by a.week, p.article_id, p.idx;

-- name: known_clusters
-- Clusters whose centroid lives in this model's vector space. Those stored before clusters
-- recorded their model are taken to be the model's too (find_emerging skips any whose centroid
-- has other dimensions). Parameter: model_id.
select cluster_id, centroid, first_seen_week
from core.emerging_clusters
where model_id = ? or model_id is null;

-- name: outlet_names
-- Every followed outlet's id and name: words that must never label a cluster.
select source_id, name
from core.sources
order by source_id;

-- name: clear_members
delete from core.emerging_members;

-- name: upsert_cluster
-- (merge, not `insert or replace`: a DuckLake warehouse has no keys; the same on both.)
merge into core.emerging_clusters as t
using (select ?::varchar as cluster_id, ?::varchar as first_seen_week, ?::varchar as last_seen_week,
              ?::varchar[] as keywords, ?::float[] as centroid, ?::integer as size,
              ?::varchar as label_version, ?::timestamp as updated_at, ?::varchar as model_id) as s
on t.cluster_id = s.cluster_id
when matched then update set first_seen_week = s.first_seen_week, last_seen_week = s.last_seen_week,
    keywords = s.keywords, centroid = s.centroid, size = s.size, label_version = s.label_version,
    updated_at = s.updated_at, model_id = s.model_id
when not matched then insert (cluster_id, first_seen_week, last_seen_week, keywords, centroid, size,
                              label_version, updated_at, model_id)
    values (s.cluster_id, s.first_seen_week, s.last_seen_week, s.keywords, s.centroid, s.size,
            s.label_version, s.updated_at, s.model_id);

-- name: insert_member
insert into core.emerging_members (cluster_id, article_id, passage_idx, week, similarity)
values (?, ?, ?, ?, ?);
