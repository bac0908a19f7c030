"""Benchmark `framewatch import warc` on a CC-NEWS-like file, on one core.

    .venv/bin/python tests/bench/bench_import.py [--records 20000] [--on-topic 0.05]

Writes a CC-NEWS-like WARC file (gzip per record, responses only) of the demo back catalogue:
`--records` records of which `--on-topic` are AI-race stories of the followed demo outlets and
the rest off-topic news of hosts sources.toml does not follow. Then measures, each on one core:

1. records/s through the topic pre-filter (read + decompress + parse headers + payload + test
   the raw bytes; no HTML parsing), target >= 2,000 records/s;
2. records/s of the whole import into a fresh warehouse (pages archived and indexed);
3. on-topic pages cleaned/s by the clean stage (extraction, de-duplication, relevance with the
   real model, one extraction process, one embedding process);
4. memory: resident size of a fresh process before reading, and its peak (sampled every 200
   records) while it streams the file, at half and at full size: it must stay flat as the
   file grows;
5. with `--dask`: the same records split into 4 files, imported by one process and then with
   one unit per file on a local Dask cluster of 1 and of 2 single-threaded workers (wall clock:
   the workers scan, this process archives and writes).

Rates are given per wall-clock second and per CPU second of this process (`*_per_cpu_s`): on a
machine shared with other work the second is what one core does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fixtures.backfill import demo_sources

from pipeline.demo_site.backcatalogue import back_catalogue, write_warc_files
from pipeline.imports import TopicPrefilter, read_warc
from pipeline.seeds import load_topic
from pipeline.settings import DEFAULT_SEEDS_DIR, FramingSettings, Settings

MONTHS = 10
_MEMORY_PROBE = """
import sys
from pipeline.imports import TopicPrefilter, read_warc
from pipeline.seeds import load_topic
from pipeline.settings import DEFAULT_SEEDS_DIR

def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

keep = TopicPrefilter(load_topic(DEFAULT_SEEDS_DIR / "topic.toml").terms)
baseline = peak = rss_kb()
records = 0
for records, _ in enumerate(read_warc(sys.argv[1], keep), start=1):
    if records % 200 == 0:
        peak = max(peak, rss_kb())
