"""The clean and frame stages on a DuckLake give the same articles and labels as on the file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.archived import ArchivedPage, store_archived_pages

from pipeline.settings import Settings, WarehouseSettings
from pipeline.stages.runs import clean_stage, frame_stage
from warehouse.db import LakeLocation, warehouse

# The PostgreSQL fixtures (postgres_server, lake_location), by name.
pytest_plugins = ["fixtures.postgres"]

STORIES = {
    "https://wire.example/chips": ("wire", "US widens AI chip export curbs", [
        ("The Commerce Department widened its restrictions on exports of advanced AI chips to China, "
         "adding twelve companies to its entity list and closing a loophole on accelerators."),
        ("Chipmakers warned that the measures would cost them billions in lost sales and push "
         "Chinese buyers towards domestic suppliers of lithography tools and processors."),
    ]),
    "https://daily.example/race": ("daily", "Who will win the AI race?", [
        ("Officials warned that whoever leads in frontier artificial intelligence models this decade "
         "will set the rules for everyone else, and that second place is losing."),
        ("The administration said the country must outpace its rival in AI research and compute, "
         "calling the contest a race the nation cannot afford to lose."),
    ]),
    "https://tech.example/safety": ("tech", "Lawmakers want audits of powerful AI", [
        ("Lawmakers pressed for audits, licensing and hard limits on the most capable AI systems, "
         "saying voluntary commitments by the labs were not enough."),
        ("Negotiators from both capitals also called for joint safety testing and shared evaluation "
         "standards for frontier artificial intelligence models."),
    ]),
    "https://daily.example/recipes": ("daily", "Ten soups for winter", [
        "A hearty lentil soup needs onions, carrots, celery and a good stock, simmered slowly.",
        "Finish it with lemon juice and parsley, and serve it with crusty bread.",
    ]),
}


def page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title>"
            '<meta property="article:published_time" content="2026-11-18T09:00:00Z"></head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>").encode()


def crawled(settings: Settings) -> None:
    """What a crawl leaves: sources, a WARC archive and its index, pages, discovered URLs."""
    with warehouse(settings.warehouse_target) as con:
        con.execute("insert into core.sources (source_id, name, kind) values "
                    "('wire', 'Wire', 'wire'), ('daily', 'Daily', 'outlet'), ('tech', 'Tech', 'tech')")
        store_archived_pages(con, settings.archive_path, pages=(
            ArchivedPage(url, source_id, page(title, paragraphs), listing_title=title)
            for url, (source_id, title, paragraphs) in STORIES.items()))


def stored(settings: Settings) -> dict[str, list[tuple]]:
    with warehouse(settings.warehouse_target, read_only=True) as con:
        return {
            "articles": con.execute(
                "select * exclude (cleaned_at) from core.articles order by article_id").fetchall(),
            "labels": con.execute(
                "select * exclude (labelled_at) from core.frame_labels order by all").fetchall(),
            "evidence": con.execute("select * from core.frame_evidence order by all").fetchall(),
            "passages": con.execute("select * from core.passages order by all").fetchall(),
            "stages": con.execute(
                "select run_id, stage, status, rows_in, rows_out from core.stage_runs order by all").fetchall(),
        }


@pytest.mark.slow
def test_clean_and_frame_on_the_lake_store_what_the_file_stores(
        lake_location: LakeLocation, tmp_path: Path, embedder) -> None:
    results = {}
    for name, warehouse_settings in (
            ("file", WarehouseSettings()),
            ("lake", WarehouseSettings("ducklake", lake_location.catalog_dsn, lake_location.data_path))):
        settings = replace(Settings(workdir=tmp_path / name), warehouse=warehouse_settings)
        crawled(settings)
        clean_stage(settings, "run-1")
        frame_stage(settings, "run-1")
        frame_stage(settings, "run-2")  # nothing left to label: a re-run changes nothing
        results[name] = stored(settings)
    assert results["lake"]["articles"] == results["file"]["articles"]
    assert len(results["file"]["articles"]) == len(STORIES)
    for part in ("labels", "evidence", "passages", "stages"):
        assert results["lake"][part] == results["file"][part], part
    assert results["file"]["labels"], "the in-scope stories were labelled"
