"""Benchmark the warehouse backends: keyed writes of article results, claimed in units.

Run by hand (not collected by pytest):

    .venv/bin/python tests/bench/bench_lake.py [--weeks 12]

Builds a single-file warehouse with labelled stories (tests/fixtures/report `planted_trends`,
about 35 stories a week), starts a PostgreSQL server on 127.0.0.1 with framewatch's launcher,
then writes every story's rows (articles, passages, labels, evidence) in claimed units of 25,
exactly as a distributed stage writes its results (tests/fixtures/lake_writer.py):

- into another single DuckDB file, one writer process;
- into a DuckLake (catalog in that PostgreSQL, Parquet in a temp folder), 1 and 2 writer
  processes at once.

Prints wall time, articles/s and units/s of each, and the cost of opening each backend.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fixtures.lake_writer import copy_shared
from fixtures.report.synthetic import planted_trends

from pipeline.cluster.postgres import start_postgres, stop_postgres
from warehouse.db import LakeLocation, connect

WRITER = REPO / "tests" / "fixtures" / "lake_writer.py"


def new_database(dsn: str) -> str:
    import psycopg

    name = "bench_" + secrets.token_hex(4)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'create database "{name}"')
    return dsn.rsplit("/", 1)[0] + "/" + name


def run_writers(source: Path, target: str, n: int) -> float:
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, str(WRITER), str(source), target, f"w{k}",
                                   *(["reverse"] if k % 2 else [])],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for k in range(n)]
    for process in processes:
        out, err = process.communicate(timeout=1800)
        if process.returncode:
            raise SystemExit(err[-3000:])
        json.loads(out.strip().splitlines()[-1])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="framewatch-bench-lake-"))
    base.chmod(0o755)
    try:
        source = base / "source.duckdb"
        planted_trends(source)
        with connect(source, read_only=True) as con:
            n_articles = con.execute("select count(*) from core.articles").fetchone()[0]
        server = start_postgres(base / "pg")
        print(f"{n_articles} articles in units of 25; PostgreSQL on {server.host}:{server.port}")

        file_target = base / "target.duckdb"
        copy_shared(str(source), str(file_target))
        seconds = run_writers(source, str(file_target), 1)
        print(f"file,  1 writer : {seconds:6.1f} s  {n_articles / seconds:6.1f} articles/s")

        for writers in (1, 2):
            lake = LakeLocation(new_database(server.dsn), str(base / f"lake{writers}"))
            copy_shared(str(source), lake.spec())
            seconds = run_writers(source, lake.spec(), writers)
            print(f"lake, {writers} writer{'s' if writers > 1 else ' '}: {seconds:6.1f} s  "
                  f"{n_articles / seconds:6.1f} articles/s")
            started = time.perf_counter()
            connect(lake).close()
            writer_open = time.perf_counter() - started
            started = time.perf_counter()
            connect(lake, read_only=True).close()
            reader_open = time.perf_counter() - started
            files = sum(1 for _ in Path(lake.data_path).rglob("*.parquet"))
            print(f"      open: writer {writer_open:.2f} s, reader {reader_open:.2f} s; {files} Parquet files")
        stop_postgres(base / "pg")
    finally:
        stop_postgres(base / "pg")
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
