"""Hostile input: the crawl survives every fault, records the right status, stores nothing
corrupt and keeps every good article. Politeness: Crawl-delay, Retry-After, failing hosts."""

from __future__ import annotations

import importlib.util
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from fixtures.warehouse import query

from pipeline.archive import read_record, sha256_hex
from pipeline.demo_site import DemoSite, build_corpus
from pipeline.demo_site.faults import FAULTS
from pipeline.settings import CrawlSettings, Settings
from pipeline.stages.crawl import run_crawl

pytestmark = pytest.mark.slow  # Scrapy crawls in subprocesses

FIXTURES = Path(__file__).parent / "fixtures" / "crawl"
_spec = importlib.util.spec_from_file_location("crawl_minisite", FIXTURES / "minisite.py")
minisite = importlib.util.module_from_spec(_spec)
sys.modules["crawl_minisite"] = minisite
_spec.loader.exec_module(minisite)

# Tight limits keep the faults fast: 1.5 s timeout (the slow page sleeps 4 s), 2 MB pages.
HOSTILE = CrawlSettings(download_delay=0.0, autothrottle=False, timeout_seconds=1.5,
                        retry_times=2, max_page_bytes=2_000_000,
                        concurrent_requests_per_domain=4, log_level="INFO")
OVERRIDES = {"FRAMEWATCH_HOST_BACKOFF_SECONDS": 0.05, "FRAMEWATCH_MAX_RETRY_AFTER": 5}


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("crawl-hostile")
    with DemoSite(build_corpus(seed=7, scale="small"), faults=True, slow_seconds=4.0) as site:
        sources = site.write_sources_toml(workdir / "sources.toml")
        settings = Settings(workdir=workdir, crawl=HOSTILE)
        summary = run_crawl(settings, sources_path=sources, timeout=300, scrapy_overrides=OVERRIDES)
        yield {"settings": settings, "summary": summary, "truth": site.truth(),
               "requests": list(site.request_log)}


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_gets_its_status(hostile_crawl, fault) -> None:
    url = next(f["url"] for f in hostile_crawl["truth"]["faults"] if f["id"] == fault.id)
    rows = query(hostile_crawl["settings"].db_path,
                 "select status, reason from core.fetch_log where run_id = ? and url = ?",
                 [hostile_crawl["summary"].run_id, url])
    assert len(rows) == 1, f"{url}: {rows}"
    status, reason = rows[0]
    expected = "new" if fault.expected_status == "ok" else fault.expected_status
    assert status == expected, f"{fault.id}: {status} ({reason})"
    stored = query(hostile_crawl["settings"].db_path, "select count(*) from core.pages "
                                                      "where url = ?", [url])[0][0]
    assert stored == (1 if fault.expected_status == "ok" else 0)


def test_crawl_survives_and_keeps_every_good_article(hostile_crawl) -> None:
    summary = hostile_crawl["summary"]
    assert summary.status == "finished"
    pages = {url for (url,) in query(hostile_crawl["settings"].db_path,
                                     "select url from core.pages")}
    assert {a["url"] for a in hostile_crawl["truth"]["articles"]} <= pages
    health = dict(query(hostile_crawl["settings"].db_path,
                        "select source_id, health from source_health where run_id = ?",
                        [summary.run_id]))
    assert health.pop("hostile") == "degraded"
    assert set(health.values()) == {"ok"}


def test_nothing_corrupt_is_stored(hostile_crawl) -> None:
    settings = hostile_crawl["settings"]
    rows = query(settings.db_path,
                 "select p.url, p.content_sha256, w.warc_file, w.warc_offset from core.pages p "
                 "join core.warc_records w on w.record_id = p.warc_record_id")
    assert len(rows) == query(settings.db_path, "select count(*) from core.pages")[0][0]
    for url, sha, warc_file, offset in rows:
        archived_url, _, body = read_record(settings.archive_path, warc_file, offset)
        assert archived_url == url and sha256_hex(body) == sha
    # the cut-short body is archived for the record, marked truncated, and never a page
    truncated = next(f["url"] for f in hostile_crawl["truth"]["faults"] if f["id"] == "truncated")
    (warc_file, offset), = query(settings.db_path, "select warc_file, warc_offset from "
                                                   "core.warc_records where url = ?", [truncated])
    with open(settings.archive_path / warc_file, "rb") as handle:
        handle.seek(offset)
        from warcio.archiveiterator import ArchiveIterator

        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Truncated") == "length"


