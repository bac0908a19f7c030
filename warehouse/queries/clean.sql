-- Named queries of the clean stage (pipeline/stages/clean.py); each block starts with
-- "-- name: <key>".

-- name: pending_pages
-- Stored pages with no article yet or whose HTML changed (or every page, when the parameter is
-- true), in rough publication order so that originals tend to be cleaned before their copies.
-- The listing's date (UTC) comes with the offset the listing stated it at, so that a page
-- dated by its feed keeps the publisher's day.
select
    p.canonical_url, p.source_id, p.url, p.content_type, p.content_sha256,
    w.warc_file, w.warc_offset,
    d.listing_published, d.first_seen, p.fetched_at, d.published_offset_minutes
from core.pages as p
join core.warc_records as w on w.record_id = p.warc_record_id
left join core.discovered as d using (canonical_url)
left join core.articles as a using (canonical_url)
where a.canonical_url is null or a.content_sha256 <> p.content_sha256 or ?
order by coalesce(d.listing_published, p.fetched_at), p.canonical_url;

-- name: stored_stories
-- The articles already cleaned, as the story groups need them, with their stored links.
select a.article_id, a.minhash, a.shingle_count, a.text_fingerprint, a.source_id,
       a.wire_credit, a.published_at, a.duplicate_of, s.kind = 'wire',
       a.duplicate_kind, a.duplicate_similarity
from core.articles as a
left join core.sources as s using (source_id)
where a.extraction_status = 'ok' and a.minhash is not null
order by a.published_at, a.article_id;

-- name: source_kinds
select source_id, kind from core.sources;

-- name: set_story_link
-- A stored article whose story changed: its original and how it copies it (all null for an
-- original). Parameters: duplicate_of, duplicate_kind, duplicate_similarity, article_id.
update core.articles set duplicate_of = ?, duplicate_kind = ?, duplicate_similarity = ?
where article_id = ?;

-- name: delete_replaced_articles
-- The stored rows of the pages being written again (read from the registered new_articles).
delete from core.articles where canonical_url in (select canonical_url from new_articles);
