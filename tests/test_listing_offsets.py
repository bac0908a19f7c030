"""Feed and sitemap dates keep the publisher's UTC offset (issue 16, item 10).

A page without a date of its own is dated by its feed or news sitemap. That date must keep the
offset the publisher stated, so that a story published at 00:50 +02:00 is dated that day (and
its ISO week), not the previous one in UTC: the listing parser keeps the offset, the crawl
stores it in core.discovered, and the clean stage carries it into core.articles.
"""

from __future__ import annotations

import importlib.util
import sys
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fixtures.archived import ArchivedPage, store_archived_pages
from fixtures.warehouse import query

from pipeline.settings import CrawlSettings, Settings
from spiders.items import DiscoveredLink
from spiders.listings import parse_feed, parse_sitemap, parse_stated_date, publisher_day
from warehouse.db import warehouse

# The crawl store fixture (`store`), by name.
pytest_plugins = ["fixtures.crawl_store"]

FIXTURES = Path(__file__).parent / "fixtures" / "crawl"
_spec = importlib.util.spec_from_file_location("crawl_minisite", FIXTURES / "minisite.py")
minisite = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("crawl_minisite", minisite)
_spec.loader.exec_module(minisite)

PLUS_TWO = timezone(timedelta(hours=2))
NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


# -- parsing: the offset each listing date states -------------------------------------------------


@pytest.mark.parametrize(("text", "utc", "offset"), [
    ("Fri, 10 Jul 2026 00:50:00 +0200", datetime(2026, 7, 9, 22, 50), 120),
    ("2026-07-10T00:50:00+02:00", datetime(2026, 7, 9, 22, 50), 120),
    ("2026-07-10T00:50:00+0200", datetime(2026, 7, 9, 22, 50), 120),
    ("Sun, 12 Jul 2026 21:00:00 -0500", datetime(2026, 7, 13, 2, 0), -300),
    ("Sun, 12 Jul 2026 21:00:00 EST", datetime(2026, 7, 13, 2, 0), -300),
    ("2026-07-10T00:50:00-03:30", datetime(2026, 7, 10, 4, 20), -210),
    ("Fri, 10 Jul 2026 00:50:00 GMT", datetime(2026, 7, 10, 0, 50), 0),
    ("2026-07-10T00:50:00Z", datetime(2026, 7, 10, 0, 50), 0),
    # No offset stated (or RFC 822's "-0000", offset unknown): taken as UTC, offset None.
    ("2026-07-10T00:50:00", datetime(2026, 7, 10, 0, 50), None),
    ("2026-07-10", datetime(2026, 7, 10), None),
    ("Fri, 10 Jul 2026 00:50:00 -0000", datetime(2026, 7, 10, 0, 50), None),
    # No clock is 15 hours from UTC: a garbled date, not a date.
    ("2026-07-10T00:50:00+15:00", None, None),
    ("yesterday", None, None),
    ("", None, None),
])
def test_a_listing_date_is_read_as_utc_with_the_offset_it_stated(text, utc, offset) -> None:
    assert parse_stated_date(text) == (utc, offset)


def test_the_publishers_day_is_taken_on_the_publishers_clock() -> None:
    assert publisher_day(datetime(2026, 7, 9, 22, 50), 120) == date(2026, 7, 10)
    assert publisher_day(datetime(2026, 7, 13, 2, 0), -300) == date(2026, 7, 12)
    assert publisher_day(datetime(2026, 7, 9, 22, 50), None) == date(2026, 7, 9)


def test_rss_and_atom_entries_keep_the_offset_of_their_dates() -> None:
    rss = (b'<rss version="2.0"><channel><item><link>https://a.com/one</link>'
           b"<pubDate>Fri, 10 Jul 2026 00:50:00 +0200</pubDate></item></channel></rss>")
    (entry,) = parse_feed(rss, "https://a.com/feed").entries
    assert (entry.published, entry.published_offset_minutes) == (datetime(2026, 7, 9, 22, 50), 120)
    assert entry.day() == date(2026, 7, 10)

    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom">'
            b'<entry><link href="/a"/><published>2026-07-13T00:50:00+02:00</published>'
            b"<updated>2026-07-14T09:00:00-04:00</updated></entry>"
            b'<entry><link href="/b"/><updated>2026-07-20T01:30:00+03:00</updated></entry></feed>')
    first, only_updated = parse_feed(atom, "https://a.com/atom.xml").entries
    assert (first.published, first.published_offset_minutes) == (datetime(2026, 7, 12, 22, 50), 120)
    assert (first.updated, first.updated_offset_minutes) == (datetime(2026, 7, 14, 13, 0), -240)
    # An entry with only <updated> is dated by it, offset and all.
    assert (only_updated.published, only_updated.published_offset_minutes) == (
        datetime(2026, 7, 19, 22, 30), 180)
    assert only_updated.day() == date(2026, 7, 20)


