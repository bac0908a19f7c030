"""Kill and resume: a crawl SIGKILLed mid-run, started again, ends with the same pages as an
uninterrupted crawl: nothing lost, nothing twice, no index row pointing at a torn record."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from fixtures.warehouse import query

from pipeline.archive import read_record, sha256_hex
from pipeline.demo_site import DemoSite, build_corpus
from pipeline.settings import CrawlSettings, Settings
from pipeline.stages.crawl import CrawlError, run_crawl, start_crawl

pytestmark = pytest.mark.slow  # kills and resumes crawl subprocesses

# A small delay per host stretches the crawl over a few seconds, so the kill lands mid-run.
PACED = CrawlSettings(download_delay=0.05, autothrottle=False, timeout_seconds=10.0,
                      concurrent_requests_per_domain=1, log_level="INFO")
# Small batches: rows reach the warehouse while the crawl is still going.
OVERRIDES = {"FRAMEWATCH_STORE_BATCH": 20, "FRAMEWATCH_STORE_FLUSH_SECONDS": 0.3,
             "DOWNLOAD_DELAY_JITTER": 0.0}


def _article_requests(site: DemoSite, article_paths: set[str]) -> int:
    return sum(1 for r in list(site.request_log) if r.path in article_paths)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    with DemoSite(build_corpus(seed=7, scale="small")) as site:
        sources = site.write_sources_toml(tmp_path_factory.mktemp("seeds") / "sources.toml")
        yield site, sources


def test_killed_crawl_resumes_to_the_same_pages(tmp_path: Path, demo) -> None:
    site, sources = demo
    article_paths = {a.path for a in site.corpus.articles}

    reference = Settings(workdir=tmp_path / "reference", crawl=PACED)
    run_crawl(reference, sources_path=sources, timeout=240, scrapy_overrides=OVERRIDES)
    expected = set(query(reference.db_path, "select canonical_url, content_sha256 from core.pages"))
    assert len(expected) == len(article_paths)

    settings = Settings(workdir=tmp_path / "killed", crawl=PACED)
    before = _article_requests(site, article_paths)
    handle = start_crawl(settings, sources_path=sources, scrapy_overrides=OVERRIDES)
    deadline = time.monotonic() + 120
    while _article_requests(site, article_paths) - before < len(article_paths) // 2:
        assert handle.process.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    handle.kill()
    with pytest.raises(CrawlError, match="killed by signal 9"):
        handle.wait(30)
    assert list(settings.archive_path.rglob("*.warc.gz.open"))  # killed with a file open
    (status,) = query(settings.db_path, "select status from core.crawl_runs where run_id = ?",
                      [handle.run_id])[0]
    assert status == "failed"
    stored_before = query(settings.db_path, "select count(*) from core.pages")[0][0]
    assert stored_before < len(article_paths)

    resumed = run_crawl(settings, run_id=handle.run_id, sources_path=sources, timeout=240,
                        scrapy_overrides=OVERRIDES)
    assert resumed.status == "finished"
    got = query(settings.db_path, "select canonical_url, content_sha256 from core.pages")
    assert len(got) == len(set(got)) and set(got) == expected

    # One status per URL across both attempts of the run; no URL fetched as new twice.
    rows = query(settings.db_path, "select url, status from core.fetch_log where run_id = ?",
                 [handle.run_id])
    assert len(rows) == len({url for url, _ in rows})
    # Every index row points at a complete record whose body is what the page row says.
    assert not list(settings.archive_path.rglob("*.open"))
    for url, warc_file, offset, sha in query(
            settings.db_path, "select p.url, w.warc_file, w.warc_offset, p.content_sha256 "
                              "from core.pages p join core.warc_records w "
                              "on w.record_id = p.warc_record_id"):
        archived_url, _, body = read_record(settings.archive_path, warc_file, offset)
        assert archived_url == url and sha256_hex(body) == sha
    for warc_file, offset in query(settings.db_path,
                                   "select warc_file, warc_offset from core.warc_records"):
        read_record(settings.archive_path, warc_file, offset)


@pytest.mark.slow
def test_a_run_left_running_by_a_dead_crawl_is_closed_by_the_next(tmp_path: Path, demo) -> None:
    """The crawl process and its parent both die (SIGKILL, nobody left to record the end): the
    run row says 'running' until the next crawl opens the warehouse and closes it."""
    site, sources = demo
    article_paths = {a.path for a in site.corpus.articles}
    settings = Settings(workdir=tmp_path, crawl=PACED)
    before = _article_requests(site, article_paths)
    handle = start_crawl(settings, sources_path=sources, scrapy_overrides=OVERRIDES)
    deadline = time.monotonic() + 120
    while _article_requests(site, article_paths) - before < 10:
        assert handle.process.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(handle.pid, signal.SIGKILL)
    handle.process.wait(30)  # reaped without CrawlHandle.wait: no parent left to mark it failed
    assert query(settings.db_path, "select status, finished_at from core.crawl_runs") == [
        ("running", None)]
    last_write = query(settings.db_path, "select max(fetched_at) from core.fetch_log")[0][0]

    after = run_crawl(settings, sources_path=sources, timeout=240, scrapy_overrides=OVERRIDES)
    rows = {run: (status, finished, message) for run, status, finished, message in query(
        settings.db_path, "select run_id, status, finished_at, message from crawl_runs")}
    status, finished, message = rows[handle.run_id]
    assert status == "interrupted"
    assert finished == last_write  # the last moment the dead crawl recorded anything
    assert f"closed by run {after.run_id}" in message
    assert rows[after.run_id][0] == "finished"
    log = after.log_path.read_text(encoding="utf-8")
    assert f"crawl run {handle.run_id} was left running" in log