def test_retries_are_bounded(hostile_crawl) -> None:
    counts: dict[str, int] = {}
    for record in hostile_crawl["requests"]:
        if record.outlet_id == "hostile":
            counts[record.path] = counts.get(record.path, 0) + 1
    assert counts["/news/always-500"] == 3  # first try + RETRY_TIMES
    assert counts["/news/flaky-then-ok"] == 3  # two 503s, then 200
    assert counts["/news/rate-limited"] == 3
    assert counts["/feeds/laughs.xml"] == 1


# -- politeness on scripted hosts --------------------------------------------------------------


def _source(source_id: str, site, sitemap_path: str = "/sitemap.xml") -> str:
    return (f'[[sources]]\nid = "{source_id}"\nname = "{source_id}"\nhomepage = "{site.base}/"\n'
            f'country = "GB"\nlanguage = "en"\nkind = "outlet"\n'
            f'sitemaps = ["{site.url(sitemap_path)}"]\n')


def _articles(site, prefix: str, n: int, route_for) -> list[str]:
    paths = [f"/{prefix}/2026/03/0{i + 1}/story-about-the-chip-race-{i}" for i in range(n)]
    for i, path in enumerate(paths):
        site.routes[path] = route_for(i)
    site.routes["/sitemap.xml"] = minisite.Page(
        minisite.sitemap([(site.url(p), "2026-03-02") for p in paths]), "application/xml")
    return paths


def test_politeness_crawl_delay_retry_after_and_failing_hosts(tmp_path: Path) -> None:
    with ExitStack() as stack:
        delayed, waiting, failing, away = (
            stack.enter_context(minisite.MiniSite(host=f"127.0.0.{n}")) for n in (31, 32, 33, 34))
        delayed.routes["/robots.txt"] = minisite.Page(b"User-agent: *\nCrawl-delay: 0.5\n",
                                                      "text/plain")
        delayed_paths = _articles(delayed, "a", 4,
                                  lambda i: minisite.Page(minisite.article_html(f"A{i}")))
        waiting_paths = _articles(waiting, "b", 1, lambda i: minisite.sequence(
            minisite.Page(b"slow down", "text/plain", 429, {"Retry-After": "2"}),
            minisite.Page(minisite.article_html("B"))))
        failing_paths = _articles(failing, "c", 6,
                                  lambda i: minisite.Page(b"boom", "text/plain", 500))
        away_paths = _articles(away, "d", 1, lambda i: minisite.Page(
            b"come back tomorrow", "text/plain", 429, {"Retry-After": "86400"}))
        sources = tmp_path / "sources.toml"
        sources.write_text("\n".join(_source(name, site) for name, site in (
            ("delayed", delayed), ("waiting", waiting), ("failing", failing), ("away", away))))
        # AutoThrottle on, starting fast: the Crawl-delay must still hold as its floor.
        settings = Settings(workdir=tmp_path, crawl=replace(
            HOSTILE, autothrottle=True, concurrent_requests_per_domain=1, timeout_seconds=5.0))
        summary = run_crawl(settings, sources_path=sources, timeout=180, scrapy_overrides={
            **OVERRIDES, "AUTOTHROTTLE_START_DELAY": 0.01, "FRAMEWATCH_MAX_RETRY_AFTER": 10,
            "FRAMEWATCH_HOST_MAX_FAILURES": 3})
    status = dict(query(settings.db_path, "select url, status || ': ' || coalesce(reason, '') "
                                          "from core.fetch_log where run_id = ?", [summary.run_id]))

    times = sorted(t for p in ["/sitemap.xml", *delayed_paths] for t in delayed.times_for(p))
    assert len(times) == 5
    # Crawl-delay: 0.5 (AutoThrottle alone would go down to ~0.01 s). Scrapy spaces the starts
    # of downloads; the server notes arrivals with thread-scheduling noise on a busy machine,
    # which shortens one gap by what it adds to the next: judge spans, not single gaps.
    assert (times[-1] - times[0]) / (len(times) - 1) >= 0.45, times
    assert all(c - a >= 0.85 for a, _, c in zip(times, times[1:], times[2:], strict=False)), times

    (first, second) = waiting.times_for(waiting_paths[0])
    assert second - first >= 1.8  # Retry-After: 2 (without it: a few ms)
    assert status[waiting.url(waiting_paths[0])].startswith("new")

    outcomes = [status[failing.url(p)] for p in failing_paths]
    assert sum(o.startswith("server_error") for o in outcomes) == 3
    assert sum(o.startswith("error: skipped") for o in outcomes) == 3
    assert sum(len(failing.requests_for(p)) for p in failing_paths) < 6 * 3

    assert away.requests_for(away_paths[0]) == [429]  # not retried: the wait is too long
    assert status[away.url(away_paths[0])].startswith("rate_limited: HTTP 429; Retry-After 86400s")