def test_sitemap_lastmod_and_news_publication_date_keep_their_offset() -> None:
    news = (f"<urlset {SITEMAP_NS} {NEWS_NS}><url><loc>https://a.com/x</loc>"
            "<lastmod>2026-07-21T08:00:00+03:00</lastmod><news:news>"
            "<news:publication_date>2026-07-20T01:30:00+03:00</news:publication_date>"
            "<news:title>T</news:title></news:news></url></urlset>").encode()
    (entry,) = parse_sitemap(news, "https://a.com/news.xml").entries
    assert (entry.published, entry.published_offset_minutes) == (datetime(2026, 7, 19, 22, 30), 180)
    assert (entry.updated, entry.updated_offset_minutes) == (datetime(2026, 7, 21, 5, 0), 180)

    plain = (f"<urlset {SITEMAP_NS}><url><loc>https://a.com/y</loc>"
             "<lastmod>2026-07-20T00:30:00+02:00</lastmod></url></urlset>").encode()
    (entry,) = parse_sitemap(plain, "https://a.com/sitemap.xml").entries
    assert (entry.published, entry.updated, entry.updated_offset_minutes) == (
        None, datetime(2026, 7, 19, 22, 30), 120)
    assert entry.day() == date(2026, 7, 20)

    index = (f"<sitemapindex {SITEMAP_NS}><sitemap><loc>https://a.com/sm-07.xml</loc>"
             "<lastmod>2026-08-01T00:10:00+02:00</lastmod></sitemap></sitemapindex>").encode()
    (child,) = parse_sitemap(index, "https://a.com/sitemap.xml").entries
    assert publisher_day(child.updated, child.updated_offset_minutes) == date(2026, 8, 1)


# -- the crawl's store: the offset goes with its date ---------------------------------------------


def _stored(store) -> dict[str, tuple]:
    return {url: (published, offset) for url, published, offset in store.con.execute(
        "select canonical_url, listing_published, published_offset_minutes from core.discovered"
    ).fetchall()}


def test_the_store_keeps_a_listing_dates_offset_with_that_date(store) -> None:
    seen = datetime(2026, 7, 10, 6, 0)
    local = datetime(2026, 7, 9, 22, 50)
    # Listed by a sitemap without a date, then by the feed with one: the feed's date and offset.
    store.add_discovered(DiscoveredLink("https://a.com/s", "a", "https://a.com/s", "sitemap",
                                        None, None, seen, seen))
    store.add_discovered(DiscoveredLink("https://a.com/s", "a", "https://a.com/s", "rss", "S",
                                        local, None, seen, published_offset_minutes=120))
    # Listed by the feed first: a later listing's other date and offset do not replace them.
    store.add_discovered(DiscoveredLink("https://a.com/t", "a", "https://a.com/t", "rss", "T",
                                        local, None, seen, published_offset_minutes=120))
    store.add_discovered(DiscoveredLink("https://a.com/t", "a", "https://a.com/t", "news_sitemap",
                                        "T", datetime(2026, 7, 10), None, seen))
    # Listed with a date but no offset, then with the same date and its offset: that offset.
    store.add_discovered(DiscoveredLink("https://a.com/u", "a", "https://a.com/u", "sitemap", "U",
                                        local, None, seen))
    store.add_discovered(DiscoveredLink("https://a.com/u", "a", "https://a.com/u", "rss", "U",
                                        local, None, seen, published_offset_minutes=120))
    store.flush()
    assert _stored(store) == {"https://a.com/s": (local, 120), "https://a.com/t": (local, 120),
                              "https://a.com/u": (local, 120)}
    store.con.execute("delete from core.discovered where canonical_url = 'https://a.com/u'")

    # Rows written before the offset was kept (null) gain it when listed again with the same
    # date; a stored date keeps its own offset whatever a later listing says.
    store.con.execute("update core.discovered set published_offset_minutes = null "
                      "where canonical_url = 'https://a.com/s'")
    later = seen + timedelta(days=1)
    store.add_discovered(DiscoveredLink("https://a.com/s", "a", "https://a.com/s", "rss", "S",
                                        local, None, later, published_offset_minutes=120))
    store.add_discovered(DiscoveredLink("https://a.com/t", "a", "https://a.com/t", "atom", "T",
                                        local + timedelta(hours=3), None, later,
                                        published_offset_minutes=-300))
    store.flush()
    assert _stored(store) == {"https://a.com/s": (local, 120), "https://a.com/t": (local, 120)}
    # Stories never stored come back from the backlog with their date's offset.
    assert sorted(store.backlog(["a"], days=3650, limit=10)) == [
        ("a", "https://a.com/s", "sitemap", "S", local, seen, 120),
        ("a", "https://a.com/t", "rss", "T", local, None, 120)]


