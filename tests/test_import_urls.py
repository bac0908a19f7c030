"""`framewatch import urls`: the stories of a Media Cloud export are fetched by the real crawler
(robots.txt, WARC archive) from the demo site, nothing else is fetched, and the file's dates are
kept as a fallback date source."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.warehouse import query

from pipeline.cli import cli
from pipeline.demo_site import DemoSite, build_corpus
from pipeline.demo_site.backcatalogue import write_mediacloud_csv
from pipeline.urls import canonical_url

PLUS_TWO = timezone(timedelta(hours=2))

@pytest.mark.slow
def test_listed_stories_are_crawled_and_nothing_else(tmp_path: Path, monkeypatch) -> None:
    corpus = build_corpus(seed=7, scale="small")
    with DemoSite(corpus) as site:
        sources = site.write_sources_toml(tmp_path / "sources.toml")
        for name, value in {"SOURCES_FILE": str(sources), "CRAWL__DOWNLOAD_DELAY": "0",
                            "CRAWL__AUTOTHROTTLE": "false",
                            "CRAWL__CONCURRENT_REQUESTS_PER_DOMAIN": "8"}.items():
            monkeypatch.setenv(f"FRAMEWATCH_{name}", value)
        full = write_mediacloud_csv(tmp_path / "all.csv", corpus, site.base_urls)
        with open(full, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        header, chosen = rows[0], rows[1:6]
        # the first story's date as a Spanish outlet would state it: the same moment at +02:00
        published = datetime.fromisoformat(chosen[0][5]).replace(tzinfo=UTC)  # publish_date, UTC
        chosen[0][5] = published.astimezone(PLUS_TWO).isoformat()
        export = tmp_path / "mediacloud.csv"
        with open(export, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(chosen)
            writer.writerow(["1", "2024-01-01", "en", "Nobody", "x", "2024-01-01", "junk", "n/a"])
        workdir = tmp_path / "wd"
        result = CliRunner().invoke(cli, ["import", "urls", str(export), "--workdir", str(workdir),
                                          "--no-process"], obj={}, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout[result.stdout.index("{"):])
        requests = list(site.request_log)

    assert summary["totals"] == {"imported": 5, "not_a_url": 1}
    assert summary["problems"][0]["line"] == 7
    listed_paths = {row[7].split("/", 3)[3] for row in chosen}
    fetched = {"/" + r.path.lstrip("/").split("?")[0] for r in requests}
    # only robots.txt and the listed articles (maybe via a redirect) were requested
    assert {p for p in fetched if p != "/robots.txt"} <= {"/" + p for p in listed_paths} | {
        "/" + p.rstrip("/") for p in listed_paths}
    assert "/robots.txt" in fetched and len(fetched) >= 6
    db = workdir / "framewatch.duckdb"
    stored = query(db, """select i.canonical_url, i.path, i.line_number, i.listed_published,
                                 d.listing_published, d.discovered_via
                          from core.imported_stories as i
                          join core.discovered as d using (canonical_url)
                          join core.pages as p using (canonical_url) order by i.line_number""")
    assert [row[0] for row in stored] == [canonical_url(row[7]) for row in chosen]
    assert {row[1] for row in stored} == {"urls"} and [row[2] for row in stored] == [2, 3, 4, 5, 6]
    # the file's date is the listing date the clean stage falls back on
    assert all(row[3] == row[4] is not None and row[5] == "import" for row in stored)
    # ... with the offset the file stated, so a page without a date is dated on the publisher's clock
    offsets = query(db, """select d.published_offset_minutes from core.imported_stories as i
                           join core.discovered as d using (canonical_url) order by i.line_number""")
    assert [row[0] for row in offsets] == [120, None, None, None, None]  # the others state none
    assert query(db, "select count(*) from core.warc_records")[0][0] >= 5
