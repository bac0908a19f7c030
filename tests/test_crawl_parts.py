"""The crawl's pure parts: URL identity, feed/sitemap parsing, article links, WARC archive, statuses."""

from __future__ import annotations

import asyncio
import gzip
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings as ScrapySettings

from pipeline.archive import WarcArchive, read_record, recover_open_files, sha256_hex
from pipeline.seeds import Source
from pipeline.urls import canonical_url, robots_url, same_site, strip_tracking
from spiders.items import ARTICLE, DiscoveredLink, FetchOutcome
from spiders.links import article_links, date_from_url, looks_like_article
from spiders.listings import MalformedListing, parse_date, parse_feed, parse_sitemap
from spiders.news import NewsSpider
from spiders.outcomes import is_challenge_page, status_for_http
from spiders.politeness import parse_retry_after
from spiders.store import Validators

# The crawl store fixture (`store`), by name.
pytest_plugins = ["fixtures.crawl_store"]
# -- URL identity ------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [
    "https://news.example.com/tech/2026/03/05/chip-race/",
    "HTTPS://News.Example.COM:443/tech/2026/03/05/chip-race",
    "https://news.example.com/tech/2026/03/05/chip-race?utm_source=x&utm_medium=rss",
    "https://news.example.com/tech/2026/03/05/chip-race#comments",
    "https://news.example.com/tech/2026/03/05/chip-race?fbclid=abc&gclid=1&ref=home",
    "https://news.example.com/amp/tech/2026/03/05/chip-race",
    "https://news.example.com/tech/2026/03/05/chip-race/amp/",
])
def test_variants_of_a_story_share_one_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == "https://news.example.com/tech/2026/03/05/chip-race"


def test_canonical_url_keeps_meaningful_query_sorted() -> None:
    assert canonical_url("http://a.com/story?b=2&utm_campaign=x&a=1") == "http://a.com/story?a=1&b=2"
    assert canonical_url("http://a.com:8080/x") == "http://a.com:8080/x"


def test_html_canonical_honoured_only_on_the_same_site() -> None:
    page = "https://www.example.com/amp/world/story-123"
    assert canonical_url(page, html_canonical="/world/story-123") == \
        "https://www.example.com/world/story-123"
    assert canonical_url("https://example.com/a/x", html_canonical="https://www.example.com/a/y") \
        == "https://www.example.com/a/y"
    assert canonical_url(page, html_canonical="https://evil.test/world/story-123") == \
        "https://www.example.com/world/story-123"
    # a template that points every article at the home page is ignored
    assert canonical_url("https://example.com/world/story-123", html_canonical="/") == \
        "https://example.com/world/story-123"


def test_canonical_url_rejects_non_http() -> None:
    with pytest.raises(ValueError, match="not an absolute http"):
        canonical_url("mailto:someone@example.com")


def test_strip_tracking_keeps_the_path_exactly() -> None:
    assert strip_tracking("http://a.com/x/?utm_source=t&id=4#top") == "http://a.com/x/?id=4"
    assert strip_tracking("http://a.com/x/") == "http://a.com/x/"
    assert same_site("http://www.a.com/x", "https://a.com/y")
    assert not same_site("http://a.com/x", "http://b.com/x")


# -- feeds and sitemaps ------------------------------------------------------------------------

RSS = b"""<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>t</title>
<item><title>One</title><link>https://a.com/2026/03/01/one</link>
<pubDate>Sun, 01 Mar 2026 10:00:00 +0100</pubDate></item>
<item><title>Two</title><guid isPermaLink="true">https://a.com/2026/03/02/two</guid>
<dc:date>2026-03-02T08:00:00Z</dc:date></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>t</title><entry><title>A</title><link rel="alternate" href="/news/a-story"/>
<published>2026-03-03T09:00:00+02:00</published><updated>2026-03-04T09:00:00Z</updated></entry>
</feed>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><item><title>&lol9;</title><link>https://a.com/x</link></item></channel></rss>"""