# -- the clean stage: a page dated by its listing keeps the listing's offset ----------------------


def test_a_page_without_a_date_is_dated_by_its_feed_at_the_feeds_offset(tmp_path) -> None:
    from pipeline.extraction.dates import utc_offset_minutes
    from pipeline.stages.clean import extract_page, pending_pages

    url = "https://a.com/news/chip-story"
    fetched = datetime(2026, 7, 10, 6, 0)
    with warehouse(tmp_path / "fw.duckdb") as con:
        store_archived_pages(con, tmp_path / "archive", fetched=fetched.replace(tzinfo=UTC), pages=[
            ArchivedPage(url, "a", minisite.article_html("Chip story"),
                         listing_published=datetime(2026, 7, 9, 22, 50), listing_offset_minutes=120)])
        (page,) = pending_pages(con)
    extracted = extract_page(str(tmp_path / "archive"), page)
    assert extracted.date_source == "feed"
    assert extracted.published == datetime(2026, 7, 10, 0, 50, tzinfo=PLUS_TWO)
    assert utc_offset_minutes(extracted.published) == 120
    # A listing date without an offset is UTC, as before.
    untold = extract_page(str(tmp_path / "archive"), replace(page, listing_offset_minutes=None))
    assert untold.published == datetime(2026, 7, 9, 22, 50, tzinfo=UTC)


# -- end to end: a crawl of a local site, then the clean stage --------------------------------------

QUICK = CrawlSettings(download_delay=0.0, autothrottle=False, timeout_seconds=5.0, retry_times=1,
                      concurrent_requests_per_domain=4, log_level="INFO")

# path -> (how it is listed, the date as the listing writes it, publisher's day, ISO week, offset)
LISTED = {
    # La Vanguardia's case: 00:50 in Barcelona is still 9 July in UTC.
    "/news/chip-race-barcelona": ("feed", "Fri, 10 Jul 2026 00:50:00 +0200",
                                  date(2026, 7, 10), "2026-W28", 120),
    # Monday 00:50 local is Sunday in UTC: the week is the new one.
    "/news/chip-race-monday": ("feed", "Mon, 13 Jul 2026 00:50:00 +0200",
                               date(2026, 7, 13), "2026-W29", 120),
    # West of UTC the other way: Sunday evening in New York is Monday in UTC.
    "/news/chip-race-new-york": ("feed", "Sun, 12 Jul 2026 21:00:00 -0500",
                                 date(2026, 7, 12), "2026-W28", -300),
    "/news/chip-race-athens": ("news_sitemap", "2026-07-20T01:30:00+03:00",
                               date(2026, 7, 20), "2026-W30", 180),
    "/news/chip-race-london": ("feed", "Fri, 10 Jul 2026 09:00:00 GMT",
                               date(2026, 7, 10), "2026-W28", 0),
}


def _source(source_id: str, site, **lists: str) -> str:
    extra = "".join(f"{key} = {value}\n" for key, value in lists.items())
    return (f'[[sources]]\nid = "{source_id}"\nname = "{source_id}"\nhomepage = "{site.base}/"\n'
            f'country = "ES"\nlanguage = "en"\nkind = "outlet"\n{extra}')