# -- listings as real outlets write them ----------------------------------------------------------


def test_bare_ampersands_in_a_feed_and_a_sitemap_lose_no_link(tmp_path: Path) -> None:
    """`?utm_source=feed&utm_medium=rss` unescaped in every link: a strict XML parser rejects
    both listings and finds nothing; every article must still be found, and the repair logged."""
    with minisite.MiniSite() as site:
        feed_paths = [f"/news/2026/03/0{i % 9 + 1}/feed-story-about-chips-{i}" for i in range(12)]
        sitemap_paths = [f"/news/2026/03/0{i % 9 + 1}/sitemap-story-about-chips-{i}"
                         for i in range(12)]
        for path in feed_paths + sitemap_paths:
            site.routes[path] = minisite.Page(minisite.article_html(path.rsplit("/", 1)[-1]))
        site.routes["/robots.txt"] = minisite.Page(b"User-agent: *\nAllow: /\n", "text/plain")
        items = "".join(
            f"<item><title>Story {i} & more</title><link>{site.url(p)}?utm_source=feed&utm_medium=rss"
            f"</link><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate></item>"
            for i, p in enumerate(feed_paths))
        site.routes["/feed.xml"] = minisite.Page(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Chips & Co</title>{items}'
            f"</channel></rss>".encode(), "application/rss+xml")
        urls = "".join(f"<url><loc>{site.url(p)}?utm_source=sitemap&utm_medium=xml</loc>"
                       f"<lastmod>2026-03-02</lastmod></url>" for p in sitemap_paths)
        site.routes["/sitemap.xml"] = minisite.Page(
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>".encode(), "application/xml")
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[sources]]\nid = "amp"\nname = "Ampersand Daily"\nhomepage = "{site.base}/"\n'
            f'country = "GB"\nlanguage = "en"\nkind = "outlet"\nfeeds = ["{site.url("/feed.xml")}"]\n'
            f'sitemaps = ["{site.url("/sitemap.xml")}"]\n', encoding="utf-8")
        settings = Settings(workdir=tmp_path, crawl=HOSTILE)
        summary = run_crawl(settings, sources_path=sources, timeout=120, scrapy_overrides=OVERRIDES)
        requested = {path for _, path, _, _ in site.log}
    assert set(feed_paths + sitemap_paths) <= requested
    stored = {url for (url,) in query(settings.db_path, "select url from core.pages")}
    assert stored == {site.url(p) for p in feed_paths + sitemap_paths}
    listings = dict(query(settings.db_path, "select url, status || ': ' || reason from "
                                            "core.fetch_log where run_id = ? and kind <> 'article'"
                                            " and kind <> 'robots'", [summary.run_id]))
    assert listings[site.url("/feed.xml")] == ("new: 12 entries (rss); "
                                               "repaired 25 bare '&' escaped")
    assert listings[site.url("/sitemap.xml")] == ("new: 12 entries (sitemap); "
                                                  "repaired 12 bare '&' escaped")
    titles = {t for (t,) in query(settings.db_path, "select listing_title from core.discovered")}
    assert "Story 3 & more" in titles
    assert "repaired 25 bare '&' escaped" in summary.log_path.read_text(encoding="utf-8")


# -- failed pages across runs ---------------------------------------------------------------------


