-- Emerging clusters remember the embedding model whose space their centroid lives in: after the
-- model changes (another model, or a calibration with a tuned encoder), centroids of the old
-- space must not be matched against vectors of the new one (other dimensions fail outright;
-- the same dimensions match by chance). Clusters stored before this migration have no model.
alter table core.emerging_clusters add column model_id varchar;
