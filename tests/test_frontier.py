"""The shared Redis crawl frontier: crawler processes split one crawl of the local news site.

Real parts only: a password-protected redis-server on loopback, the demo site (whose own request
log says what was fetched), `python -m spiders` subprocesses writing one DuckDB warehouse.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from fixtures.warehouse import query

from pipeline.demo_site import DemoSite, build_corpus
from pipeline.frontier import CrawlKeys, FrontierError, connect_redis
from pipeline.settings import CrawlSettings, Settings
from pipeline.stages.crawl import (
    CrawlError,
    join_crawl,
    new_run_id,
    prepare_frontier,
    run_crawl,
    start_crawl,
)
from warehouse.db import connect

# The PostgreSQL fixtures (postgres_server, lake_location) of the DuckLake warehouse, by name.
pytest_plugins = ["fixtures.postgres"]

# A small delay per host stretches the crawl over several seconds, so both crawlers take part
# and a kill lands mid-crawl; a short lease lets a dead crawler's requests return quickly.
PACED = CrawlSettings(download_delay=0.05, autothrottle=False, timeout_seconds=10.0,
                      concurrent_requests_per_domain=1, log_level="INFO",
                      frontier="redis", frontier_lease_seconds=4.0)
# Small batches: rows reach the warehouse (and requests are acknowledged) while the crawl goes on.
OVERRIDES = {"FRAMEWATCH_STORE_BATCH": 10, "FRAMEWATCH_STORE_FLUSH_SECONDS": 0.3,
             "DOWNLOAD_DELAY_JITTER": 0.0}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    with DemoSite(build_corpus(seed=7, scale="small")) as site:
        sources = site.write_sources_toml(tmp_path_factory.mktemp("seeds") / "sources.toml")
        yield site, sources


def _settings(tmp_path: Path, redis_url: str) -> Settings:
    return Settings(workdir=tmp_path, crawl=replace(PACED, redis_url=redis_url))


def _article_fetches(site: DemoSite, article_paths: set[str], since: int = 0) -> Counter[str]:
    return Counter(r.path for r in list(site.request_log)[since:]
                   if r.method == "GET" and r.path in article_paths)


def _stored_pages(settings: Settings) -> list[tuple[str, str]]:
    """(canonical URL, the crawler's WARC folder) of every stored page."""
    return query(settings.db_path, "select p.canonical_url, split_part(w.warc_file, '/', 1) "
                                   "from core.pages p join core.warc_records w "
                                   "on w.record_id = p.warc_record_id")


@pytest.mark.slow
def test_two_crawlers_split_one_crawl_and_fetch_every_article_once(
        tmp_path: Path, demo, redis_server) -> None:
    site, sources = demo
    article_paths = {a.path for a in site.corpus.articles}
    settings = _settings(tmp_path, redis_server.url)
    since = len(site.request_log)

    summary = run_crawl(settings, sources_path=sources, timeout=240, processes=2,
                        scrapy_overrides=OVERRIDES)

    assert summary.status == "finished"
    fetches = _article_fetches(site, article_paths, since)
    assert set(fetches) == article_paths  # every article fetched ...
    assert max(fetches.values()) == 1  # ... exactly once, by the site's own log
    pages = _stored_pages(settings)
    assert len(pages) == len({url for url, _ in pages}) == len(article_paths)
    by_crawler = Counter(folder for _, folder in pages)
    assert len(by_crawler) == 2, f"one crawler did all the work: {by_crawler}"
    assert all(folder.startswith(f"{summary.run_id}-c") for folder in by_crawler)
    # One status per URL for the run, and the run closed once, by the last crawler out.
    rows = query(settings.db_path, "select url from core.fetch_log where run_id = ?",
                 [summary.run_id])
    assert len(rows) == len(set(rows))
    assert summary.articles_fetched == len(article_paths)
    assert query(settings.db_path, "select status from core.crawl_runs")[0][0] == "finished"
    assert not list(settings.archive_path.rglob("*.open"))
    # Nothing of the crawl is left in flight; its keys expire.
    client = redis.Redis.from_url(redis_server.url)
    keys = CrawlKeys(summary.run_id)
    assert client.zcard(keys.requests) == 0
    assert not list(client.scan_iter(f"{keys.prefix}:inflight:*"))
    assert 0 < client.ttl(keys.dupefilter) <= 72 * 3600


@pytest.mark.slow
def test_a_killed_crawler_loses_nothing_and_a_new_one_takes_over(
        tmp_path: Path, demo, redis_server) -> None:
    site, sources = demo
    article_paths = {a.path for a in site.corpus.articles}
    settings = _settings(tmp_path, redis_server.url)
    run_id = new_run_id()
    assert prepare_frontier(settings, run_id)
    since = len(site.request_log)
    doomed = start_crawl(settings, run_id=run_id, sources_path=sources, scrapy_overrides=OVERRIDES)
    survivor = start_crawl(settings, run_id=run_id, sources_path=sources,
                           scrapy_overrides=OVERRIDES)
    try:
        _kill_test_body(settings, site, sources, article_paths, run_id, since, doomed, survivor)
    finally:
        for handle in (doomed, survivor):  # a failed assertion leaves no crawler running
            if handle.process.poll() is None:
                handle.process.kill()
                handle.process.wait()


def _stored_by(settings: Settings, run_id: str, crawler_id: str) -> set[str]:
    """URLs of the pages a crawler has committed (read while the others write)."""
    con = connect(settings.db_path, read_only=True, wait_seconds=60)
    try:
        return {url for (url,) in con.execute(
            "select p.url from core.pages p join core.warc_records w "
            "on w.record_id = p.warc_record_id where w.warc_file like ?",
            [f"{run_id}-{crawler_id}/%"]).fetchall()}
    finally:
        con.close()


def _kill_test_body(settings, site, sources, article_paths, run_id, since, doomed,
                    survivor) -> None:
    # Killed once it has committed a few pages (so that "already stored" means something),
    # while the crawl is still going.
    deadline = time.monotonic() + 120
    while len(_stored_by(settings, run_id, doomed.crawler_id)) < 3:
        assert doomed.process.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    doomed.kill()
    with pytest.raises(CrawlError, match="killed by signal 9"):
        doomed.wait(30)
    # What was committed when the crawler died must never be fetched again.
    stored_at_kill = _stored_by(settings, run_id, doomed.crawler_id)
    fetched_at_kill = _article_fetches(site, article_paths, since)
    assert stored_at_kill
    assert sum(fetched_at_kill.values()) < len(article_paths), "killed after the crawl's end"

    newcomer = join_crawl(settings, run_id, sources_path=sources, timeout=240)
    survivor.wait(240)

    # whichever of the two left last recorded the run's end
    assert newcomer.status in {"finished", "running"}
    fetches = _article_fetches(site, article_paths, since)
    assert set(fetches) == article_paths  # nothing lost
    refetched = {path for path, count in fetches.items() if count > 1}
    assert not {url for url in stored_at_kill if any(url.endswith(p) for p in refetched)}
    assert refetched <= set(fetched_at_kill)  # only what the dead crawler had in hand
    pages = _stored_pages(settings)
    assert len(pages) == len({url for url, _ in pages}) == len(article_paths)
    # the dead crawler's committed pages stayed; the others stored the rest (the newcomer may
    # find little left on a busy machine)
    assert {f"{run_id}-{doomed.crawler_id}", f"{run_id}-{survivor.crawler_id}"} <= {
        folder for _, folder in pages}
    assert not list(settings.archive_path.rglob("*.open"))  # the dead crawler's file recovered
    rows = query(settings.db_path, "select url from core.fetch_log where run_id = ?", [run_id])
    assert len(rows) == len(set(rows))
    assert query(settings.db_path, "select status from core.crawl_runs where run_id = ?",
                 [run_id])[0][0] == "finished"


@pytest.mark.parametrize("problem", ["unreachable", "wrong password", "no url", "bad frontier"])
def test_bad_frontier_settings_give_one_clear_error_and_write_nothing(
        tmp_path: Path, demo, redis_server, problem: str) -> None:
    _, sources = demo
    url = {"unreachable": f"redis://127.0.0.1:{redis_server.port + 1 if redis_server.port < 65535 else 1}/0",
           "wrong password": redis_server.url_with_password("not-the-password"),
           "no url": "", "bad frontier": redis_server.url}[problem]
    crawl = replace(PACED, redis_url=url, frontier="zookeeper" if problem == "bad frontier"
                    else "redis")
    settings = Settings(workdir=tmp_path / "w", crawl=crawl)
    with pytest.raises(FrontierError) as caught:
        run_crawl(settings, sources_path=sources, timeout=60)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("crawl.frontier:" if problem == "bad frontier" else "crawl.redis_url:")
    assert redis_server.password not in message
    assert not settings.db_path.exists() and not (tmp_path / "w").exists()


def test_joining_a_crawl_that_redis_does_not_know_is_refused(tmp_path: Path, demo,
                                                             redis_server) -> None:
    _, sources = demo
    settings = _settings(tmp_path, redis_server.url)
    with pytest.raises(FrontierError, match="no crawl 20990101T000000Z-000000"):
        join_crawl(settings, "20990101T000000Z-000000", sources_path=sources)
    assert not settings.db_path.exists()


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--processes", "2"], {}, 'crawl.frontier: several crawler processes need frontier = "redis"'),
    (["--processes", "2"], {"FRAMEWATCH_CRAWL__FRONTIER": "redis",
                            "FRAMEWATCH_CRAWL__REDIS_URL": "redis://:wrong@127.0.0.1:{port}/0"},
     "crawl.redis_url: Redis at redis://:***@127.0.0.1:{port}/0 refused the credentials"),
    (["--join", "20990101T000000Z-000000"], {"FRAMEWATCH_CRAWL__FRONTIER": "redis",
                                              "FRAMEWATCH_CRAWL__REDIS_URL": "{url}"},
     "crawl.redis_url: no crawl 20990101T000000Z-000000 on redis://:***@"),
])
def test_the_crawl_command_names_the_bad_setting_in_one_line(
        tmp_path: Path, demo, redis_server, args: list[str], env: dict[str, str],
        expected: str) -> None:
    import os
    import subprocess
    import sys

    _, sources = demo
    fill = {"port": redis_server.port, "url": redis_server.url}
    environ = {**os.environ, **{key: value.format(**fill) for key, value in env.items()}}
    workdir = tmp_path / "w"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "crawl", "--workdir", str(workdir), "--sources",
         str(sources), *args], capture_output=True, text=True, env=environ, timeout=120,
        check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected.format(**fill) in lines[0]
    assert redis_server.password not in result.stderr
    assert not workdir.exists()  # nothing written


