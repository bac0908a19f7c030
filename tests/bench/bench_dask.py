"""Benchmark clean + frame on Dask (1 and 2 single-threaded workers) against the single-file path.

Run by hand (not collected by pytest):

    .venv/bin/python tests/bench/bench_dask.py --n 600

Pages of the bench-scale demo site are fetched over loopback and stored as a crawl stores them
(tests/bench/bench_clean.py), once; every run then starts from a copy of that warehouse and runs
the clean stage and the frame stage (`pipeline.stages.runs.clean_stage` / `frame_stage`, with the
real model) in a fresh process:

- `single-file, 1 CPU`: engine "local", one embedding process, the process pinned to one CPU
  (sched_setaffinity, inherited by its extraction workers): the work of one core;
- `single-file, 2 CPUs`: engine "local" with the default settings (both cores), for reference;
- `dask, N workers`: engine "dask" against a `dask scheduler` and N `dask worker --nthreads 1`
  processes (pipeline/cluster/dask.py) started for the run, unit_size pages/articles per unit.

Articles/s is pages cleaned plus articles framed per wall second of the two stages (model loads
included: each run starts cold, as a scheduled run does). CPU is user + system time of the stage
process, its children and (Dask) the worker processes. Targets (issue 13): Dask at one worker
costs at most 15% over the single-file path on one core; two workers run >= 1.7x one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parents[1]))


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _worker_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def run_one(workdir: Path, mode: str, address: str, unit_size: int) -> dict:
    """One timed clean + frame in this process (called in a fresh subprocess)."""
    from pipeline.settings import FramingSettings, ProcessingSettings, Settings
    from pipeline.stages.runs import clean_stage, frame_stage

    settings = Settings(workdir=workdir, database=str(workdir / "fw.duckdb"))
    worker_cpu_before: dict[str, float] = {}
    client = None
    if mode == "single-1cpu":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        settings = replace(settings, framing=FramingSettings(workers=1))
    elif mode == "dask":
        from distributed import Client

        settings = replace(settings, processing=ProcessingSettings(
            engine="dask", dask_address=address, unit_size=unit_size))
        client = Client(address, timeout=30)
        worker_cpu_before = client.run(_worker_cpu)
    started, cpu_started = time.perf_counter(), _cpu()
    cleaned = clean_stage(settings, "bench-clean")
    clean_seconds = time.perf_counter() - started
    framed = frame_stage(settings, "bench-frame")
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_started
    if client is not None:
        after = client.run(_worker_cpu)
        cpu += sum(after[w] - worker_cpu_before.get(w, 0.0) for w in after)
        client.close()
    work = cleaned["pages"] + framed["articles"]
    return {"pages": cleaned["pages"], "in_scope": cleaned["in_scope"], "framed": framed["articles"],
            "clean_s": round(clean_seconds, 1), "frame_s": round(seconds - clean_seconds, 1),
            "seconds": round(seconds, 1), "articles_per_s": round(work / seconds, 2),
            "cpu_s": round(cpu, 1), "cpu_ms_per_article": round(1000 * cpu / max(work, 1), 1)}


def _timed(source: Path, scratch: Path, mode: str, address: str = "", unit_size: int = 32) -> dict:
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(source, scratch)
    done = subprocess.run(
        [sys.executable, __file__, "--run", mode, "--workdir", str(scratch), "--address", address,
         "--unit-size", str(unit_size)],
        capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="demo pages to fetch")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fw-bench-dask"))
    parser.add_argument("--unit-size", type=int, default=32)
    parser.add_argument("--run", choices=["single-1cpu", "single-2cpu", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--address", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if args.run:
        print(json.dumps(run_one(args.workdir, args.run, args.address, args.unit_size)))
        return

    from bench_clean import demo_pages, load_warehouse

    from pipeline.cluster.dask import start_dask, stop_dask

    source = args.workdir / f"pages-{args.n}"
    if not (source / "fw.duckdb").exists():
        source.mkdir(parents=True, exist_ok=True)
        load_warehouse(source, demo_pages(args.n))
    scratch = args.workdir / "run"
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    results = {}
    for name, mode in (("single-file, 1 CPU", "single-1cpu"), ("single-file, 2 CPUs", "single-2cpu")):
        results[name] = _timed(source, scratch, mode)
        print(json.dumps({name: results[name]}), flush=True)
    for workers in (1, 2):
        state = args.workdir / f"dask-{workers}"
        cluster = start_dask(state, workers=workers)
        try:
            name = f"dask, {workers} worker{'s' if workers > 1 else ''}"
            results[name] = _timed(source, scratch, "dask", cluster.address, args.unit_size)
            print(json.dumps({name: results[name]}), flush=True)
        finally:
            stop_dask(state)
    single, one, two = (results[k]["articles_per_s"] for k in
                        ("single-file, 1 CPU", "dask, 1 worker", "dask, 2 workers"))
    print(f"dask at 1 worker costs {100 * (single / one - 1):+.1f}% over the single-file path on one CPU "
          f"(target <= +15%); 2 workers run {two / one:.2f}x 1 worker (target >= 1.7x); "
          f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
