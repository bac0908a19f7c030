"""Benchmark: crawl + archive throughput against the demo site, then a re-crawl of it unchanged.

Run by hand (not collected by pytest):

    PYTHONPATH=. .venv/bin/python tests/bench/bench_crawl.py [--articles 5000] [--outlets 8]

Serves the "bench" demo corpus (8 hosts, 5,000 articles) on loopback in this process, crawls it
with politeness delays at zero (no download delay, no AutoThrottle, Crawl-delay ignored), and
reports pages/s, the crawl subprocess's peak memory and CPU time, and the unchanged re-crawl's
time (whole subprocess wall time, measured like the first crawl's) as a fraction of the first.
Targets: >= 200 pages/s; re-crawl < 5 % of the first crawl.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from pipeline.demo_site import DemoSite, build_corpus
from pipeline.settings import CrawlSettings, Settings
from pipeline.stages.crawl import run_crawl

logger = logging.getLogger("bench_crawl")

BENCH_CRAWL = CrawlSettings(download_delay=0.0, autothrottle=False, timeout_seconds=30.0,
                            concurrent_requests=32, concurrent_requests_per_domain=8,
                            log_level="WARNING")
OVERRIDES = {"FRAMEWATCH_OBEY_CRAWL_DELAY": False, "FRAMEWATCH_STORE_BATCH": 1000}


def fetch_window(db: Path, run_id: str) -> tuple[int, int, float]:
    """A crawl run's article pages stored, responses archived, and seconds from its first fetch
    to its last (the fetch window: the run's start-up and shutdown left out)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        pages, fetched, seconds = con.execute(
            "select count(*) filter (where kind = 'article' and status in ('new', 'changed')), "
            "count(*) filter (where warc_record_id is not null), "
            "date_diff('millisecond', min(fetched_at), max(fetched_at)) / 1000.0 "
            "from core.fetch_log where run_id = ?", [run_id]).fetchone()
    finally:
        con.close()
    return pages, fetched, seconds or 0.0


def bench_arguments(description: str) -> argparse.Namespace:
    """The crawl benchmarks' command line (the demo corpus's size, a --workdir to keep), with
    progress logged as plain lines."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--outlets", type=int, default=8)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the warehouses and archives here (default: a scratch folder)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return args


def main() -> None:
    args = bench_arguments(__doc__.splitlines()[0])
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    try:
        _bench(args, workdir)
    finally:
        if args.workdir is None:  # a scratch folder of archives: a given --workdir is kept
            shutil.rmtree(workdir, ignore_errors=True)


def _bench(args: argparse.Namespace, workdir: Path) -> None:
    corpus = build_corpus(seed=7, scale="bench", outlets=args.outlets, articles=args.articles)
    with DemoSite(corpus) as site:
        sources = site.write_sources_toml(workdir / "sources.toml")
        settings = Settings(workdir=workdir, crawl=BENCH_CRAWL)
        started = time.monotonic()
        first = run_crawl(settings, sources_path=sources, scrapy_overrides=OVERRIDES)
        first_wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mib = usage.ru_maxrss / 1024
        first_cpu = usage.ru_utime + usage.ru_stime
        first_requests = len(site.request_log)
        started = time.monotonic()
        second = run_crawl(settings, sources_path=sources, scrapy_overrides=OVERRIDES)
        second_wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        second_cpu = usage.ru_utime + usage.ru_stime - first_cpu
        second_requests = len(site.request_log) - first_requests
    pages, fetched, window = fetch_window(settings.db_path, first.run_id)
    archive_bytes = sum(p.stat().st_size for p in settings.archive_path.rglob("*.warc.gz"))
    report = {
        "hosts": len(site.base_urls), "articles": len(corpus.articles),
        "first_crawl": {"wall_seconds": round(first_wall, 2), "article_pages": pages,
                        "responses_archived": fetched, "fetch_window_seconds": window,
                        "pages_per_second_wall": round(pages / first_wall, 1),
                        "pages_per_second_fetching": round(pages / window, 1) if window else None,
                        "requests": first_requests, "by_status": first.by_status,
                        "archive_mib": round(archive_bytes / 2**20, 1),
                        "crawler_cpu_seconds": round(first_cpu, 1),
                        "peak_rss_mib": round(peak_mib, 1)},
        "recrawl_unchanged": {"wall_seconds": round(second_wall, 2), "requests": second_requests,
                              "by_status": second.by_status,
                              "crawler_cpu_seconds": round(second_cpu, 2),
                              "fraction_of_first": round(second_wall / first_wall, 4)},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
