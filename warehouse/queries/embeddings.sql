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
insert into core.embeddings (model_id, text_sha256, vector)
select model_id, text_sha256, vector from new_embeddings
on conflict do nothing;