def test_joining_from_settings_that_name_another_warehouse_is_refused(tmp_path: Path, demo,
                                                                     redis_server) -> None:
    _, sources = demo
    starter = _settings(tmp_path / "a", redis_server.url)
    run_id = new_run_id()
    assert prepare_frontier(starter, run_id)
    assert not prepare_frontier(starter, run_id)  # ready already: nothing copied twice
    elsewhere = _settings(tmp_path / "b", redis_server.url)
    with pytest.raises(FrontierError, match=rf"^warehouse: crawl {run_id} writes duckdb "):
        join_crawl(elsewhere, run_id, sources_path=sources)
    assert not elsewhere.db_path.exists()


def test_a_redirect_is_stopped_only_when_another_request_holds_its_target(redis_server) -> None:
    from scrapy import Request
    from scrapy.http import Response

    from spiders.frontier import SharedRedirectFilter, frontier_keys

    client = redis.Redis.from_url(redis_server.url)
    key = f"{CrawlKeys(new_run_id()).dupefilter}"
    middleware = SharedRedirectFilter(client, key)

    def article(url: str) -> Request:
        request = Request(url, meta={"fw": {"kind": "article", "url": url, "source": "s"}})
        fetch, canonical = frontier_keys(request)  # scheduled: it holds its story
        client.sadd(key, fetch, canonical)
        return request

    def redirect(request: Request, location: str) -> Response:
        return Response(request.url, status=301, headers={"Location": location}, request=request)

    # a trailing-slash redirect continues the request's own story: followed
    own = article("http://127.0.0.1:9/news/a-story")
    middleware.process_response(own, redirect(own, "/news/a-story/"))
    assert not own.meta.get("dont_redirect")
    # a short link to a story nobody holds: followed, and the story is now held
    short = article("http://127.0.0.1:9/s/1")
    middleware.process_response(short, redirect(short, "/news/b-story"))
    assert not short.meta.get("dont_redirect")
    # a second short link to that story: stopped, and answered as a duplicate by the spider
    again = article("http://127.0.0.1:9/s/2")
    middleware.process_response(again, redirect(again, "/news/b-story"))
    assert again.meta["dont_redirect"]
    assert again.meta["fw"]["redirect_claimed"] == "http://127.0.0.1:9/news/b-story"
    client.delete(key)
    client.close()