@pytest.mark.slow  # a Scrapy crawl in a subprocess, then the real relevance model
def test_feed_and_sitemap_dates_give_the_publishers_day_and_week(tmp_path, embedder) -> None:
    from pipeline.relevance import RelevanceModel
    from pipeline.seeds import load_topic
    from pipeline.settings import DEFAULT_SEEDS_DIR
    from pipeline.stages.clean import clean_pending
    from pipeline.stages.crawl import run_crawl
    from pipeline.stages.embedding_cache import EmbeddingCache

    with ExitStack() as stack:
        site, later = (stack.enter_context(minisite.MiniSite(host=f"127.0.0.{n}")) for n in (41, 42))
        for path in LISTED:  # pages with no date of their own, nor one in the URL
            site.routes[path] = minisite.Page(minisite.article_html(path.rsplit("/", 1)[-1]))
        site.routes["/feed.xml"] = minisite.Page(minisite.rss(
            [(site.url(path), path, when) for path, (via, when, *_) in LISTED.items()
             if via == "feed"]), "application/rss+xml")
        site.routes["/news-sitemap.xml"] = minisite.Page((
            f'<?xml version="1.0"?><urlset {SITEMAP_NS} {NEWS_NS}>' + "".join(
                f"<url><loc>{site.url(path)}</loc><news:news><news:publication_date>{when}"
                f"</news:publication_date><news:title>{path}</news:title></news:news></url>"
                for path, (via, when, *_) in LISTED.items() if via == "news_sitemap")
            + "</urlset>").encode(), "application/xml")
        # `since` is a day on the publisher's clock too: 00:30 +02:00 on 20 July is on it,
        # though it is still 19 July in UTC; 23:30 UTC on 19 July is not.
        for path in ("/news/since-kept", "/news/since-dropped"):
            later.routes[path] = minisite.Page(minisite.article_html(path.rsplit("/", 1)[-1]))
        later.routes["/sitemap.xml"] = minisite.Page((
            f'<?xml version="1.0"?><urlset {SITEMAP_NS}>'
            f"<url><loc>{later.url('/news/since-kept')}</loc>"
            "<lastmod>2026-07-20T00:30:00+02:00</lastmod></url>"
            f"<url><loc>{later.url('/news/since-dropped')}</loc>"
            "<lastmod>2026-07-19T23:30:00+00:00</lastmod></url></urlset>").encode(),
            "application/xml")
        sources = tmp_path / "sources.toml"
        sources.write_text(
            _source("lavanguardia", site, feeds=f'["{site.url("/feed.xml")}"]',
                    news_sitemaps=f'["{site.url("/news-sitemap.xml")}"]')
            + _source("later", later, sitemaps=f'["{later.url("/sitemap.xml")}"]',
                      since="2026-07-20"), encoding="utf-8")
        settings = Settings(workdir=tmp_path, crawl=QUICK)
        summary = run_crawl(settings, sources_path=sources, timeout=180)
    assert summary.status == "finished"

    discovered = {url: (via, offset) for url, via, offset in query(
        settings.db_path, "select first_url, discovered_via, published_offset_minutes "
                          "from core.discovered")}
    for path, (via, _, _, _, offset) in LISTED.items():
        assert discovered[site.url(path)] == ("rss" if via == "feed" else via, offset), path

    with warehouse(settings.db_path) as con:
        relevance = RelevanceModel(load_topic(DEFAULT_SEEDS_DIR / "topic.toml"),
                                   EmbeddingCache(con, embedder).encode)
        clean_pending(con, settings.archive_path, relevance, workers=1)
    rows = {url: rest for url, *rest in query(
        settings.db_path, "select url, date_source, published_offset_minutes, published_day, "
                          "week from articles")}
    for path, (_, _, day, week, offset) in LISTED.items():
        assert rows[site.url(path)] == ["feed", offset, day, week], path

    since = dict(query(settings.db_path, "select url, status || ': ' || coalesce(reason, '') "
                                         "from core.fetch_log where kind = 'article'"))
    assert since[later.url("/news/since-kept")].startswith("new")
    assert since[later.url("/news/since-dropped")] == (
        "filtered: dated 2026-07-19, before since = 2026-07-20")
