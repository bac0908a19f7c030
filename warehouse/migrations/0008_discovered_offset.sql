-- The UTC offset a feed or sitemap stated with the publication date it gave an article, in
-- minutes east of UTC (+120 for `Fri, 10 Jul 2026 00:50:00 +0200`). `listing_published` stays
-- UTC; when the page gives no date of its own, the clean stage dates the article by the
-- listing's date at this offset (core.articles.published_offset_minutes, migration 0004), so
-- its day and ISO week are the publisher's. Null when the listing stated no offset or gave no
-- date, and for rows discovered before this migration: those dates are taken as UTC until a
-- later crawl lists the article again with the same date and its offset.
alter table core.discovered add column published_offset_minutes integer;