@pytest.mark.slow
def test_two_crawlers_write_one_ducklake_warehouse(tmp_path: Path, demo, redis_server,
                                                   lake_location) -> None:
    """What crawlers on several machines use: the many-writer warehouse, no shared file."""
    from pipeline.settings import WarehouseSettings

    site, sources = demo
    article_paths = {a.path for a in site.corpus.articles}
    settings = replace(_settings(tmp_path, redis_server.url), warehouse=WarehouseSettings(
        backend="ducklake", catalog_dsn=lake_location.catalog_dsn,
        data_path=lake_location.data_path))
    since = len(site.request_log)

    # Each batch opens the lake (extensions, the catalog): fewer, larger batches than above.
    summary = run_crawl(settings, sources_path=sources, timeout=300, processes=2,
                        scrapy_overrides={**OVERRIDES, "FRAMEWATCH_STORE_BATCH": 100,
                                          "FRAMEWATCH_STORE_FLUSH_SECONDS": 2.0})

    assert summary.status == "finished"
    fetches = _article_fetches(site, article_paths, since)
    assert set(fetches) == article_paths and max(fetches.values()) == 1
    assert not settings.db_path.exists()  # nothing went to a single file
    con = connect(lake_location, read_only=True)
    try:
        pages = con.execute("select p.canonical_url, split_part(w.warc_file, '/', 1) "
                            "from core.pages p join core.warc_records w "
                            "on w.record_id = p.warc_record_id").fetchall()
        rows = con.execute("select url from core.fetch_log where run_id = ?",
                           [summary.run_id]).fetchall()
        # Each duplicated URL's rows with the crawler (its WARC folder) that wrote them: the
        # failure message says who fetched what.
        twice = con.execute(
            "select f.url, f.kind, f.status, f.reason, split_part(w.warc_file, '/', 1) "
            "from core.fetch_log f left join core.warc_records w "
            "on w.record_id = f.warc_record_id where f.run_id = ? and f.url in "
            "(select url from core.fetch_log where run_id = ? group by url having count(*) > 1) "
            "order by f.url", [summary.run_id, summary.run_id]).fetchall()
        runs = con.execute("select status from core.crawl_runs where run_id = ?",
                           [summary.run_id]).fetchall()
        sources = con.execute("select source_id from core.sources").fetchall()
    finally:
        con.close()
    assert len(pages) == len({url for url, _ in pages}) == len(article_paths)
    assert len({folder for _, folder in pages}) == 2
    assert len(rows) == len(set(rows)), twice
    assert len(sources) == len(set(sources)) > 0
    assert runs == [("finished",)]


