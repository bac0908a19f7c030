"""Benchmark the whole cleaning stage: extraction + metadata + dedupe + relevance, pages/s and memory.

Run by hand (not collected by pytest):

    .venv/bin/python tests/bench/bench_clean.py --pages dev          # ../shared/eval/extraction pages
    .venv/bin/python tests/bench/bench_clean.py --pages demo --n 5000 # the bench-scale demo site

Pages are written to a WARC archive and indexed in a fresh warehouse exactly as the crawl stores
them (core.pages + core.warc_records), then `clean_pending` runs with 1 and 2 extraction workers,
relevance on single-threaded torch in this process and `--embed-workers` - 1 more (the pipeline's
default settings use one embedding process per CPU). Besides wall time it prints the CPU time
(user + system, this process and its worker processes): the figure to compare when other jobs
share the machine. Peak memory: the resident set of this process and of its largest worker process.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline.archive import WarcArchive, sha256_hex
from pipeline.framing.embed import Embedder
from pipeline.relevance import RelevanceModel
from pipeline.seeds import load_topic
from pipeline.settings import DEFAULT_SEEDS_DIR
from pipeline.stages.clean import clean_pending
from pipeline.stages.embedding_cache import EmbeddingCache
from pipeline.urls import canonical_url
from warehouse.db import warehouse

REPO = Path(__file__).resolve().parents[2]
EVAL_PAGES = REPO.parent / "shared" / "eval" / "extraction" / "pages"


def dev_pages() -> list[tuple[str, bytes]]:
    urls = json.loads((EVAL_PAGES / "urls.json").read_text())
    pages = []
    for path in sorted(EVAL_PAGES.glob("*.html.gz")):
        name = path.name
        pages.append((urls.get(name) or f"http://127.0.0.1/{name}", gzip.decompress(path.read_bytes())))
    return pages


def demo_pages(n: int) -> list[tuple[str, bytes]]:
    """Fetch n article pages of the bench-scale demo site over loopback (not timed)."""
    import urllib.request

    from pipeline.demo_site import DemoSite, build_corpus

    corpus = build_corpus(seed=7, scale="bench")
    pages = []
    with DemoSite(corpus) as site:
        for article in corpus.articles[:n]:
            url = site.base_urls[article.outlet_id] + article.path
            with urllib.request.urlopen(url, timeout=30) as response:  # loopback only
                pages.append((url, response.read()))
    return pages


def load_warehouse(workdir: Path, pages: list[tuple[str, bytes]]) -> None:
    archive = WarcArchive(workdir / "archive", "bench", max_bytes=200_000_000)
    now = datetime.now(UTC)
    with warehouse(workdir / "fw.duckdb") as con:
        con.execute("insert into core.sources (source_id, name) values ('bench', 'Bench') on conflict do nothing")
        for url, body in pages:
            record = archive.write_exchange(
                url=url, method="GET", request_headers=[], status=200, reason="OK",
                response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body, fetched_at=now)
            canonical = canonical_url(url)
            con.execute("insert into core.warc_records values (?, 'bench', ?, ?, ?, ?, 200, 'text/html', ?, ?)",
                        [record.record_id, url, record.warc_file, record.offset, record.length,
                         record.payload_digest, now.replace(tzinfo=None)])
            con.execute("insert into core.pages values (?, 'bench', ?, 200, 'text/html', ?, ?, ?, 'bench') "
                        "on conflict do nothing",
                        [canonical, url, sha256_hex(body), record.record_id, now.replace(tzinfo=None)])
    archive.close()


def peak_rss_mb() -> dict[str, int]:
    """Peak resident memory of this process and of its largest worker process so far."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return {"main": own, "largest_worker": worker}


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU of this process and of its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run(workdir: Path, workers: int, embed_workers: int) -> dict:
    # A fresh embedder for every run, as a `framewatch clean` process has: the cached one of
    # load_embedder would carry the texts it was asked for into the next run, which then starts
    # embedding workers that a single run of this size does not (seconds of CPU loading the model).
    embedder = Embedder(None, backend="torch", batch_size=32, threads=1, workers=embed_workers)
    topic = load_topic(DEFAULT_SEEDS_DIR / "topic.toml")
    with warehouse(workdir / "fw.duckdb") as con:
        con.execute("delete from core.articles")
        con.execute("delete from core.embeddings")
        cache = EmbeddingCache(con, embedder)
        relevance = RelevanceModel(topic, cache.encode)
        started, cpu_started = time.perf_counter(), cpu_seconds()
        summary = clean_pending(con, workdir / "archive", relevance, workers=workers)
        seconds = time.perf_counter() - started
        embedder.close()  # a finished worker's CPU time is counted only once it has exited
        main_cpu, workers_cpu = (end - start for end, start in zip(cpu_seconds(), cpu_started, strict=True))
    cpu = main_cpu + workers_cpu
    return {"workers": workers, "embed_workers": embedder.workers, "pages": summary.pages, "seconds": round(seconds, 1),
            "pages_per_s": round(summary.pages / seconds, 2),
            "cpu_s": round(cpu, 1), "cpu_ms_per_page": round(1000 * cpu / summary.pages, 1),
            "main_cpu_s": round(main_cpu, 1), "workers_cpu_s": round(workers_cpu, 1),
            "cores_busy": round(cpu / seconds, 2),
            "peak_rss_mb": peak_rss_mb(),
            "ok": summary.ok, "in_scope": summary.in_scope, "duplicates": summary.duplicates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", choices=["dev", "demo"], default="dev")
    parser.add_argument("--n", type=int, default=5000, help="demo pages to fetch")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fw-bench-clean"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--embed-workers", type=int, default=1,
        help="relevance embedding processes (0: one per CPU, as the pipeline's default settings)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    workdir = args.workdir / args.pages
    if not (workdir / "fw.duckdb").exists():
        workdir.mkdir(parents=True, exist_ok=True)
        pages = dev_pages() if args.pages == "dev" else demo_pages(args.n)
        load_warehouse(workdir, pages)
    print(f"load average before: {os.getloadavg()}")
    for workers in args.workers:
        print(json.dumps(run(workdir, workers, args.embed_workers)))


if __name__ == "__main__":
    main()
