"""Benchmark: how many requests/s the demo site serves to 16 keep-alive connections.

Run by hand: PYTHONPATH=. .venv/bin/python tests/bench/bench_demo_site.py [--scale bench]
Every article is fetched once (cold: rendered on first use), then all again (warm: cached).
"""

from __future__ import annotations

import argparse
import http.client
import queue
import resource
import threading
import time
from datetime import date
from urllib.parse import urlsplit

from pipeline.demo_site import DemoSite, build_corpus


def _fetch_all(urls: list[str], connections: int) -> tuple[float, int, int]:
    work: queue.Queue[str] = queue.Queue()
    for url in urls:
        work.put(url)
    failures = 0
    transferred = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal failures, transferred
        open_connections: dict[str, http.client.HTTPConnection] = {}
        while True:
            try:
                url = work.get_nowait()
            except queue.Empty:
                break
            parts = urlsplit(url)
            conn = open_connections.get(parts.netloc)
            if conn is None:
                conn = open_connections[parts.netloc] = http.client.HTTPConnection(
                    parts.netloc, timeout=30
                )
            conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            response = conn.getresponse()
            body = response.read()
            with lock:
                transferred += len(body)
                failures += response.status != 200
        for conn in open_connections.values():
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, failures, transferred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="bench")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    started = time.perf_counter()
    corpus = build_corpus(seed=7, scale=args.scale, anchor=date(2026, 11, 26))
    built = time.perf_counter() - started
    print(
        f"build_corpus(scale={args.scale}): {len(corpus.articles)} articles, "
        f"{len(corpus.outlets)} outlets in {built:.2f}s"
    )
    with DemoSite(corpus) as site:
        urls = [site.base_urls[a.outlet_id] + a.path for a in corpus.articles]
        for label in ("cold", "warm"):
            seconds, failures, size = _fetch_all(urls, args.connections)
            print(
                f"{label}: {len(urls)} articles in {seconds:.2f}s = {len(urls) / seconds:.0f} req/s, "
                f"{size / 1e6:.1f} MB, {failures} non-200"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (server and client): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
