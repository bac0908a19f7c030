"""Benchmark: crawl pages/s with 1 and 2 crawler processes sharing a Redis frontier.

Run by hand (not collected by pytest):

    PYTHONPATH=. .venv/bin/python tests/bench/bench_crawl_redis.py [--articles 5000] [--outlets 8]

Serves the "bench" demo corpus on loopback in this process, starts a redis-server (Debian's
binary) on a free port, and crawls the corpus from scratch three times with politeness off (no
download delay, no AutoThrottle, Crawl-delay ignored), each time into a fresh warehouse: the
local frontier (one process, the default), then the Redis frontier with 1 and with 2 crawler
processes. Reports wall-clock pages/s (articles stored / whole run, start-up included), the
fetch window's pages/s, the crawler processes' CPU time per page (what sizes a deployment,
whatever else shares the machine) and how the articles split among the crawlers. All processes
share one machine, and so its cores, with the demo site.
"""

from __future__ import annotations

import json
import logging
import resource
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import duckdb

from pipeline.cluster.redis import start_redis, stop_redis
from pipeline.demo_site import DemoSite, build_corpus
from pipeline.settings import Settings
from pipeline.stages.crawl import run_crawl

# the same crawl settings as the single-process benchmark (run from tests/bench/, it is importable)
from bench_crawl import BENCH_CRAWL, OVERRIDES, bench_arguments, fetch_window  # isort: skip

logger = logging.getLogger("bench_crawl_redis")


def _measure(db: Path, run_id: str) -> dict:
    pages, _, window = fetch_window(db, run_id)
    con = duckdb.connect(str(db), read_only=True)
    try:
        # each crawler process writes its own WARC folder: the folders tell who fetched what
        folders = Counter(folder for (folder,) in con.execute(
            "select split_part(w.warc_file, '/', 1) from core.pages p join core.warc_records w "
            "on w.record_id = p.warc_record_id").fetchall())
    finally:
        con.close()
    return {"article_pages": pages, "fetch_window_seconds": window,
            "pages_by_crawler": sorted(folders.values(), reverse=True)}


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _crawl(label: str, settings: Settings, sources: Path, processes: int) -> dict:
    started = time.monotonic()
    cpu_before, site_before = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
    summary = run_crawl(settings, sources_path=sources, scrapy_overrides=OVERRIDES,
                        processes=processes)
    wall = time.monotonic() - started
    crawler_cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu_before
    # this process: the demo site's server threads (and the launcher, which mostly waits)
    site_cpu = _cpu(resource.RUSAGE_SELF) - site_before
    measured = _measure(settings.db_path, summary.run_id)
    pages, window = measured["article_pages"], measured["fetch_window_seconds"]
    result = {"frontier": label, "processes": processes, "status": summary.status,
              "wall_seconds": round(wall, 2),
              "pages_per_second_wall": round(pages / wall, 1),
              "pages_per_second_fetching": round(pages / window, 1) if window else None,
              # what a crawler process costs, whatever else runs on the machine
              "crawler_cpu_seconds": round(crawler_cpu, 1),
              "pages_per_crawler_cpu_second": round(pages / crawler_cpu, 1) if crawler_cpu else None,
              "site_cpu_seconds": round(site_cpu, 1),
              **measured}
    logger.info("%s", json.dumps(result))
    return result


def main() -> None:
    args = bench_arguments(__doc__.splitlines()[0])
    corpus = build_corpus(seed=7, scale="bench", outlets=args.outlets, articles=args.articles)
    base = args.workdir or Path(tempfile.mkdtemp(prefix="bench-crawl-redis-"))
    redis_dir = base / "redis"
    server = start_redis(redis_dir)
    results = []
    try:
        with DemoSite(corpus) as site:
            sources = site.write_sources_toml(base / "sources.toml")
            local = Settings(workdir=base / "local", crawl=BENCH_CRAWL)
            results.append(_crawl("local", local, sources, 1))
            shared = replace(BENCH_CRAWL, frontier="redis", redis_url=server.url)
            for processes in (1, 2):
                settings = Settings(workdir=base / f"redis-{processes}", crawl=shared)
                results.append(_crawl("redis", settings, sources, processes))
    finally:
        stop_redis(redis_dir)
        if args.workdir is None:  # three warehouses and their archives: a given --workdir is kept
            shutil.rmtree(base, ignore_errors=True)
    one, two = results[1]["pages_per_second_wall"], results[2]["pages_per_second_wall"]
    print(json.dumps({"articles": len(corpus.articles), "outlets": args.outlets, "runs": results,
                      "redis_2_over_1": round(two / one, 2) if one else None,
                      "redis_1_over_local": round(one / results[0]["pages_per_second_wall"], 2)},
                     indent=2))


if __name__ == "__main__":
    main()