@pytest.mark.slow
def test_failed_pages_back_off_across_runs_then_are_given_up(tmp_path: Path) -> None:
    """A page that times out and one that answers 500 are not fetched again by a re-crawl soon
    after: the wait doubles with each failed run, and after three they are given up. Time is
    moved on between runs by moving the fetch log back."""
    with minisite.MiniSite() as site:
        good = [f"/news/2026/03/0{i}/a-good-story-about-chips-{i}" for i in (1, 2, 3)]
        slow, broken = "/news/2026/03/04/a-story-that-never-loads", "/news/2026/03/05/always-500"
        for path in good:
            site.routes[path] = minisite.Page(minisite.article_html(path.rsplit("/", 1)[-1]))
        site.routes[slow] = minisite.slow(4.0)
        site.routes[broken] = minisite.Page(b"<html>boom</html>", "text/html", 500)
        site.routes["/robots.txt"] = minisite.Page(b"User-agent: *\nAllow: /\n", "text/plain")
        site.routes["/sitemap.xml"] = minisite.Page(minisite.sitemap(
            [(site.url(p), "2026-03-02") for p in [*good, slow, broken]]), "application/xml")
        sources = tmp_path / "sources.toml"
        sources.write_text(_source("dead", site), encoding="utf-8")
        settings = Settings(workdir=tmp_path, crawl=replace(
            HOSTILE, retry_backoff_hours=1.0, retry_give_up_after=3))

        def crawl() -> tuple[dict[str, str], dict[str, int], tuple]:
            started = time.monotonic()
            summary = run_crawl(settings, sources_path=sources, timeout=120,
                                scrapy_overrides=OVERRIDES)
            status = dict(query(settings.db_path, "select url, status || ': ' || coalesce(reason, "
                                "'') from core.fetch_log where run_id = ?", [summary.run_id]))
            requested: dict[str, int] = {}
            # by arrival time: the slow page logs a request when it answers, after its crawl
            for _, path, _, arrived in list(site.log):
                if arrived >= started:
                    requested[path] = requested.get(path, 0) + 1
            health = query(settings.db_path, "select urls_failed, urls_backing_off, urls_given_up, "
                           "health from source_health where run_id = ?", [summary.run_id])[0]
            return {p: status[site.url(p)] for p in (slow, broken)}, requested, health

        def hours_pass(hours: float) -> None:
            con = duckdb.connect(str(settings.db_path))
            try:
                con.execute("update core.fetch_log set fetched_at = fetched_at - "
                            f"interval {int(hours * 60)} minute")
            finally:
                con.close()

        first, requested, health = crawl()
        assert first[slow].startswith("timeout") and first[broken].startswith("server_error")
        assert requested[slow] >= 1 and requested[broken] == 3  # the try and two retries
        assert health == (2, 0, 0, "degraded")

        again, requested, health = crawl()  # at once: neither is due
        assert slow not in requested and broken not in requested
        assert again[slow].startswith("backing_off: failed 1 run in a row (last timeout at ")
        assert "next try after" in again[broken]
        assert health == (0, 2, 0, "ok")

        hours_pass(1.5)  # past the 1 h wait after one failure: both are tried, and fail again
        third, requested, _ = crawl()
        assert third[slow].startswith("timeout") and requested[broken] == 3

        hours_pass(1.5)  # two failures: the wait has doubled to 2 h
        fourth, requested, _ = crawl()
        assert fourth[broken].startswith("backing_off: failed 2 runs in a row")
        assert slow not in requested and broken not in requested

        hours_pass(1.0)
        fifth, requested, _ = crawl()
        assert fifth[broken].startswith("server_error") and requested[slow] >= 1

        hours_pass(1000)  # three failed runs: given up, however long it has been
        last, requested, health = crawl()
        assert last[slow].startswith("given_up: failed 3 runs in a row (last timeout")
        assert last[broken].endswith("not tried again")
        assert slow not in requested and broken not in requested
        assert health == (0, 0, 2, "ok")
    # the good pages were fetched once: later runs met a 304 sitemap, and the failed pages
    # came back from the backlog of pages discovered but never stored
    for path in good:
        assert site.requests_for(path) == [200]
