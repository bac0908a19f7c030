-- The UTC offset the publisher stated with an article's publication time, in minutes east of UTC
-- (+120 for 2026-07-10T00:50:00+02:00). `published_at` stays UTC; the day and ISO week of a story
-- are taken on the publisher's clock (`published_at` plus this offset, in the `articles` view),
-- so a story published just after midnight local time is not dated the previous day. 0 for UTC
-- and for dates stated without an offset (taken as UTC); null when the date is the crawl's (the
-- page and its listings gave none) or the row was cleaned before this migration, whose dates
-- stay UTC until `framewatch reprocess` extracts them again.
alter table core.articles add column published_offset_minutes integer;
