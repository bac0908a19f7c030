"""The README's main job: `framewatch demo` on the demo news site -> DuckDB rows -> report.

One real run (the demo site on loopback, a Scrapy subprocess, trafilatura, the real model,
Prefect's temporary server) is shared by the tests of this module; the last test runs the demo a
second time over the unchanged site.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from fixtures.warehouse import query as query_db

from pipeline.demo_site import build_corpus
from pipeline.urls import canonical_url

pytestmark = pytest.mark.slow  # the whole pipeline as a Prefect flow

REPO = Path(__file__).resolve().parents[1]

def run_cli(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


PORT = "18811"  # not the demo's default, so a user's running demo does not collide


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run `framewatch demo` once at demo scale; the corpus is rebuilt here to know the truth."""
    workdir = tmp_path_factory.mktemp("e2e")
    first = run_cli("demo", "--workdir", str(workdir), "--port", PORT, cwd=workdir)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-6000:]
    corpus = build_corpus(seed=7, scale="demo")
    homepages = dict(query(workdir, "select source_id, homepage from core.sources"))
    return {"workdir": workdir, "corpus": corpus, "homepages": homepages, "output": first.stdout}


def query(workdir: Path, sql: str, params: list | None = None) -> list[tuple]:
    return query_db(workdir / "framewatch.duckdb", sql, params)


def _url(homepages: dict[str, str], article) -> str:
    return canonical_url(homepages[article.outlet_id].rstrip("/") + article.path)


def test_prints_where_database_and_report_are(demo_run):
    out = demo_run["output"]
    assert f"Database: {demo_run['workdir'] / 'framewatch.duckdb'}" in out
    report_line = next(line for line in out.splitlines() if line.startswith("Report:"))
    report = Path(report_line.split(":", 1)[1].strip())
    assert report.is_file() and report.suffix == ".html"
    assert report.with_name("report.md").is_file()


def test_every_demo_article_is_one_row(demo_run):
    corpus, site = demo_run["corpus"], demo_run["homepages"]
    expected = {_url(site, a) for a in corpus.articles}
    stored = {row[0] for row in query(demo_run["workdir"], "select canonical_url from articles")}
    assert stored == expected  # URL variants collapsed, private section not crawled


def test_relevance_agrees_with_the_planted_topics(demo_run):
    corpus, site = demo_run["corpus"], demo_run["homepages"]
    truth = {_url(site, a): a.on_topic for a in corpus.articles}
    rows = query(demo_run["workdir"], "select canonical_url, in_scope from articles")
    agreement = sum(truth[url] == bool(in_scope) for url, in_scope in rows) / len(rows)
    # Measured 2026-11-26: 0.90 (3 off-topic stories kept, 49 on-topic ones missed: the threshold
    # was chosen on tests/fixtures/relevance, whose on-topic stories name the race more plainly).
    # The corpus depends on the date, so the floor leaves room.
    assert agreement >= 0.85


def test_wire_copies_are_linked_not_counted_twice(demo_run):
    corpus, site = demo_run["corpus"], demo_run["homepages"]
    by_key = {a.key: a for a in corpus.articles}
    copies = [a for a in corpus.articles if a.wire_of]
    assert copies, "the small demo site must carry wire copies"
    rows = dict(query(demo_run["workdir"], "select canonical_url, duplicate_of is not null from core.articles"))
    found = sum(rows[_url(site, a)] for a in copies)
    assert found / len(copies) >= 0.8
    originals = {_url(site, by_key[a.wire_of]) for a in copies}
    assert not any(rows[url] for url in originals)


def test_known_articles_get_their_planted_frames(demo_run):
    corpus, site = demo_run["corpus"], demo_run["homepages"]
    on_topic = {_url(site, a): a for a in corpus.articles if a.on_topic}
    rows = query(demo_run["workdir"],
                 "select a.canonical_url, f.frame_id from article_frames as f "
                 "join articles as a using (article_id) where f.is_primary")
    hits = Counter(on_topic[url].primary_frame == frame for url, frame in rows if url in on_topic)
    assert hits[True] / (hits[True] + hits[False]) >= 0.6
    present = query(demo_run["workdir"],
                    "select a.canonical_url, list(f.frame_id) from article_frames as f "
                    "join articles as a using (article_id) where f.present group by a.canonical_url")
    recall = [on_topic[url].primary_frame in frames for url, frames in present if url in on_topic]
    assert sum(recall) / len(recall) >= 0.75


def test_evidence_passages_come_from_the_article(demo_run):
    rows = query(demo_run["workdir"],
                 "select e.passage, a.text, a.title from frame_evidence as e join articles as a using (article_id) "
                 "limit 50")
    assert rows

    def words(value: str) -> str:  # passages may join short paragraphs: compare word sequences
        return " ".join(value.split())

    assert all(words(passage) in words(text) or passage == title for passage, text, title in rows)


def test_relabel_after_a_codebook_change_embeds_nothing(demo_run, tmp_path):
    workdir = demo_run["workdir"]
    codebook = (REPO / "seeds" / "frames.toml").read_text(encoding="utf-8")
    changed = tmp_path / "frames.toml"
    changed.write_text(codebook.replace('version = "', 'version = "relabel-test-', 1), encoding="utf-8")
    result = run_cli("frames", "relabel", "--workdir", str(workdir), "--codebook", str(changed), cwd=workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    outcome = json.loads(result.stdout[: result.stdout.rindex("}") + 1])
    assert outcome["embedded"] == 0 and outcome["articles"] > 0
    versions = query(workdir, "select distinct label_version from core.frame_labels")
    assert versions == [(outcome["label_version"],)]
    codebook_versions = query(workdir, "select codebook_version from core.label_versions where label_version = ?",
                              [outcome["label_version"]])
    assert codebook_versions[0][0].startswith("relabel-test-")


def test_report_flags_the_planted_regulation_rise(demo_run):
    report = demo_run["workdir"] / "reports" / demo_run["corpus"].weeks[-1]
    tests = [row for name in ("tests.json", "tests_primary.json")
             for row in json.loads((report / "data" / name).read_text())]
    flagged = {(row["frame_id"], row["measure"]) for row in tests if row["moved"]}
    assert ("regulation", "primary") in flagged, flagged
    assert not any(frame == "not_a_race" for frame, _ in flagged)


def test_second_run_over_unchanged_site_adds_nothing(demo_run):
    workdir = demo_run["workdir"]
    tables = ["core.pages", "core.articles", "core.passages", "core.frame_labels", "core.embeddings"]
    before = {t: query(workdir, f"select count(*) from {t}")[0][0] for t in tables}
    again = run_cli("demo", "--workdir", str(workdir), "--port", PORT, cwd=workdir)
    assert again.returncode == 0, again.stderr[-6000:]
    after = {t: query(workdir, f"select count(*) from {t}")[0][0] for t in tables}
    assert after == before
    last_run = query(workdir, "select run_id from crawl_runs order by started_at desc limit 1")[0][0]
    statuses = dict(query(workdir, "select status, count(*) from fetch_log where run_id = ? group by status",
                          [last_run]))
    assert statuses.get("new", 0) == 0 and statuses.get("changed", 0) == 0
