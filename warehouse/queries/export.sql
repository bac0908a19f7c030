-- Named queries of `framewatch export` (warehouse/export.py); each block starts with
-- "-- name: <key>". The per-view statements (describe, count, copy) are built in export.py
-- from the view's name, which SQL cannot take as a parameter.

-- name: user_views
-- The views a user may export: those in the default schema, not DuckDB's own.
select view_name from duckdb_views() where schema_name = 'main' and not internal;
