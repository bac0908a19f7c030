"""Benchmark: extraction throughput and peak memory on the evaluation pages (run by hand).

    cd /work/main && PYTHONPATH=. .venv/bin/python tests/bench/bench_extract.py [--workers 1 2] [--repeat 1]

Runs `framewatch extract`'s engine (run_extraction) over ../shared/eval/extraction/pages once per
worker count, each in a fresh child process so that peak RSS is measured per run, and prints
pages/s, CPU milliseconds per page (parent and workers together: the figure to trust when other
jobs share the machine) and the peak resident memory of the parent and of the largest worker.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO.parent / "shared" / "eval" / "extraction" / "pages"


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(workers: int, repeat: int, queue: multiprocessing.Queue) -> None:
    import logging

    logging.disable(logging.WARNING)  # trafilatura logs a warning per odd page; not what we time
    from pipeline.commands.extract import run_extraction

    pages = 0
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    for _ in range(repeat):
        out = io.StringIO()
        counts = run_extraction((PAGES,), out, workers)
        pages += sum(counts.values())
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    queue.put(
        {
            "workers": workers,
            "pages": pages,
            "seconds": round(elapsed, 2),
            "pages_per_s": round(pages / elapsed, 2),
            "cpu_ms_per_page": round(1000 * cpu / pages, 1),
            "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_rss_mb_largest_child": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
            ),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to measure"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="passes over the pages per measurement"
    )
    args = parser.parse_args(argv)
    if not PAGES.is_dir():
        print(f"{PAGES} not found: the benchmark needs ../shared/eval/extraction", file=sys.stderr)
        return 1
    context = multiprocessing.get_context("spawn")
    for workers in args.workers:
        queue = context.Queue()
        child = context.Process(target=_measure, args=(workers, args.repeat, queue))
        child.start()
        result = queue.get()
        child.join()
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
