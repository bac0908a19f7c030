"""End-to-end crawls of the demo news site: discovery, identity, archive, accounting, re-crawl."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from fixtures.warehouse import query

from pipeline.archive import read_record, sha256_hex
from pipeline.demo_site import DemoSite, build_corpus
from pipeline.errors import SeedError
from pipeline.settings import CrawlSettings, Settings
from pipeline.stages.crawl import CrawlError, run_crawl
from pipeline.urls import canonical_url
from spiders.items import STATUSES
from warehouse.queries import named_queries

pytestmark = pytest.mark.slow  # Scrapy crawls in subprocesses

FIXTURES = Path(__file__).parent / "fixtures" / "crawl"
_spec = importlib.util.spec_from_file_location("crawl_minisite", FIXTURES / "minisite.py")
minisite = importlib.util.module_from_spec(_spec)
sys.modules["crawl_minisite"] = minisite
_spec.loader.exec_module(minisite)

FAST = CrawlSettings(download_delay=0.0, autothrottle=False, timeout_seconds=10.0,
                     concurrent_requests_per_domain=8, log_level="INFO")


def fast_settings(workdir: Path, **crawl: object) -> Settings:
    return Settings(workdir=workdir, crawl=replace(FAST, **crawl))


@pytest.fixture(scope="module")
def demo_crawls(tmp_path_factory: pytest.TempPathFactory):
    """Crawl the small demo site twice (the second time nothing has changed)."""
    workdir = tmp_path_factory.mktemp("crawl-demo")
    corpus = build_corpus(seed=7, scale="small")
    with DemoSite(corpus) as site:
        sources = site.write_sources_toml(workdir / "sources.toml")
        settings = fast_settings(workdir)
        first = run_crawl(settings, sources_path=sources, timeout=240)
        first_requests = list(site.request_log)
        second = run_crawl(settings, sources_path=sources, timeout=240)
        second_requests = site.request_log[len(first_requests):]
        yield {"settings": settings, "truth": site.truth(), "first": first, "second": second,
               "first_requests": first_requests, "second_requests": second_requests,
               "db": settings.db_path, "sources": sources}


def test_first_crawl_stores_every_article_once(demo_crawls) -> None:
    truth, first = demo_crawls["truth"], demo_crawls["first"]
    assert first.status == "finished"
    pages = query(demo_crawls["db"], "select canonical_url, url from core.pages")
    expected = {article["url"] for article in truth["articles"]}
    assert {url for _, url in pages} == expected
    assert {canonical for canonical, _ in pages} == {canonical_url(url) for url in expected}
    assert first.by_kind["article"]["new"] == len(expected)


def test_every_url_gets_exactly_one_known_status(demo_crawls) -> None:
    run_id = demo_crawls["first"].run_id
    rows = query(demo_crawls["db"], "select url, status, kind from core.fetch_log where run_id = ?",
                 [run_id])
    urls = [url for url, _, _ in rows]
    assert len(urls) == len(set(urls))
    assert {status for _, status, _ in rows} <= STATUSES
    assert {kind for _, _, kind in rows} == {"robots", "feed", "sitemap", "section", "article"}
    assert sum(demo_crawls["first"].by_status.values()) == len(rows)


def test_summary_is_what_the_warehouse_holds_and_no_job_files_stay(demo_crawls) -> None:
    for run in (demo_crawls["first"], demo_crawls["second"]):
        by_source: dict[str, dict[str, int]] = {}
        totals = query(demo_crawls["db"], named_queries("crawl")["run_totals"], [run.run_id])
        for source_id, _, status, count in totals:
            per_source = by_source.setdefault(source_id, {})
            per_source[status] = per_source.get(status, 0) + count
        assert run.by_source == by_source
    logs = demo_crawls["settings"].workdir / "logs"
    assert sorted(path.suffix for path in logs.iterdir()) == [".log", ".log"]


def test_url_variants_end_as_duplicates_of_one_page(demo_crawls) -> None:
    truth = demo_crawls["truth"]
    run_id = demo_crawls["first"].run_id
    status = dict(query(demo_crawls["db"], "select url, status from core.fetch_log "
                                           "where run_id = ?", [run_id]))
    pages = {url for (url,) in query(demo_crawls["db"], "select url from core.pages")}
    checked = Counter()
    for article in truth["articles"]:
        base = article["url"].removesuffix(article["path"])
        for path in [*article["variant_paths"], article["legacy_path"]]:
            if path is None:
                continue
            variant = base + path
            assert variant not in pages
            if variant in status:  # the variant was linked from a page the crawl read
                checked[status[variant]] += 1
                assert status[variant] == "duplicate", variant
    assert checked["duplicate"] > 0


def test_archive_index_points_at_complete_readable_records(demo_crawls) -> None:
    db = demo_crawls["db"]
    archive = demo_crawls["settings"].archive_path
    rows = query(db, "select w.record_id, w.url, w.warc_file, w.warc_offset, w.http_status, "
                     "p.content_sha256 from core.warc_records w "
                     "left join core.pages p on p.warc_record_id = w.record_id")
    assert rows
    assert not list(archive.rglob("*.open"))  # every file was closed and named
    for _, url, warc_file, offset, status, page_sha in rows:
        read_url, _, body = read_record(archive, warc_file, offset)
        assert read_url == url
        assert status in (200, 301, 302, 304, 404)
        if page_sha is not None:
            assert sha256_hex(body) == page_sha
            assert b"<html" in body.lower()
    page_records = query(db, "select count(*) from core.pages p join core.warc_records w "
                             "on w.record_id = p.warc_record_id")
    assert page_records[0][0] == len(demo_crawls["truth"]["articles"])


def test_listing_titles_and_dates_are_kept(demo_crawls) -> None:
    truth = {canonical_url(a["url"]): a for a in demo_crawls["truth"]["articles"]}
    rows = query(demo_crawls["db"], "select canonical_url, discovered_via, listing_title, "
                                    "listing_published from core.discovered")
    vias = {via for _, via, _, _ in rows}
    assert "rss" in vias and vias <= {"rss", "atom", "sitemap", "news_sitemap", "section"}
    assert {canonical for canonical, _, _, _ in rows} >= set(truth)
    titled = [(truth[c], title, published) for c, via, title, published in rows
              if c in truth and via in ("rss", "atom", "news_sitemap") and title]
    assert len(titled) >= len(truth) // 2
    for article, title, published in titled:
        assert title == article["title"]
        assert published is not None


def test_robots_disallowed_paths_are_never_requested(demo_crawls) -> None:
    denied = {(d["outlet_id"], d["path"]) for d in demo_crawls["truth"]["robots_denied"]}
    requested = {(r.outlet_id, r.path) for r in demo_crawls["first_requests"]}
    assert denied and not denied & requested
    assert all(r.path == "/robots.txt" for r in demo_crawls["first_requests"][:1])


def test_recrawl_of_unchanged_site_fetches_only_robots_and_listings(demo_crawls) -> None:
    second = demo_crawls["second"]
    assert second.status == "finished"
    article_paths = {a["path"] for a in demo_crawls["truth"]["articles"]}
    requested = demo_crawls["second_requests"]
    assert requested
    assert not {r.path for r in requested} & article_paths
    assert not second.by_kind.get("article")  # nothing listed anew, nothing re-fetched
    listings = [r for r in requested if r.path != "/robots.txt"]
    assert listings and all(r.status == 304 for r in listings)
    assert set(second.by_status) <= {"not_modified", "unchanged"}


def test_runs_are_recorded_and_views_read_them(demo_crawls) -> None:
    db = demo_crawls["db"]
    runs = dict(query(db, "select run_id, status from crawl_runs"))
    assert runs == {demo_crawls["first"].run_id: "finished", demo_crawls["second"].run_id: "finished"}
    health = query(db, "select source_id, health from source_health where run_id = ?",
                   [demo_crawls["first"].run_id])
    assert health and {h for _, h in health} == {"ok"}
    sources = {s for (s,) in query(db, "select source_id from sources")}
    assert sources == {o["id"] for o in demo_crawls["truth"]["outlets"]}


def test_bad_seeds_fail_before_crawling(tmp_path: Path) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[sources]]\nid = "Bad Id"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(SeedError, match="sources"):
        run_crawl(fast_settings(tmp_path), sources_path=bad)
    assert not (tmp_path / "framewatch.duckdb").exists()


def test_a_crawl_that_cannot_start_reports_the_subprocess_error(tmp_path: Path, demo_crawls) -> None:
    settings = fast_settings(tmp_path)
    holder = duckdb.connect(str(settings.db_path))  # another process... here: this one, writing
    try:
        with pytest.raises(CrawlError) as caught:
            run_crawl(settings, sources_path=demo_crawls["sources"], timeout=60,
                      scrapy_overrides={"FRAMEWATCH_DB_WAIT_SECONDS": 0.2})
    finally:
        holder.close()
    assert "exited with status 1" in str(caught.value)
    assert "in use by another framewatch process" in caught.value.log_tail


# -- incremental re-crawls with changes (a tiny scripted site) ---------------------------------


def _sources(path: Path, base: str, **extra: str) -> Path:
    lines = [f'{k} = {v}' for k, v in extra.items()]
    path.write_text(
        "[[sources]]\n"
        f'id = "mini"\nname = "Mini"\nhomepage = "{base}/"\ncountry = "GB"\nlanguage = "en"\n'
        f'kind = "outlet"\nsitemaps = ["{base}/sitemap.xml"]\n' + "\n".join(lines) + "\n",
        encoding="utf-8")
    return path


def test_recrawl_refetches_only_articles_whose_listing_says_they_changed(tmp_path: Path) -> None:
    site = minisite.MiniSite()
    paths = [f"/news/2026/03/0{i}/chip-race-story-number-{i}" for i in (1, 2, 3)]
    with site:
        for i, path in enumerate(paths):
            site.routes[path] = minisite.Page(minisite.article_html(f"Story {i}"))
        site.routes["/robots.txt"] = minisite.Page(b"User-agent: *\nAllow: /\n", "text/plain")
        site.routes["/sitemap.xml"] = minisite.Page(
            minisite.sitemap([(site.url(p), "2026-03-02") for p in paths]), "application/xml")
        sources = _sources(tmp_path / "sources.toml", site.base)
        settings = fast_settings(tmp_path)
        first = run_crawl(settings, sources_path=sources, timeout=120)
        assert first.by_kind["article"] == {"new": 3}
        # story 1 is edited, story 2 is re-listed with a new lastmod but the same text
        site.routes[paths[0]] = minisite.Page(minisite.article_html("Story 0, corrected"))
        site.routes["/sitemap.xml"] = minisite.Page(minisite.sitemap([
            (site.url(paths[0]), "2099-01-01"), (site.url(paths[1]), "2099-01-01"),
            (site.url(paths[2]), "2026-03-02")]), "application/xml")
        second = run_crawl(settings, sources_path=sources, timeout=120)
    status = dict(query(settings.db_path, "select url, status from core.fetch_log "
                                          "where run_id = ?", [second.run_id]))
    assert status[site.url(paths[0])] == "changed"
    assert status[site.url(paths[1])] == "not_modified"  # conditional GET answered 304
    assert status[site.url(paths[2])] == "unchanged"
    assert site.requests_for(paths[2]) == [200]  # not fetched again
    assert site.requests_for(paths[1]) == [200, 304]
    (sha,) = query(settings.db_path, "select content_sha256 from core.pages "
                                     "where url = ?", [site.url(paths[0])])[0]
    assert sha == sha256_hex(minisite.article_html("Story 0, corrected"))


def test_source_limits_allow_deny_since_and_max_pages(tmp_path: Path) -> None:
    site = minisite.MiniSite()
    paths = [f"/news/2026/03/0{i}/chip-race-story-number-{i}" for i in range(1, 7)]
    with site:
        for i, path in enumerate(paths):
            site.routes[path] = minisite.Page(minisite.article_html(f"Story {i}"))
        site.routes["/video/2026/03/05/a-video-about-chips-here"] = minisite.Page(b"<html></html>")
        site.routes["/robots.txt"] = minisite.Page(b"", "text/plain")
        listed = [(site.url(p), "2026-03-02") for p in paths[:4]]
        listed += [(site.url(paths[4]), "2025-06-01"),
                   (site.url("/video/2026/03/05/a-video-about-chips-here"), "2026-03-02")]
        site.routes["/sitemap.xml"] = minisite.Page(minisite.sitemap(listed), "application/xml")
        sources = _sources(tmp_path / "sources.toml", site.base, deny='["/video/"]',
                           since='"2026-01-01"', max_pages="3")
        summary = run_crawl(fast_settings(tmp_path), sources_path=sources, timeout=120)
    reasons = dict(query(fast_settings(tmp_path).db_path,
                         "select url, reason from core.fetch_log where status = 'filtered'"))
    assert summary.by_kind["article"] == {"new": 3, "filtered": 3}
    assert "allow/deny" in reasons[site.url("/video/2026/03/05/a-video-about-chips-here")]
    assert "before since" in reasons[site.url(paths[4])]
    assert sum("max_pages (3)" in r for r in reasons.values()) == 1
