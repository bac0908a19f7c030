"""Two runs at once, and a run killed mid-way: the warehouse stays whole, nothing lost or doubled.

A module fixture crawls and cleans a demo news site of 140 articles once; each test processes a
private copy of that workdir with real subprocesses (Prefect flows, the real model):

- three `process_flow` runs on one workdir while the writer lock is held: the one allowed to wait
  5 s is refused with a message naming the lock; the two allowed to wait take turns once it is
  free, the second finding nothing left to do. Every article ends up labelled exactly once.
- `framewatch frame` is SIGKILLed after its first batch (64 articles) has committed; the next
  `process_flow` run labels the rest, and no row is duplicated.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from filelock import FileLock
from fixtures.warehouse import query as query_db

from pipeline.demo_site import DemoSite, build_corpus
from pipeline.framing.codebook import load_codebook

pytestmark = pytest.mark.slow  # runs whole pipelines at once (minutes)

REPO = Path(__file__).resolve().parents[1]
CONFIG = """\
[crawl]
download_delay = 0.0
autothrottle = false
concurrent_requests_per_domain = 4
timeout_seconds = 10
"""
N_ARTICLES = 140
FRAME_BATCH = 64  # pipeline.stages.frame.BATCH_SIZE: the kill lands after the first commit


def subprocess_env(prefect_home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", PREFECT_HOME=str(prefect_home),
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


def cli(workdir: Path, *args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "--config", str(workdir / "framewatch.toml"),
                           *args, "--workdir", str(workdir)],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def start_process_flow(workdir: Path, env: dict[str, str], lock_wait_seconds: float) -> subprocess.Popen:
    """`process_flow` in its own process, as a scheduled or `framewatch run` process would run it."""
    code = textwrap.dedent(f"""
        import json
        from flows.pipeline import process_flow
        result = process_flow(config={str(workdir / "framewatch.toml")!r}, workdir={str(workdir)!r},
                              lock_wait_seconds={lock_wait_seconds!r})
        print("RESULT " + json.dumps(result, default=str))
    """)
    return subprocess.Popen([sys.executable, "-c", code], cwd=workdir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def query(workdir: Path, sql: str) -> list[tuple]:
    return query_db(workdir / "framewatch.duckdb", sql)


def assert_processed_once(workdir: Path, n_frames: int) -> None:
    """Every crawled page has one article row; every in-scope article one label per frame."""
    pages, articles, distinct = query(workdir, """
        select (select count(*) from core.pages), count(*), count(distinct canonical_url)
        from core.articles""")[0]
    assert pages == articles == distinct
    in_scope, labelled = query(workdir, """
        select count(*), count(*) filter (where article_id in (select article_id from core.frame_labels))
        from core.articles where in_scope""")[0]
    assert in_scope == labelled > FRAME_BATCH
    per_article = query(workdir, """
        select count(*) as n, count(distinct frame_id) as d from core.frame_labels group by article_id
        having n <> ? or d <> ?""".replace("?", str(n_frames)))
    assert per_article == []
    for table, key in [("core.passages", "article_id, idx"),
                       ("core.frame_evidence", "article_id, frame_id, rank"),
                       ("core.embeddings", "model_id, text_sha256")]:
        total, unique = query(workdir, f"select count(*), count(distinct ({key})) from {table}")[0]
        assert total == unique > 0, table
    passage_articles = query(workdir, "select count(distinct article_id) from core.passages")[0][0]
    assert passage_articles == in_scope


@pytest.fixture(scope="module")
def crawled_and_cleaned(tmp_path_factory):
    """A workdir with the demo site crawled and cleaned (framing left to the tests)."""
    workdir = tmp_path_factory.mktemp("concurrency-seed")
    (workdir / "framewatch.toml").write_text(CONFIG)
    env = subprocess_env(workdir / "prefect-home")
    corpus = build_corpus(seed=11, scale="small", articles=N_ARTICLES)
    with DemoSite(corpus) as site:
        site.write_sources_toml(workdir / "sources.toml")
        cli(workdir, "crawl", "--sources", str(workdir / "sources.toml"), env=env)
    cli(workdir, "clean", env=env)
    in_scope = query(workdir, "select count(*) from core.articles where in_scope")[0][0]
    assert in_scope > FRAME_BATCH + 8, "the kill test needs a second frame batch of some size"
    return workdir


@pytest.fixture()
def workdir(crawled_and_cleaned, tmp_path) -> Path:
    copy = tmp_path / "work"
    shutil.copytree(crawled_and_cleaned, copy, ignore=shutil.ignore_patterns("*.lock", "prefect-home"))
    return copy


@pytest.fixture(scope="module")
def n_frames() -> int:
    return len(load_codebook(REPO / "seeds" / "frames.toml").frames)


@pytest.mark.timeout(600)
def test_two_runs_at_once_wait_or_are_refused_and_label_everything_once(workdir, n_frames):
    # One Prefect home per process: three temporary Prefect servers on one SQLite file contend
    # for its lock, and under load one refused its own flow's final state (seen once in a full
    # run). What is tested here is the warehouse lock, not Prefect's SQLite.
    def env(name: str) -> dict[str, str]:
        return subprocess_env(workdir / f"prefect-home-{name}")

    # This test holds the writer lock, as a run does, until the impatient run has given up: a run
    # that merely started first may be done before the impatient one's Python and Prefect are up
    # (seen in a full run on a loaded machine), and then nothing is refused.
    lock_path = workdir / "framewatch.duckdb.lock"
    writer = FileLock(str(lock_path))
    writer.acquire()
    try:
        first = start_process_flow(workdir, env("first"), lock_wait_seconds=3600)
        refused = start_process_flow(workdir, env("refused"), lock_wait_seconds=5)
        waiting = start_process_flow(workdir, env("waiting"), lock_wait_seconds=3600)
        _, refused_err = refused.communicate(timeout=300)
    finally:
        writer.release()
    first_out, first_err = first.communicate(timeout=600)
    waiting_out, waiting_err = waiting.communicate(timeout=600)

    assert refused.returncode != 0
    assert "another framewatch run is writing" in refused_err and str(lock_path) in refused_err
    assert first.returncode == 0, first_err[-5000:]
    assert waiting.returncode == 0, waiting_err[-5000:]
    # The two that waited took turns: whichever got the lock first labelled everything.
    framed = [out.split("RESULT ", 1)[1].split('"frame"', 1)[1] for out in (first_out, waiting_out)]
    assert sum('"articles": 0' in result for result in framed) == 1
    assert_processed_once(workdir, n_frames)
    statuses = query(workdir, "select stage, status, count(*) from core.stage_runs "
                              "where stage in ('clean', 'frame') group by all order by all")
    # the seed's own clean, then one clean and one frame per run that got the lock
    assert statuses == [("clean", "finished", 3), ("frame", "finished", 2)]


@pytest.mark.timeout(600)
def test_killed_run_is_finished_by_the_next_without_duplicates(workdir, n_frames):
    env = subprocess_env(workdir / "prefect-home")
    framing = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--config", str(workdir / "framewatch.toml"), "frame",
         "--workdir", str(workdir)],
        cwd=workdir, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    seen = []
    for line in framing.stderr:  # progress lines: "frame: 64/87"
        seen.append(line)
        if line.startswith(f"frame: {FRAME_BATCH}/"):
            os.killpg(framing.pid, signal.SIGKILL)
            break
    _, rest = framing.communicate(timeout=60)  # also closes the pipes
    assert framing.returncode == -signal.SIGKILL, "".join(seen)[-3000:] + rest[-2000:]

    in_scope, labelled = query(workdir, """
        select count(distinct a.article_id), count(distinct l.article_id)
        from core.articles as a left join core.frame_labels as l using (article_id) where a.in_scope""")[0]
    assert labelled == FRAME_BATCH < in_scope  # the first batch committed, the rest did not
    assert query(workdir, "select status from core.stage_runs where stage = 'frame'") == [("running",)]

    again = start_process_flow(workdir, env, lock_wait_seconds=60)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-5000:]
    frame_result = out.split("RESULT ", 1)[1].split('"frame"', 1)[1]
    assert f'"articles": {in_scope - FRAME_BATCH}' in frame_result
    assert_processed_once(workdir, n_frames)
    statuses = query(workdir, "select status from core.stage_runs where stage = 'frame' order by started_at")
    assert statuses == [("interrupted",), ("finished",)]  # the killed run is marked, not left running
