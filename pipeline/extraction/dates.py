"""When the article was first published: the page's own timestamps, then htmldate, the feed, the URL.

A timestamp keeps the UTC offset the publisher wrote (`2026-07-10T00:50:00+02:00` stays at
+02:00): the day and ISO week of a story are those of the publisher's clock, so converting to
UTC first would date a story published at 00:50 in Barcelona on the previous day.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from htmldate import find_date

from pipeline.extraction.metadata import PageInfo, first_meta

logger = logging.getLogger(__name__)

OLDEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)  # the web press barely existed before
# Kiribati (+14:00) and Baker Island (-12:00): no clock is further from UTC; a date stating a
# larger offset is garbled, not a time anywhere.
LARGEST_UTC_OFFSET = timedelta(hours=14)
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/\-_]?(0[1-9]|1[0-2])[/\-_]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|\b)"
)
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "date", "dc.date.issued", "dcterms.created", "sailthru.date",
)  # fmt: skip


def parse_datetime(value: str) -> datetime | None:
    """An ISO-8601-ish timestamp, aware, at the offset it states; naive times are taken as UTC."""
    value = value.strip()
    if not value:
        return None
    value = re.sub(r"\s*(Z|UTC|GMT)$", "+00:00", value)
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    offset = parsed.utcoffset()
    if offset is None or abs(offset) > LARGEST_UTC_OFFSET:
        return None  # no clock on Earth is this far from UTC: a garbled value
    return parsed


def utc_offset_minutes(moment: datetime | None) -> int | None:
    """The UTC offset a timestamp states, in minutes east of UTC (+120 for +02:00)."""
    offset = moment.utcoffset() if moment is not None else None
    return None if offset is None else int(offset.total_seconds() // 60)


def plausible(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and OLDEST_PLAUSIBLE <= moment <= now + timedelta(days=1)


def _page_timestamps(page: PageInfo) -> list[datetime]:
    raw: list[str] = []
    for article in page.articles:
        for key in ("datePublished", "dateCreated"):
            if isinstance(article.get(key), str):
                raw.append(article[key])
    meta = first_meta(page.meta, *_PUBLISHED_META)
    if meta:
        raw.append(meta)
    raw.extend(
        page.tree.xpath(
            "//time[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished']/@content"
        )
    )
    return [d for d in (parse_datetime(r) for r in raw) if d]


def _htmldate_day(page: PageInfo, now: datetime) -> datetime | None:
    """htmldate's reading of the page (day precision; it also reads the URL)."""
    try:
        found = find_date(
            page.tree,
            url=page.url,
            original_date=True,
            extensive_search=True,
            max_date=now.strftime("%Y-%m-%d"),
        )
    except Exception:  # htmldate trips over odd trees; a missing date is not worth a failed page
        logger.debug("htmldate failed on %s", page.url or "a page", exc_info=True)
        return None
    return parse_datetime(found) if found else None


def _url_date(url: str | None) -> datetime | None:
    match = _URL_DATE.search(urlsplit(url).path) if url else None
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None


def find_published(
    page: PageInfo, feed_date: datetime | None, now: datetime
) -> tuple[datetime | None, str]:
    """When the article was first published, and where that came from: page | feed | url | none."""
    for stamp in _page_timestamps(page):
        if plausible(stamp, now):
            return stamp, "page"
    # The publisher's own feed or sitemap date is more reliable than a date guessed from the
    # page's text (htmldate), which can be a copyright year or an "updated" line.
    if feed_date is not None:
        stamp = feed_date if feed_date.tzinfo else feed_date.replace(tzinfo=UTC)
        if plausible(stamp, now):
            return stamp, "feed"
    url_day = _url_date(page.url)
    day = _htmldate_day(page, now)
    if plausible(day, now) and day != url_day and not _coarser_than(day, url_day):
        return day, "page"
    if plausible(url_day, now):
        return url_day, "url"
    return None, "none"


def _coarser_than(guess: datetime | None, url_day: datetime | None) -> bool:
    """A guessed 1 January or 1st of the month, where the URL names a day in that year/month.

    Such a guess usually comes from a bare year or month ("Copyright 2026", "/202610/") and is
    less precise than the URL's date.
    """
    if guess is None or url_day is None or guess.year != url_day.year or guess.day != 1:
        return False
    return guess.month == 1 or guess.month == url_day.month