def test_rss_entries_with_dates_in_utc() -> None:
    listing = parse_feed(RSS, "https://a.com/feed")
    assert listing.kind == "rss"
    assert [(e.url, e.title) for e in listing.entries] == [
        ("https://a.com/2026/03/01/one", "One"), ("https://a.com/2026/03/02/two", "Two")]
    assert listing.entries[0].published == datetime(2026, 3, 1, 9, 0)
    assert listing.entries[1].published == datetime(2026, 3, 2, 8, 0)


def test_atom_entries_resolve_relative_links() -> None:
    listing = parse_feed(ATOM, "https://a.com/atom.xml")
    (entry,) = listing.entries
    assert (listing.kind, entry.url) == ("atom", "https://a.com/news/a-story")
    assert entry.published == datetime(2026, 3, 3, 7, 0)
    assert entry.updated == datetime(2026, 3, 4, 9, 0)


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(MalformedListing, match="entities"):
        parse_feed(BILLION_LAUGHS, "https://a.com/feed")
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("body, problem", [
    (b"", "empty"),
    (b"<rss><channel><item><title>a & b</title></item></channel>", "not well-formed"),
    (b"<html><body>not a feed</body></html>", "not a feed"),
])
def test_malformed_feeds_say_why(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedListing, match=problem):
        parse_feed(body, "https://a.com/feed")


