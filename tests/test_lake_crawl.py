"""The crawl store (one local crawler) and `framewatch import` write a DuckLake warehouse: the
same rows as into the single file, and a second crawl or import updates them in place.

Real parts: the demo news site on loopback, `python -m spiders` subprocesses, a real PostgreSQL
catalog with Parquet data, the CLI's import commands.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fixtures.backfill import write_demo_sources

from pipeline.cli import cli
from pipeline.demo_site import DemoSite, build_corpus
from pipeline.demo_site.backcatalogue import back_catalogue, write_warc_files
from pipeline.settings import CrawlSettings, Settings, WarehouseSettings
from pipeline.stages import imports
from pipeline.stages.crawl import run_crawl
from warehouse.db import LakeLocation, warehouse

# The PostgreSQL fixtures (postgres_server, lake_location), by name.
pytest_plugins = ["fixtures.postgres"]

FAST = CrawlSettings(download_delay=0.0, autothrottle=False, timeout_seconds=10.0,
                     concurrent_requests_per_domain=8, log_level="INFO")
# Small batches: many flushes, so rows of one run meet rows of earlier batches in the MERGEs.
OVERRIDES = {"FRAMEWATCH_STORE_BATCH": 50}

# What a crawl stores, compared between the backends: run ids and times differ by nature, and
# which URL variant of a story is met first (logged new, the others duplicates of it, or never
# fetched) varies from crawl to crawl, so variants are compared by their story.
CRAWL_TABLES = {
    "pages": "select canonical_url, source_id, url, http_status, content_type, content_sha256 "
             "from core.pages",
    "fetch_log": "select coalesce(canonical_url, url), source_id, kind, status, count(*) "
                 "from core.fetch_log group by all",
    "discovered": "select canonical_url, source_id, listing_title, listing_published, "
                  "listing_updated from core.discovered",
    "http_validators": "select url, etag, last_modified, last_status, content_sha256 "
                       "from core.http_validators where url in (select url from core.pages) "
                       "or url not in (select url from core.fetch_log where kind = 'article')",
    "sources": "select source_id, name, homepage, country, language, kind, followed "
               "from core.sources",
    "warc_records": "select p.canonical_url, w.url, w.http_status, w.content_type, "
                    "w.payload_digest from core.pages as p join core.warc_records as w "
                    "on w.record_id = p.warc_record_id",
}
# The key of each keyed table: a lake has no constraint, so a second write must not add a row.
KEYS = {"pages": "canonical_url", "discovered": "canonical_url", "http_validators": "url",
        "sources": "source_id", "warc_records": "record_id", "fetch_log": "run_id, url",
        "crawl_runs": "run_id", "imported_stories": "canonical_url",
        "import_counts": "import_run_id, input_file, outcome"}


def lake_settings(workdir: Path, lake: LakeLocation, **changes: Any) -> Settings:
    return Settings(workdir=workdir, warehouse=WarehouseSettings(
        backend="ducklake", catalog_dsn=lake.catalog_dsn, data_path=lake.data_path), **changes)


def rows(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with warehouse(settings.warehouse_target, read_only=True) as con:
        return sorted(con.execute(sql, params or []).fetchall(), key=repr)


def duplicated_keys(settings: Settings) -> dict[str, int]:
    """Table -> how many key values appear more than once (none on either backend)."""
    found = {}
    with warehouse(settings.warehouse_target, read_only=True) as con:
        for table, key in KEYS.items():
            (n,) = con.execute(f"select count(*) from (select {key} from core.{table} "
                               f"group by {key} having count(*) > 1)").fetchone()
            if n:
                found[table] = n
    return found


@pytest.fixture(scope="module")
def demo():
    with DemoSite(build_corpus(seed=7, scale="small")) as site:
        yield site


@pytest.mark.slow
def test_a_local_crawl_into_a_lake_stores_what_a_crawl_into_the_file_stores(
        tmp_path: Path, demo: DemoSite, lake_location: LakeLocation) -> None:
    sources = demo.write_sources_toml(tmp_path / "sources.toml")
    on_file = Settings(workdir=tmp_path / "file", crawl=FAST)
    on_lake = lake_settings(tmp_path / "lake-wd", lake_location, crawl=FAST)

    file_run = run_crawl(on_file, sources_path=sources, timeout=240, scrapy_overrides=OVERRIDES)
    lake_run = run_crawl(on_lake, sources_path=sources, timeout=240, scrapy_overrides=OVERRIDES)

    assert file_run.status == lake_run.status == "finished"
    assert lake_run.by_status == file_run.by_status
    assert not on_lake.db_path.exists()  # nothing went to a single file
    article_urls = {article["url"] for article in demo.truth()["articles"]}
    assert {url for (url,) in rows(on_lake, "select url from core.pages")} == article_urls
    for table, sql in CRAWL_TABLES.items():
        assert rows(on_lake, sql) == rows(on_file, sql), table
    assert rows(on_lake, "select status from core.crawl_runs") == [("finished",)]

    # A second crawl of the unchanged site: validators, listings and sources are updated in
    # place (MERGE's matched branch), the run is recorded, no key gains a second row.
    requests_before = len(demo.request_log)
    again = run_crawl(on_lake, sources_path=sources, timeout=240, scrapy_overrides=OVERRIDES)
    assert again.status == "finished"
    assert set(again.by_status) <= {"not_modified", "unchanged"}
    article_paths = {a.path for a in demo.corpus.articles}
    assert not {r.path for r in demo.request_log[requests_before:]} & article_paths
    assert rows(on_lake, "select count(*) from core.pages") == [(len(article_urls),)]
    ((started,),) = rows(on_lake, "select started_at from core.crawl_runs where run_id = ?",
                         [again.run_id])
    # robots.txt and listings answered 200 again: their validators are rewritten, not added
    assert again.by_status.get("unchanged", 0) > 0
    assert rows(on_lake, "select count(*) from core.http_validators where last_fetched >= ?",
                [started]) == [(again.by_status["unchanged"],)]
    assert rows(on_lake, "select count(*) from core.sources where updated_at < ?",
                [started]) == [(0,)]
    assert duplicated_keys(on_lake) == {}
    runs = dict(rows(on_lake, "select run_id, status from core.crawl_runs"))
    assert runs == {lake_run.run_id: "finished", again.run_id: "finished"}

    # the crawl's documented views answer on the lake as on the file
    health = "select source_id, health from source_health where run_id = ?"
    assert rows(on_lake, health, [lake_run.run_id]) == rows(on_file, health, [file_run.run_id])


def _import(settings: Settings, *args: str) -> dict[str, Any]:
    env = {"FRAMEWATCH_WAREHOUSE__BACKEND": settings.warehouse.backend,
           "FRAMEWATCH_WAREHOUSE__CATALOG_DSN": settings.warehouse.catalog_dsn,
           "FRAMEWATCH_WAREHOUSE__DATA_PATH": settings.warehouse.data_path}
    result = CliRunner().invoke(cli, ["import", *args, "--workdir", str(settings.workdir)],
                                obj={}, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])


IMPORT_TABLES = {
    "imported_stories": "select canonical_url, path, source_id, input_file, source_record_id, "
                        "source_offset, captured_at, line_number, listed_published "
                        "from core.imported_stories",
    "import_counts": "select input_file, outcome, n from core.import_counts",
    "pages": "select canonical_url, source_id, url, http_status, content_type, content_sha256 "
             "from core.pages",
    "warc_records": "select url, http_status, content_type, payload_digest from core.warc_records",
    "sources": "select source_id, name, homepage, followed from core.sources",
}


@pytest.fixture
def sources_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_demo_sources(tmp_path / "sources.toml")
    monkeypatch.setenv("FRAMEWATCH_SOURCES_FILE", str(path))
    return path


@pytest.mark.slow
def test_import_warc_into_a_lake_stores_what_the_file_stores_and_a_second_import_adds_nothing(
        tmp_path: Path, sources_file: Path, lake_location: LakeLocation,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Small batches: the counts of one run add up across batches (MERGE's matched branch).
    monkeypatch.setattr(imports, "WARC_BATCH", 5)
    stories = list(back_catalogue(date(2026, 9, 1), 2, on_topic_per_month=4,
                                  outlet_off_topic_per_month=2, unfollowed_per_month=6))
    files = write_warc_files(stories, tmp_path / "warc", records_per_file=20)
    on_file = Settings(workdir=tmp_path / "file")
    on_lake = lake_settings(tmp_path / "lake-wd", lake_location)
    paths = [str(path) for path in files]

    file_summary = _import(on_file, "warc", *paths, "--no-process")
    lake_summary = _import(on_lake, "warc", *paths, "--no-process")

    assert not on_lake.db_path.exists()
    assert lake_summary["totals"] == file_summary["totals"]
    assert lake_summary["totals"]["imported"] > 5
    counted = dict(rows(on_lake, "select outcome, sum(n)::bigint from core.import_counts "
                                 "group by outcome"))
    assert counted == lake_summary["totals"]
    assert any(not followed for *_, followed in rows(on_lake, IMPORT_TABLES["sources"]))
    for table, sql in IMPORT_TABLES.items():
        assert rows(on_lake, sql) == rows(on_file, sql), table

    again = _import(on_lake, "warc", *paths, "--no-process")
    assert again["totals"].get("imported", 0) == 0
    assert again["totals"]["already_imported"] == lake_summary["totals"]["imported"]
    assert rows(on_lake, IMPORT_TABLES["pages"]) == rows(on_file, IMPORT_TABLES["pages"])
    assert duplicated_keys(on_lake) == {}
    runs = rows(on_lake, "select status from core.import_runs")
    assert runs == [("finished",), ("finished",)]


@pytest.mark.slow
def test_import_texts_into_a_lake_counts_across_batches_and_stores_what_the_file_stores(
        tmp_path: Path, sources_file: Path, lake_location: LakeLocation, embedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "TEXT_BATCH", 5)  # counts of one run add up across batches
    paragraph = ("Washington tightened export controls on advanced AI chips again this week, "
                 "widening the list of chipmaking tools that cannot be shipped abroad.\n\n"
                 "Officials said the rules aim to keep a lead in the AI race by slowing the "
                 "build-out of data centres that train frontier models, story {n}.")
    outlets = ["Meridian Wire", "The Harbor Daily", "Valley Gazette"]
    lines = [{"title": f"Chip curbs {n}", "text": paragraph.format(n=n),
              "date": f"2023-03-{1 + n % 28:02d}", "outlet": outlets[n % 3],
              "url": f"https://wire.example/chips-{n}"} for n in range(12)]
    lines.insert(5, {"title": "broken", "text": "", "date": "2023-03-02", "outlet": "x"})
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    on_file = Settings(workdir=tmp_path / "file")
    on_lake = lake_settings(tmp_path / "lake-wd", lake_location)

    file_summary = _import(on_file, "texts", str(export), "--no-frame")
    lake_summary = _import(on_lake, "texts", str(export), "--no-frame")

    assert lake_summary["totals"] == file_summary["totals"] == {"imported": 12, "missing_field": 1}
    for table, sql in IMPORT_TABLES.items():
        assert rows(on_lake, sql) == rows(on_file, sql), table
    articles = ("select canonical_url, source_id, title, extraction_method, in_scope, "
                "duplicate_of is not null from core.articles")
    assert rows(on_lake, articles) == rows(on_file, articles)
    assert len(rows(on_lake, articles)) == 12
    counted = dict(rows(on_lake, "select outcome, sum(n)::bigint from core.import_counts "
                                 "group by outcome"))
    assert counted == {"imported": 12, "missing_field": 1}

    again = _import(on_lake, "texts", str(export), "--no-frame")
    assert again["totals"].get("imported", 0) == 0
    counts = Counter(dict(rows(on_lake, "select outcome, sum(n) from core.import_counts "
                                        "group by outcome")))
    assert counts["missing_field"] == 2  # one per run
    assert duplicated_keys(on_lake) == {}
