-- articles: one row per stored article whose text was extracted, with its outlet and ISO week.
-- The day and week are the publisher's: published_at (UTC) on the clock of the offset the
-- publisher stated (published_offset_minutes; none stated: UTC).
create or replace view articles as
with local_time as (
    select
        *,
        published_at + to_minutes(coalesce(published_offset_minutes, 0)) as published_local
    from core.articles
),

final as (
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
        a.published_offset_minutes,
        cast(a.published_local as date)          as published_day,
        strftime(a.published_local, '%G-W%V')    as week,
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
    from local_time as a
    left join core.sources as s using (source_id)
    where a.extraction_status = 'ok'
)

select * from final;