@pytest.mark.slow
def test_the_crawl_command_runs_two_crawlers_on_a_redis_frontier(tmp_path: Path, demo,
                                                                 redis_server) -> None:
    import json
    import os
    import subprocess
    import sys

    site, sources = demo
    article_paths = {a.path for a in site.corpus.articles}
    workdir = tmp_path / "w"
    environ = {**os.environ, "FRAMEWATCH_CRAWL__FRONTIER": "redis",
               "FRAMEWATCH_CRAWL__REDIS_URL": redis_server.url,
               "FRAMEWATCH_CRAWL__DOWNLOAD_DELAY": "0.05", "FRAMEWATCH_CRAWL__AUTOTHROTTLE": "false"}
    since = len(site.request_log)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "crawl", "--workdir", str(workdir), "--sources",
         str(sources), "--processes", "2"], capture_output=True, text=True, env=environ,
        timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished"
    assert summary["articles_fetched"] == len(article_paths)
    assert f"framewatch crawl --join {summary['run_id']}" in result.stderr
    fetches = _article_fetches(site, article_paths, since)
    assert set(fetches) == article_paths and max(fetches.values()) == 1
    db = workdir / "framewatch.duckdb"
    assert len(query(db, "select * from core.pages")) == len(article_paths)
    assert len(list((workdir / "logs").glob(f"crawl-{summary['run_id']}-c*.log"))) == 2


@pytest.mark.parametrize("password", ["not-the-password", None])
def test_a_refused_password_is_named_as_such(redis_server, password: str | None) -> None:
    url = (redis_server.url_with_password(password) if password
           else f"redis://{redis_server.host}:{redis_server.port}/0")
    with pytest.raises(FrontierError, match=r"^crawl.redis_url: Redis at redis://.*refused the "
                                            r"credentials") as caught:
        connect_redis(url)
    assert redis_server.password not in str(caught.value)


def test_a_url_is_written_by_the_crawler_that_claimed_it_until_that_crawler_is_gone(
        redis_server) -> None:
    """The owners hash: one writer per URL of a run (a lake keeps both of two concurrent
    inserts of one key), handed over only when the owner has left the crawl."""
    from spiders.frontier import claim_for

    client = connect_redis(redis_server.url)
    keys = CrawlKeys(new_run_id())
    url = "http://127.0.0.1:9/robots.txt"
    try:
        client.sadd(keys.crawlers, "a", "b")
        assert claim_for(client, keys, url, "a", 60)
        assert claim_for(client, keys, url, "a", 60)  # its own claim, again
        assert not claim_for(client, keys, url, "b", 60)
        assert 0 < client.ttl(keys.owners) <= 60  # expires with the crawl's other keys
        client.srem(keys.crawlers, "a")  # reclaimed as dead, or left after its last commit
        assert claim_for(client, keys, url, "b", 60)
        assert not claim_for(client, keys, url, "a", 60)  # b is in the crawl: b keeps it
        assert client.hget(keys.owners, url) == b"b"
    finally:
        client.delete(*keys.shared())
        client.close()
