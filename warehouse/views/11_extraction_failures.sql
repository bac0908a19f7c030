-- extraction_failures: fetched pages whose article text could not be extracted, and why.
create or replace view extraction_failures as
select a.article_id, a.source_id, a.canonical_url, a.extraction_status, a.extraction_reason, a.cleaned_at
from core.articles as a
where a.extraction_status <> 'ok';
