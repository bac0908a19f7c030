-- sources: the outlets framewatch follows, one row per outlet (from seeds/sources.toml).
create or replace view sources as
select source_id, name, homepage, country, language, kind, updated_at
from core.sources;