# A feed as real outlets publish it: tracking parameters joined by bare `&`, an HTML entity, a
# CDATA link whose `&` is already literal text, an escaped link, and a control character.
BARE_AMPERSAND_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Chips & power&nbsp;desk</title>
<item><title>One</title><link>https://a.com/news/one?utm_source=feed&utm_medium=rss</link></item>
<item><title>Two</title><link><![CDATA[https://a.com/news/two?utm_source=feed&utm_medium=rss]]></link></item>
<item><title>Three\x01</title><link>https://a.com/news/three?id=3&amp;page=1&ref</link></item>
<!-- a comment with a bare & stays a comment -->
</channel></rss>"""


def test_bare_ampersands_are_repaired_not_fatal() -> None:
    listing = parse_feed(BARE_AMPERSAND_FEED, "https://a.com/feed")
    assert [e.url for e in listing.entries] == [
        "https://a.com/news/one?utm_source=feed&utm_medium=rss",
        "https://a.com/news/two?utm_source=feed&utm_medium=rss",
        "https://a.com/news/three?id=3&page=1&ref"]
    assert listing.entries[2].title == "Three"
    assert listing.recovered_from is None
    assert listing.repairs == ("3 bare '&' escaped", "1 HTML entity made numeric",
                               "1 control character dropped")


def test_bare_ampersands_in_a_sitemap_are_repaired() -> None:
    urls = "".join(f"<url><loc>https://a.com/news/{i}?utm_source=sitemap&utm_medium=xml&x={i}"
                   f"</loc><lastmod>2026-03-0{i}</lastmod></url>" for i in range(1, 8))
    listing = parse_sitemap(('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                             f"{urls}</urlset>").encode(), "https://a.com/sitemap.xml")
    assert [e.url for e in listing.entries] == [
        f"https://a.com/news/{i}?utm_source=sitemap&utm_medium=xml&x={i}" for i in range(1, 8)]
    assert listing.repairs == ("14 bare '&' escaped",)


def test_a_well_formed_listing_is_not_touched() -> None:
    listing = parse_feed(RSS, "https://a.com/feed")
    assert (listing.repairs, listing.recovered_from) == ((), None)


def test_a_structurally_broken_feed_is_recovered_and_says_so() -> None:
    body = (b"<rss><channel><item><title>One</title><link>https://a.com/news/one?a=1&b=2</link>"
            b"</item><item><title>Two</title><link>https://a.com/news/two</link></channel>")
    listing = parse_feed(body, "https://a.com/feed")
    assert [e.url for e in listing.entries] == ["https://a.com/news/one?a=1&b=2",
                                                "https://a.com/news/two"]
    assert listing.recovered_from.startswith("not well-formed XML: ")
    assert listing.repairs == ("1 bare '&' escaped",)


def test_broken_entity_declarations_are_still_refused() -> None:
    # malformed as well as hostile: the refusal comes before any repair or recovery
    with pytest.raises(MalformedListing, match="entities"):
        parse_feed(BILLION_LAUGHS.replace(b"</channel>", b"& </chan"), "https://a.com/feed")


def test_sitemap_index_news_sitemap_and_gzip() -> None:
    index = parse_sitemap(
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>https://a.com/sm-2026-03.xml</loc><lastmod>2026-03-31</lastmod></sitemap>"
        b"</sitemapindex>", "https://a.com/sitemap.xml")
    assert index.kind == "sitemap_index"
    assert index.entries[0].updated == datetime(2026, 3, 31)
    news = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
            b"<loc>https://a.com/x</loc><news:news><news:publication_date>2026-03-05T10:00:00Z"
            b"</news:publication_date><news:title>Chips &amp; power</news:title></news:news>"
            b"</url></urlset>")
    listing = parse_sitemap(gzip.compress(news), "https://a.com/news.xml.gz")
    assert listing.kind == "news_sitemap"
    assert listing.entries[0].title == "Chips & power"
    assert listing.entries[0].published == datetime(2026, 3, 5, 10, 0)


def test_parse_date_forms() -> None:
    assert parse_date("2026-03-05") == datetime(2026, 3, 5)
    assert parse_date("Thu, 05 Mar 2026 10:00:00 GMT") == datetime(2026, 3, 5, 10, 0)
    assert parse_date("yesterday") is None


# -- article links on section pages ------------------------------------------------------------

SECTION = """<html><body>
<header><a href="/world/2026/03/01/in-the-header-menu">menu</a></header>
<nav><a href="/tech/">Tech</a></nav>
<main>
<article><h2><a href="/tech/2026/03/05/chip-export-rules-tighten">A</a></h2></article>
<a href="/news/why-the-ai-race-is-not-a-race-4521">B</a>
<a href="/tag/ai">tag</a><a href="/author/jane-doe">author</a>
<a href="https://other.example/2026/03/05/elsewhere-story">off-site</a>
<a href="/tech/">section itself</a><a href="/static/logo.png">logo</a>
<ul><li><a href="/briefs/short">teaser without slug</a></li></ul>
<a href="/about">about</a><a href="/tech/?page=2">more</a>
</main><footer><a href="/2026/01/01/footer-link-story-here">f</a></footer></body></html>"""


def test_article_links_keep_stories_and_drop_navigation() -> None:
    links = article_links(SECTION, "https://a.com/tech/")
    assert links == [
        "https://a.com/tech/2026/03/05/chip-export-rules-tighten",
        "https://a.com/news/why-the-ai-race-is-not-a-race-4521",
        "https://a.com/briefs/short",
    ]


def test_article_heuristics() -> None:
    page = "https://a.com/"
    assert looks_like_article("https://a.com/a/202603/15/WS12ab.html", page)
    assert looks_like_article("https://a.com/business/chips-race-heats-up-in-asia-2026-03-04/", page)
    assert not looks_like_article("https://a.com/business/", page)
    assert not looks_like_article("https://a.com/topics/chip-export-rules-tighten-again", page)
    assert date_from_url("https://a.com/x/20260315/story") == datetime(2026, 3, 15).date()


# -- statuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status, expected", [
    (200, None), (304, "not_modified"), (403, "blocked"), (401, "blocked"), (404, "not_found"),
    (410, "not_found"), (429, "rate_limited"), (500, "server_error"), (503, "server_error"),
    (418, "error"),
])
def test_status_for_http(status: int, expected: str | None) -> None:
    result = status_for_http(status, b"<html><body>ok</body></html>")
    assert (result[0] if result else None) == expected


def test_challenge_pages_are_blocked_even_with_200() -> None:
    page = b"<html><head><title>Just a moment...</title></head><body>cf-chl-bypass</body></html>"
    assert is_challenge_page(page)
    assert status_for_http(200, page) == ("blocked", "HTTP 200 bot-challenge page")
    assert not is_challenge_page(b"<html><p>A story about captcha farms and AI.</p></html>")


def test_retry_after_forms() -> None:
    now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(b"Thu, 05 Mar 2026 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None


# -- WARC archive ------------------------------------------------------------------------------


def _write(archive: WarcArchive, n: int) -> list:
    return [archive.write_exchange(
        url=f"http://a.com/{i}", method="GET", request_headers=[("User-Agent", "fw-test")],
        status=200, reason="OK", response_headers=[("Content-Type", "text/html"),
                                                   ("Content-Encoding", "gzip")],
        body=f"<html>{i}</html>".encode() * 40, fetched_at=datetime.now(UTC)) for i in range(n)]


def test_archive_rotates_and_reads_back(tmp_path) -> None:
    archive = WarcArchive(tmp_path, "run1", max_bytes=1500)
    records = _write(archive, 6)
    archive.close()
    files = sorted(p.name for p in (tmp_path / "run1").iterdir())
    assert len(files) > 1 and all(name.endswith(".warc.gz") for name in files)
    for i, record in enumerate(records):
        url, headers, body = read_record(tmp_path, record.warc_file, record.offset)
        assert url == f"http://a.com/{i}"
        assert body == f"<html>{i}</html>".encode() * 40
        assert "Content-Encoding" not in headers  # the body is stored decoded
        assert headers["Content-Length"] == str(len(body))
    # a new archive of the same run continues the numbering instead of overwriting
    again = WarcArchive(tmp_path, "run1", max_bytes=1500)
    assert _write(again, 1)[0].warc_file not in {r.warc_file for r in records}
    again.close()


def test_torn_tail_is_cut_back_to_the_last_complete_record(tmp_path) -> None:
    archive = WarcArchive(tmp_path, "run2", max_bytes=10_000_000)
    records = _write(archive, 3)
    archive.sync()
    handle = archive._handle
    torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 5000)[:-40]
    handle.write(torn)  # a record cut short, as a SIGKILL mid-write leaves it
    handle.close()  # the process dies: the file keeps its .open name
    archive._handle = None
    open_file = next((tmp_path / "run2").glob("*.open"))
    size_before = open_file.stat().st_size
    (recovered,) = recover_open_files(tmp_path)
    assert recovered.name == records[0].warc_file.split("/")[-1]
    assert recovered.stat().st_size == size_before - len(torn)
    assert read_record(tmp_path, records[2].warc_file, records[2].offset)[0] == "http://a.com/2"
    assert sha256_hex(b"x") != sha256_hex(b"y")


# -- start order and the warehouse store -------------------------------------------------------


def test_robots_url_keeps_scheme_host_and_port() -> None:
    assert robots_url("http://127.0.0.11:8080/feed/?x=1") == "http://127.0.0.11:8080/robots.txt"
    assert robots_url("https://News.example.com/a/b") == "https://News.example.com/robots.txt"
    assert robots_url("/relative/path") == ""


def _source(source_id: str, **lists: tuple[str, ...]) -> Source:
    return Source(id=source_id, name=source_id, homepage=f"https://{source_id}.example/",
                  country="GB", language="en", kind="outlet", **lists)


def test_start_takes_one_listing_of_each_source_in_turn() -> None:
    spider = NewsSpider([
        _source("a", feeds=("https://a.example/rss",), sitemaps=("https://a.example/sitemap.xml",),
                sections=("https://a.example/tech/", "https://a.example/world/")),
        _source("b", feeds=("https://b.example/rss",)),
        _source("c", sections=("https://c.example/news/",)),
    ])
    spider.crawler = SimpleNamespace(get_extension=lambda _cls: None)  # no store: no backlog
    spider.settings = ScrapySettings()  # no URL list: a crawl of the listings

    async def collect() -> list[str]:
        return [request.url async for request in spider.start()]

    assert asyncio.run(collect()) == [
        "https://a.example/rss", "https://b.example/rss", "https://c.example/news/",
        "https://a.example/sitemap.xml", "https://a.example/tech/", "https://a.example/world/"]


def test_store_writes_batches_with_their_types_and_merges_listings(store) -> None:
    seen = datetime(2026, 3, 1, 12, 30)
    store.add_discovered(DiscoveredLink("https://a.example/s", "a", "https://a.example/s?x=1",
                                        "rss", "Title", seen, None, seen))
    store.add_discovered(DiscoveredLink("https://a.example/s", "a", "https://a.example/s",
                                        "sitemap", None, None, datetime(2026, 3, 2), seen))
    store.record(FetchOutcome(url="https://a.example/s", source_id="a", kind=ARTICLE,
                              status="filtered", reason="why", fetched_at=seen))
    store.record(FetchOutcome(url="https://a.example/t", source_id=None, kind=ARTICLE,
                              status="error", elapsed_ms=1.5, fetched_at=seen))
    store.flush()
    assert store.con.execute(
        "select first_url, discovered_via, listing_title, listing_published, listing_updated "
        "from core.discovered").fetchall() == [
        ("https://a.example/s?x=1", "rss", "Title", seen, datetime(2026, 3, 2))]
    assert store.con.execute(
        "select url, source_id, status, reason, elapsed_ms, fetched_at from core.fetch_log "
        "order by url").fetchall() == [
        ("https://a.example/s", "a", "filtered", "why", None, seen),
        ("https://a.example/t", None, "error", None, 1.5, seen)]


def test_prefetched_validators_are_handed_out_once(store) -> None:
    store.con.execute("insert into core.http_validators values "
                      "('https://a.example/rss', '\"v1\"', null, 200, 'abc', now())")
    store.prefetch_validators(["https://a.example/rss", "https://a.example/robots.txt"])
    store.con.execute("update core.http_validators set etag = '\"v2\"'")
    assert store.validators("https://a.example/rss") == Validators('"v1"', None, "abc")
    assert store.validators("https://a.example/robots.txt") is None
    # a second lookup reads the warehouse again, as one without the prefetch would
    assert store.validators("https://a.example/rss").etag == '"v2"'


def test_retry_policy_doubles_the_wait_then_gives_up() -> None:
    from datetime import timedelta

    from spiders.incremental import RetryPolicy
    from spiders.store import FailureStreak

    policy = RetryPolicy(backoff=timedelta(hours=12), give_up_after=4)
    failed = datetime(2026, 3, 1, 8, 0)

    def verdict(failures: int, hours_later: float) -> str | None:
        found = policy.verdict(FailureStreak(failures, "timeout", failed),
                               failed + timedelta(hours=hours_later))
        return found and found[0]

    assert policy.verdict(None, failed) is None  # never failed
    assert [verdict(1, h) for h in (1, 11.9, 12)] == ["backing_off", "backing_off", None]
    assert [verdict(2, h) for h in (12, 23.9, 24)] == ["backing_off", "backing_off", None]
    assert [verdict(3, h) for h in (24, 47.9, 48)] == ["backing_off", "backing_off", None]
    assert verdict(4, 10_000) == "given_up"
    _, reason = policy.verdict(FailureStreak(2, "server_error", failed), failed)
    assert reason == ("failed 2 runs in a row (last server_error at 2026-03-01 08:00 UTC); "
                      "next try after 2026-03-02 08:00 UTC")
    assert RetryPolicy(backoff=timedelta(0), give_up_after=0).verdict(
        FailureStreak(9, "timeout", failed), failed) is None  # both switched off
