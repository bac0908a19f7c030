-- articles: one row per stored article whose text was extracted, with its outlet and ISO week.
create or replace view articles as
with final as (
    select
        a.article_id,
        a.source_id,
        s.name                                   as outlet,
        s.country,
        s.kind                                   as source_kind,
        a.canonical_url,
        a.url,
        a.title,
        a.authors,
        a.published_at,
        strftime(a.published_at, '%G-W%V')       as week,
        a.date_source,
        a.language,
        a.n_words,
        a.truncated,
        a.in_scope,
        a.relevance_score,
        a.duplicate_of is not null               as is_duplicate,
        a.duplicate_of,
        a.duplicate_kind,
        a.wire_credit,
        a.extraction_method,
        a.cleaned_at,
        a.text
    from core.articles as a
    left join core.sources as s using (source_id)
    where a.extraction_status = 'ok'
)

select * from final;
