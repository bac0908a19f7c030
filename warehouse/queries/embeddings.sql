-- Named queries of the embedding cache (pipeline/stages/embedding_cache.py); each block starts
-- with "-- name: <key>". The caller registers the Arrow tables `wanted_hashes` and
-- `new_embeddings` on the connection before running them.

-- name: lookup
-- Stored vectors of the wanted text hashes for one model. Parameter: model_id.
select e.text_sha256, e.vector
from core.embeddings as e
join wanted_hashes as w using (text_sha256)
where e.model_id = ?;

-- name: store
-- Vectors already stored are kept (`where not exists`, not `on conflict`: a DuckLake warehouse
-- has no keys; the same on both).
insert into core.embeddings (model_id, text_sha256, vector)
select distinct on (n.model_id, n.text_sha256) n.model_id, n.text_sha256, n.vector
from new_embeddings as n
where not exists (select 1 from core.embeddings as e
                  where e.model_id = n.model_id and e.text_sha256 = n.text_sha256);