print(records, baseline, max(peak, rss_kb()))
"""

def write_file(folder: Path, records: int, on_topic: float) -> Path:
    """One CC-NEWS-like file of `records` records (plus its warcinfo record)."""
    per_month = records // MONTHS
    on = round(per_month * on_topic)
    stories = back_catalogue(date(2026, 10, 1), MONTHS, on_topic_per_month=on,
                             outlet_off_topic_per_month=0, unfollowed_per_month=per_month - on)
    (path,) = write_warc_files(stories, folder, records_per_file=records + 1)
    return path


def one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def prefilter_rate(path: Path) -> dict[str, float]:
    keep = TopicPrefilter(load_topic(DEFAULT_SEEDS_DIR / "topic.toml").terms)
    started, cpu = time.perf_counter(), time.process_time()
    outcomes: dict[str, int] = {}
    for item in read_warc(path, keep):
        reason = getattr(item, "reason", "passed")
        outcomes[reason] = outcomes.get(reason, 0) + 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    records = sum(outcomes.values())
    return {"records": records, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "records_per_s": round(records / seconds), "records_per_cpu_s": round(records / cpu),
            "outcomes": outcomes}


def import_rate(path: Path, workdir: Path) -> dict[str, float]:
    from pipeline.stages.imports import import_warc
    from warehouse.db import connect

    topic = load_topic(DEFAULT_SEEDS_DIR / "topic.toml")
    con = connect(workdir / "framewatch.duckdb")
    try:
        started, cpu = time.perf_counter(), time.process_time()
        summary = import_warc(con, [path], archive_dir=workdir / "archive",
                              sources=demo_sources(workdir / "sources.toml"), topic_terms=topic.terms)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        con.close()
    records = sum(summary.totals().values())
    return {"records": records, "imported": summary.imported, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2), "records_per_s": round(records / seconds),
            "records_per_cpu_s": round(records / cpu), "totals": summary.totals()}


def clean_rate(workdir: Path) -> dict[str, float]:
    from pipeline.relevance import RelevanceModel
    from pipeline.stages.clean import clean_pending
    from pipeline.stages.embedding_cache import EmbeddingCache
    from pipeline.stages.runs import embedder_for
    from warehouse.db import connect

    settings = Settings(workdir=workdir, framing=replace(FramingSettings(), workers=1, threads=1))
    topic = load_topic(DEFAULT_SEEDS_DIR / "topic.toml")
    embedder = embedder_for(settings)
    con = connect(settings.db_path)
    try:
        cache = EmbeddingCache(con, embedder)
        started, cpu = time.perf_counter(), time.process_time()
        summary = clean_pending(con, settings.archive_path, RelevanceModel(topic, cache.encode), workers=1)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        con.close()
    return {"pages": summary.pages, "in_scope": summary.in_scope, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2), "pages_per_s": round(summary.pages / seconds, 1),
            "pages_per_cpu_s": round(summary.pages / cpu, 1)}


def dask_rates(parts: list[Path], folder: Path) -> dict[str, dict[str, float]]:
    """Wall-clock records/s importing `parts`: one process, then 1 and 2 Dask workers."""
    from distributed import Client, LocalCluster

    from pipeline.distributed.engine import DaskUnits
    from pipeline.stages.imports import import_warc, import_warc_on_dask
    from warehouse.claims import WorkClaims
    from warehouse.db import connect

    topic = load_topic(DEFAULT_SEEDS_DIR / "topic.toml")
    sources = demo_sources(folder / "sources.toml")
    results: dict[str, dict[str, float]] = {}
    con = connect(folder / "single.duckdb")
    started = time.perf_counter()
    summary = import_warc(con, parts, archive_dir=folder / "a-single", sources=sources,
                          topic_terms=topic.terms)
    seconds = time.perf_counter() - started
    con.close()
    records = sum(summary.totals().values())
    results["single_process"] = {"records": records, "seconds": round(seconds, 2),
                                 "records_per_s": round(records / seconds)}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            client.run(lambda: __import__("pipeline.stages.imports"))  # warm the workers' imports
            con = connect(folder / f"dask{workers}.duckdb")
            claims = WorkClaims(folder / f"dask{workers}.duckdb", connection=con)
            started = time.perf_counter()
            summary = import_warc_on_dask(
                con, parts, run_units=DaskUnits(client, "import").run, claims=claims,
                owner="bench", lease_seconds=600, archive_dir=folder / f"a-dask{workers}",
                sources=sources, topic_terms=topic.terms)
            seconds = time.perf_counter() - started
            con.close()
        records = sum(n for k, n in summary.totals().items() if k != "file_already_imported")
        results[f"dask_{workers}_workers"] = {"records": records, "seconds": round(seconds, 2),
                                              "records_per_s": round(records / seconds)}
    return results


def peak_memory(path: Path) -> dict[str, int]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(path)], capture_output=True,
                         text=True, check=True, env=env).stdout.split()
    records, baseline, peak = (int(v) for v in out)
    return {"records": records, "file_mb": round(path.stat().st_size / 1e6, 1),
            "rss_before_mb": round(baseline / 1024, 1), "peak_rss_mb": round(peak / 1024, 1),
            "growth_mb": round((peak - baseline) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--on-topic", type=float, default=0.05)
    parser.add_argument("--dask", action="store_true", help="Also import on 1 and 2 Dask workers.")
    parser.add_argument("--only-dask", action="store_true", help="Only the Dask measurement.")
    parser.add_argument("--only-memory", action="store_true", help="Only the memory measurement.")
    parser.add_argument("--clean-records", type=int, default=4_000,
                        help="Records of the (smaller) file whose imported pages are cleaned; 0: skip.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        full = write_file(folder / "full", args.records, args.on_topic)
        half = write_file(folder / "half", args.records // 2, args.on_topic)
        print(f"wrote {full.name} ({full.stat().st_size / 1e6:.1f} MB) and a half-size file in "
              f"{time.perf_counter() - started:.0f}s", file=sys.stderr)
        if args.dask or args.only_dask:
            parts = [write_file(folder / f"part{i}", args.records // 4, args.on_topic) for i in range(4)]
            report("dask", dask_rates(parts, folder))
            if args.only_dask:
                return
        one_core()  # the Dask workers above are not pinned; everything below runs on one core
        if args.only_memory:
            report("memory", {"half": peak_memory(half), "full": peak_memory(full)})
            return
        report("prefilter", prefilter_rate(full))
        report("import", import_rate(full, folder / "wd"))
        report("memory", {"half": peak_memory(half), "full": peak_memory(full)})
        if args.clean_records:
            small = write_file(folder / "small", args.clean_records, args.on_topic)
            report("import_for_clean", import_rate(small, folder / "wd-clean"))
            report("clean", clean_rate(folder / "wd-clean"))


def report(name: str, result: dict) -> None:
    """Print each measurement as soon as it is made (one JSON object per line)."""
    print(json.dumps({name: result}), flush=True)


if __name__ == "__main__":
    main()
